"""Config value types: each rule is written once, and every field that needs it uses it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from tests.paths import PENGUIN_CONFIG, REPO
from tfxkit.config import types
from tfxkit.config.loading import apply_overrides, load_yaml
from tfxkit.config.pipeline_config import PipelineConfig, load_config, validate_config
from tfxkit.config.profiles import RunnerProfile, load_profile
from tfxkit.errors import ConfigError

SRC = REPO / "src" / "tfxkit" / "config"


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    from tfxkit.config.reference import section_paths

    return [model for _, model in section_paths(root)]


def _core_nodes(schema: Any):
    """Every node of a pydantic core schema (dicts inside dicts and lists)."""
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _core_nodes(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _core_nodes(value)


@pytest.mark.parametrize("root", [PipelineConfig, RunnerProfile])
def test_every_number_in_the_config_is_strict(root: type[BaseModel]) -> None:
    """A YAML ``true`` is never 1: no field of any section takes a lax int or float."""
    for model in _models(root):
        loose = [
            node
            for node in _core_nodes(model.__pydantic_core_schema__)
            if node.get("type") in ("int", "float") and not node.get("strict")
        ]
        assert not loose, f"{model.__name__} has a non-strict number: {loose[0]}"


def test_no_section_writes_its_own_field_check() -> None:
    """One validation style: single values are checked by types, never by field validators."""
    offenders = [p.name for p in SRC.glob("*.py") if "field_validator" in p.read_text()]
    assert offenders == []


def test_each_pattern_is_written_once_in_config() -> None:
    """The model-name, image and Beam-flag rules live in config.types only."""
    for pattern in (types.MODEL_NAME_PATTERN, types.IMAGE_PATTERN, types.BEAM_FLAG_PATTERN):
        holders = [p.name for p in SRC.glob("*.py") if pattern[5:25] in p.read_text()]
        assert holders == ["types.py"], (pattern, holders)


def _minimal() -> dict:
    return {
        "name": "m",
        "data": {"path": "d"},
        "features": [{"name": "a", "type": "float", "transform": "zscore"}],
        "label": {"name": "y"},
    }


def _error(**sections: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        validate_config({**_minimal(), **sections}, "cfg.yaml")
    return str(caught.value)


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"training": {"epochs": True}}, "training.epochs: expected a number, got True"),
        ({"model": {"learning_rate": True}}, "model.learning_rate: expected a number, got True"),
        ({"validation": {"drift": {"a": True}}}, "validation.drift.a: expected a number"),
        ({"training": {"epochs": "3"}}, "training.epochs: Input should be a valid integer"),
        ({"model": {"dropout": 1.0}}, "model.dropout: Input should be less than 1"),
        (
            {"tuning": {"search_space": {"embedding_dim": [1024]}}},
            "tuning.search_space.embedding_dim.0: Input should be less than or equal to 512",
        ),
        (
            {"optimize": {"distill": {"hidden_units": [0]}}},
            "optimize.distill.hidden_units.0: Input should be greater than 0",
        ),
        (
            {"runner": {"beam": {"extra_args": ["--ok=1", "direct_num_workers=2"]}}},
            "runner.beam.extra_args.1: 'direct_num_workers=2' is not a Beam flag",
        ),
        ({"runner": {"beam": {"extra_args": ["--"]}}}, "'--' is not a Beam flag"),
        ({"push": {"model_name": "a/b"}}, "push.model_name: 'a/b' is not a usable model name"),
        ({"training": {"run_fn": "run"}}, "training.run_fn: 'run' is not an importable"),
        (
            {"fairness": {"sensitive_features": ["s", "s"], "metrics": {}}},
            "fairness.sensitive_features: listed twice: ['s']",
        ),
        ({"data": {"path": "d", "splits": {"train": 1}}}, "data.splits: must define the splits"),
        ({"label": {"name": "y", "derive": "open('x')"}}, "label.derive"),
    ],
)
def test_one_message_per_rule_names_the_key(sections: dict, expected: str) -> None:
    message = _error(**sections)
    assert message.startswith("invalid pipeline config cfg.yaml:")
    assert expected in message


def test_one_message_per_at_least_one_rule() -> None:
    assert "evaluation.thresholds.AUC: set at least one of lower_bound, upper_bound or " in _error(
        label={"name": "y", "derive": "a > 1"}, evaluation={"thresholds": {"AUC": {}}}
    )
    assert "optimize: set at least one of quantize, prune or distill" in _error(optimize={})


def test_exponent_floats_in_yaml_are_numbers(tmp_path) -> None:
    """YAML 1.1 reads 1e-3 as a string; config files read it as the number it means."""
    assert load_yaml("lr: 1e-3\nn: 10\nname: 1.0.2") == {"lr": 0.001, "n": 10, "name": "1.0.2"}
    data = apply_overrides(load_yaml(PENGUIN_CONFIG.read_text()), ["model.learning_rate=5e-4"])
    assert validate_config(data).model.learning_rate == 0.0005


def test_serving_layer_can_use_the_one_model_name_rule() -> None:
    """tfxkit.serving checks names given outside a config; the pattern is importable for it."""
    rule = re.compile(types.MODEL_NAME_PATTERN)
    assert rule.match("penguin-v2.1") and not rule.match("-x") and not rule.match("a" * 64)
    assert types.MODEL_NAME_RULE in types.PATTERNS[types.MODEL_NAME_PATTERN].what


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("beam.extra_args=[max_num_workers=3]", "beam.extra_args.0: 'max_num_workers=3' is not a"),
        ("vertex.region=Mars", "vertex.region: 'Mars' is not a Google Cloud region"),
        (
            "resources={trainer: {accelerator: {type: t4, count: 1}}}",
            "resources.trainer.accelerator.type: 't4' is not an accelerator type",
        ),
        ("vertex.labels={Team: ML}", "vertex.labels: label Team='ML'"),
        ("resources={trainer: {cpu: true}}", "resources.trainer.cpu: expected a number"),
    ],
)
def test_profile_values_use_the_same_types(override: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_profile(REPO / "configs" / "vertex.yaml", [override])
    assert expected in str(caught.value)


@pytest.mark.parametrize("flag", ["--runner=DataflowRunner", "--direct_num_workers=4"])
def test_beam_flags_tfxkit_sets_are_refused_in_extra_args(flag: str) -> None:
    """Issue 28: runner.beam.extra_args could switch the runner away from the DirectRunner."""
    with pytest.raises(ConfigError, match=f"extra_args: {flag.split('=')[0]} is set by tfxkit"):
        load_config(PENGUIN_CONFIG, [f"runner.beam.extra_args=['{flag}']"])


def test_a_config_file_over_a_mebibyte_is_refused_before_parsing(tmp_path: Path) -> None:
    """Issue 28: a 100 MB YAML took 37 s and 334 MB to reject."""
    big = tmp_path / "big.yaml"
    big.write_text("name: m\n" + "# padding\n" * 200_000)
    with pytest.raises(ConfigError, match=r"big.yaml is 1\.\d MiB; a config is at most 1 MiB"):
        load_config(big)


def test_a_vocabulary_on_a_float_feature_is_refused_at_config_time() -> None:
    """Issue 22: it failed inside Transform instead."""
    with pytest.raises(ConfigError, match="is a float; transform 'vocabulary' needs categories"):
        load_config(PENGUIN_CONFIG, ["features.0.transform=vocabulary"])
    load_config(PENGUIN_CONFIG, ["features.0.transform=hash", "features.0.hash_buckets=8"])


def test_regression_metrics_on_a_derived_binary_label_are_refused() -> None:
    """Issue 22: regression metrics and bounds on a derived binary label were accepted and
    blessed."""
    derived = "label={name: big, derive: 'body_mass_g > 4000'}"
    with pytest.raises(ConfigError, match=r"\['MeanSquaredError'\] are regression metrics, but"):
        load_config(PENGUIN_CONFIG, [derived, "evaluation.metrics=[MeanSquaredError]"])
