"""The generated config reference and JSON Schemas agree with the models and with configs/."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from tests.paths import CONFIGS
from tfxkit.config.loading import load_yaml
from tfxkit.config.pipeline_config import PipelineConfig, validate_config
from tfxkit.config.profiles import RunnerProfile
from tfxkit.config.reference import json_schema, markdown_reference, section_paths


def _kind(data: dict) -> str:
    """A profile names its runner as a word; a pipeline config's runner is a section."""
    return "profile" if isinstance(data.get("runner"), str) else "pipeline"


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json_schema(kind)  # type: ignore[arg-type]
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_validates_against_its_schema(path: Path) -> None:
    data = load_yaml(path.read_text())
    errors = [e.message for e in _validator(_kind(data)).iter_errors(data)]
    assert errors == []


def test_both_kinds_of_config_are_shipped() -> None:
    kinds = {_kind(load_yaml(p.read_text())) for p in CONFIGS.glob("*.yaml")}
    assert kinds == {"pipeline", "profile"}


@pytest.mark.parametrize(
    ("kind", "edit"),
    [
        ("pipeline", lambda d: d["training"].update(epoch=3)),  # a typo
        ("pipeline", lambda d: d.update(trainer={})),
        ("pipeline", lambda d: d["training"].update(epochs=True)),
        ("pipeline", lambda d: d.update(name="Bad Name")),
        ("pipeline", lambda d: d["data"].update(splits={"train": 1})),
        ("pipeline", lambda d: d["runner"]["beam"].update(extra_args=["workers=2"])),
        ("profile", lambda d: d.update(imagee="x")),
        ("profile", lambda d: d["vertex"].update(labels={"Team": "ml"})),
    ],
)
def test_schema_rejects_what_the_models_reject(kind: str, edit) -> None:
    name = "penguin.yaml" if kind == "pipeline" else "vertex.yaml"
    data = load_yaml((CONFIGS / name).read_text())
    edit(data)
    assert not _validator(kind).is_valid(data)


def test_quantize_shorthand_is_valid_in_the_schema_too() -> None:
    data = load_yaml((CONFIGS / "penguin.yaml").read_text())
    data["optimize"] = {"quantize": "int8"}
    assert _validator("pipeline").is_valid(data)
    assert validate_config(data).optimize.quantize.mode == "int8"


@pytest.mark.parametrize("root", [PipelineConfig, RunnerProfile])
def test_every_field_is_described(root) -> None:
    missing = [
        f"{path}.{name}"
        for path, model in section_paths(root)
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert missing == []


@pytest.mark.parametrize(("part", "root"), [(1, PipelineConfig), (2, RunnerProfile)])
def test_markdown_has_a_section_and_a_row_for_every_field(part: int, root) -> None:
    page = markdown_reference().split("\n## ")[part]  # the pipeline's part, the profile's
    for path, model in section_paths(root):
        heading = "### Top level" if model is root else f"### `{path}`"
        assert heading in page
        section = page.split(heading, 1)[1].split("\n### ", 1)[0]
        for name, field in model.model_fields.items():
            assert f"| `{field.alias or name}` |" in section, (path, name)


def test_markdown_rows_read_as_types_not_regexes() -> None:
    page = markdown_reference()
    assert "| `model_name` | string: a usable model name (letters, digits" in page
    assert "| `epochs` | integer > 0 | `1` |" in page
    assert '| `splits` | mapping of name to integer > 0 | `{"train": 2, "eval": 1}` |' in page
    assert "\\|slice - reference\\|" in page  # a '|' in a cell would end it
