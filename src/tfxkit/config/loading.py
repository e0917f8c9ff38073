"""Reading config files: YAML, ``--set`` overrides, and one readable message per mistake.

Why apart from the models: pipeline configs and runner profiles load the same way (a YAML
mapping, overrides by key path, validation errors naming the file and each key), so both go
through these functions, and the models' modules hold only what the keys mean.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tfxkit.config.types import PATTERNS
from tfxkit.errors import ConfigError

Model = TypeVar("Model", bound=BaseModel)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: ~10x faster
    """SafeLoader that also reads ``1e-3`` as a number (YAML 1.2), not the string YAML 1.1
    makes of it: number fields are strict, and a learning rate in that form is common."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """YAML as the config loaders read it (``1e-3`` is a float)."""
    return yaml.load(text, Loader=_Loader)  # a SafeLoader: no arbitrary objects


def _message(item: Any) -> str:
    """One pydantic error as a user reads it: the rule, not the validator's wording."""
    kind, value = item["type"], item.get("input")
    ctx = item.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see configs/ for the accepted keys)"
    if kind == "enum":
        return f"{value!r} is not one of {ctx.get('expected', '')}"
    if kind == "missing":
        return "required key is missing"
    if kind in ("int_type", "float_type") and isinstance(value, bool):
        return f"expected a number, got {value!r}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERNS:
        return PATTERNS[ctx["pattern"]].message(value)
    return item["msg"].removeprefix("Value error, ")


def format_validation_error(
    source: str, err: ValidationError, what: str = "pipeline config"
) -> str:
    lines = []
    for item in err.errors():
        loc = ".".join(str(p) for p in item["loc"] if p not in ("function-after",))
        lines.append(f"{loc or '<root>'}: {_message(item)}")
    return f"invalid {what} {source}:\n  " + "\n  ".join(lines)


def validate_model(model: type[Model], data: Any, source: str, what: str) -> Model:
    """``model`` from ``data``; a ConfigError with every mistake by key path otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(source, err, what)) from None


def load_model(
    model: type[Model],
    path: str | os.PathLike[str],
    what: str,
    overrides: list[str] | None = None,
) -> Model:
    """Read, override and validate one YAML file as ``model``."""
    data = apply_overrides(read_yaml_mapping(path, what), overrides or [])
    return validate_model(model, data, str(path), what)


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``key.path=value``; the value is YAML so numbers, bools and lists keep their type."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected key.path=value")
    key, raw = text.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ConfigError(f"--set {text!r}: empty key path")
    try:
        value = load_yaml(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"--set {text!r}: value is not valid YAML ({exc})") from None
    return parts, value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``--set`` overrides to the raw mapping; list items are addressed by index."""
    for text in overrides:
        parts, value = parse_override(text)
        node: Any = data
        for i, part in enumerate(parts[:-1]):
            where = ".".join(parts[: i + 1])
            if isinstance(node, list):
                node = node[_list_index(node, part, text)]
            elif isinstance(node, dict):
                node = node.setdefault(part, {})
            else:
                raise ConfigError(f"--set {text!r}: '{where}' is not a section")
        last = parts[-1]
        if isinstance(node, list):
            node[_list_index(node, last, text)] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ConfigError(f"--set {text!r}: '{'.'.join(parts[:-1])}' is not a section")
    return data


def _list_index(items: list[Any], part: str, text: str) -> int:
    if not part.isdigit() or int(part) >= len(items):
        raise ConfigError(f"--set {text!r}: '{part}' is not an index of a {len(items)}-item list")
    return int(part)


MAX_CONFIG_BYTES = 1 << 20


def read_yaml_mapping(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping; ConfigError names the file otherwise."""
    source = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_CONFIG_BYTES:  # before parsing: a 100 MB YAML took 37 s and 334 MB
            raise ConfigError(
                f"{what} {source} is {size / 2**20:.1f} MiB; a config is at most "
                f"{MAX_CONFIG_BYTES // 2**20} MiB (data belongs under data.path)"
            )
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {source}: {exc.strerror}") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {source} is not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {source}: the top level must be a mapping of keys")
    return data
