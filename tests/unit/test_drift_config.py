"""The default drift and skew checks in the config and the pipeline (issue 28 #1): on (fail)
with no configuration, switchable per run, and judging the configured features and label."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.paths import PENGUIN_CONFIG, PENGUIN_PIPELINE
from tfxkit.config.pipeline_config import load_config
from tfxkit.config.sections import ValidationConfig
from tfxkit.errors import ConfigError


def test_the_checks_are_on_by_default() -> None:
    validation = ValidationConfig()
    assert validation.drift_check == "fail" and validation.skew_check == "fail"


@pytest.mark.parametrize("word", ["off", "warn", "fail"])
def test_yaml_words_are_kept(word: str) -> None:
    """A bare ``off`` is YAML 1.1's false: it still means off."""
    parsed = yaml.safe_load(f"drift_check: {word}\nskew_check: {word}\n")
    validation = ValidationConfig(**parsed)
    assert validation.drift_check == validation.skew_check == word


def test_other_values_are_refused() -> None:
    with pytest.raises(ConfigError, match="drift_check"):
        load_config(PENGUIN_CONFIG, ["data.path=/data", "validation.drift_check=maybe"])


def _gate(*overrides: str):
    from tfxkit.pipeline.dsl import load_pipeline

    config = load_config(PENGUIN_CONFIG, ["data.path=/data", *overrides])
    return {c.id: c for c in load_pipeline(PENGUIN_PIPELINE, config).components}["anomaly_gate"]


def test_the_gate_judges_the_configured_features_and_the_label() -> None:
    gate = _gate()
    assert gate.exec_properties["drift_check"] == "fail"
    assert json.loads(gate.exec_properties["checked"]) == [
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
        "island",
        "sex",
        "species",
    ]
    assert _gate("validation.drift_check=off").exec_properties["drift_check"] == "off"
