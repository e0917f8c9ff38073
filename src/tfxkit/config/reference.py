"""The config reference and JSON Schemas, generated from the models so they cannot drift.

Why generated: the models are the only definition of what a pipeline config or a runner
profile accepts (keys, types, ranges, patterns, defaults, descriptions). An editor validating
YAML against ``json_schema()`` and a reader of ``markdown_reference()`` see exactly what
``load_config`` / ``load_profile`` enforce. Cross-field rules (a label that is also a feature)
are only in the models; the schemas check each value on its own.

``python -m tfxkit.config.reference`` prints the Markdown page.
"""

from __future__ import annotations

import inspect
import json
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.config.profiles import RunnerProfile
from tfxkit.config.types import PATTERNS

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SchemaKind = Literal["pipeline", "profile"]
MODELS: dict[str, type[BaseModel]] = {"pipeline": PipelineConfig, "profile": RunnerProfile}
_TITLES = {
    "pipeline": "Pipeline config (configs/<pipeline>.yaml, run-pipeline -c)",
    "profile": "Runner profile (configs/kubeflow.yaml, vertex.yaml, dataflow.yaml; -p)",
}


def json_schema(kind: SchemaKind = "pipeline") -> dict[str, Any]:
    """JSON Schema (2020-12) of a pipeline config, or of a runner profile (``"profile"``)."""
    schema = MODELS[kind].model_json_schema(by_alias=True, mode="validation")
    return {"$schema": JSON_SCHEMA_DIALECT, **schema}


def markdown_reference() -> str:
    """A reference page: per section, a table of key | type | default | description."""
    lines = [
        "# Configuration reference",
        "",
        "Generated from the config models (`tfxkit.config.reference`); every key, its type, "
        "its default and what it does. Unknown keys are errors. Rules between keys (a label "
        "that is also a feature, a threshold on a metric the task does not compute) are "
        "checked when the file loads and named in the error.",
    ]
    for kind, model in MODELS.items():
        lines += ["", f"## {_TITLES[kind]}"]
        lines += _model_sections(model, json_schema(kind))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- sections


def _model_sections(root: type[BaseModel], schema: dict[str, Any]) -> list[str]:
    sections = section_paths(root)
    names = {model.__name__: path for path, model in sections}
    defs = schema.get("$defs", {})
    lines: list[str] = []
    for path, model in sections:
        own = schema if model is root else defs[model.__name__]
        doc = inspect.cleandoc(model.__doc__ or "").split("\n\n")[0].replace("\n", " ")
        lines += ["", "### Top level" if model is root else f"### `{path}`", ""]
        lines += [doc, ""] if doc else []
        lines += ["| key | type | default | description |", "| --- | --- | --- | --- |"]
        for name, field in model.model_fields.items():
            key = field.alias or name
            prop = own["properties"][key]
            kind = _type(prop, names, defs)
            cells = [f"`{key}`", kind, _default(field), field.description or ""]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def section_paths(root: type[BaseModel]) -> list[tuple[str, type[BaseModel]]]:
    """Every model under ``root`` with the key path where it first appears, depth first."""
    found: list[tuple[str, type[BaseModel]]] = []

    def visit(model: type[BaseModel], path: str) -> None:
        if any(seen is model for _, seen in found):
            return
        found.append((path, model))
        for name, field in model.model_fields.items():
            key = field.alias or name
            for child, suffix in _models_in(field.annotation):
                visit(child, f"{path}.{key}{suffix}".lstrip("."))

    visit(root, "")
    return found


def _models_in(annotation: Any, suffix: str = "") -> list[tuple[type[BaseModel], str]]:
    """The models inside a field's type, each with how its path continues ([] or .<name>)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, suffix)]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (list, tuple):
        suffix += "[]"
    elif origin is dict:
        suffix += ".<name>"
        args = args[1:]
    elif origin is not Union and type(annotation).__name__ != "UnionType":
        args = args[:1]  # Annotated[T, ...]: only T is a type
    return [found for arg in args for found in _models_in(arg, suffix)]


# ------------------------------------------------------------------------------------ cells


def _type(prop: dict[str, Any], names: dict[str, str], defs: dict[str, Any]) -> str:
    """A JSON Schema property as a short type: ``integer > 0``, ``list of string``."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"section `{names[name]}`" if name in names else _type(defs[name], names, defs)
    if "anyOf" in prop:
        kinds = [
            _type(option, names, defs) for option in prop["anyOf"] if option != {"type": "null"}
        ]
        optional = len(kinds) < len(prop["anyOf"])
        return " or ".join(kinds) + (" (optional)" if optional else "")
    if "enum" in prop:
        return "one of " + ", ".join(f"`{value}`" for value in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    kind = prop.get("type", "any")
    if kind == "array":
        if "prefixItems" in prop:
            return "[" + ", ".join(_type(item, names, defs) for item in prop["prefixItems"]) + "]"
        return "list of " + _type(prop.get("items", {}), names, defs) + _size(prop, "Items", "item")
    if kind == "object":
        keys = prop.get("propertyNames", {})
        key = _type(keys, names, defs) if "$ref" in keys or "enum" in keys else "name"
        value = _type(prop.get("additionalProperties", {}), names, defs)
        return f"mapping of {key} to {value}" + _size(prop, "Properties", "key")
    text = {"integer": "integer", "number": "number", "string": "string"}.get(kind, kind)
    return text + _bounds(prop) + _size(prop, "Length", "character") + _pattern(prop)


def _bounds(prop: dict[str, Any]) -> str:
    parts = [
        f"{sign} {prop[key]}"
        for key, sign in (
            ("exclusiveMinimum", ">"),
            ("minimum", "≥"),
            ("exclusiveMaximum", "<"),
            ("maximum", "≤"),
        )
        if key in prop
    ]
    return " " + ", ".join(parts) if parts else ""


def _size(prop: dict[str, Any], noun: str, unit: str) -> str:
    """Length bounds: ``, at least 1 item``, ``, exactly 1 character``."""
    low, high = prop.get(f"min{noun}"), prop.get(f"max{noun}")
    if low is not None and low == high:
        return f", exactly {_count(low, unit)}"
    parts = [f"at least {_count(low, unit)}" if low else ""]
    parts.append(f"at most {_count(high, unit)}" if high is not None else "")
    return "".join(f", {part}" for part in parts if part)


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" + ("s" if number != 1 else "")


def _pattern(prop: dict[str, Any]) -> str:
    """A registered pattern in words (the schema holds the regex), else the regex itself."""
    if "pattern" not in prop:
        return ""
    rule = PATTERNS.get(prop["pattern"])
    return f": {rule.what}" if rule else f" matching `{prop['pattern']}`"


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(its defaults)"
    if value is PydanticUndefined:  # pragma: no cover - required fields returned above
        return "required"
    value = getattr(value, "value", value)  # an enum default reads as its YAML value
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _cell(text: str) -> str:
    """Markdown table cells: '|' would end the cell, even inside backticks."""
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":  # pragma: no cover
    print(markdown_reference(), end="")
