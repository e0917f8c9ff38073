"""Parameter values in the two forms a KFP PipelineSpec uses: JSON values and legacy ``Value``s.

Why this exists: the spec, the driver output and the ExecutorInput carry parameters either as
plain JSON values (``parameterValues``, ``constant``) or as kfp ``Value`` messages
(``intValue`` / ``doubleValue`` / ``stringValue``), which TFX 1.16 reads when the spec predates
2.1. The launcher keeps each parameter as ``(value, declared type)`` and converts at the edges.
"""

from __future__ import annotations

import json
from typing import Any

from tfxkit.runners.spec_launcher.errors import RunIrError

# Parameter name -> (JSON value, declared parameter type or None).
Params = dict[str, tuple[Any, str | None]]


def legacy_value(value: Any, ptype: str | None) -> dict[str, Any]:
    """A kfp ``Value`` (intValue/doubleValue/stringValue), the form TFX reads without spec 2.1."""
    if isinstance(value, bool):
        return {"intValue": str(int(value))}
    if isinstance(value, int | float):
        is_int = ptype in ("INT", "NUMBER_INTEGER") or (
            ptype not in ("DOUBLE", "NUMBER_DOUBLE") and float(value).is_integer()
        )
        return {"intValue": str(int(value))} if is_int else {"doubleValue": float(value)}
    if isinstance(value, str):
        return {"stringValue": value}
    return {"stringValue": json.dumps(value)}


def from_legacy(value: dict[str, Any]) -> Any:
    """The JSON value of a kfp ``Value``."""
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "stringValue" in value:
        return value["stringValue"]
    raise RunIrError(f"unsupported parameter value {value}")


def param_type(definition: dict[str, Any]) -> str | None:
    """The declared type of an input parameter definition (spec 2.1 or older)."""
    return definition.get("parameterType") or definition.get("type")


def plain_values(params: Params) -> dict[str, Any]:
    """Parameter name -> JSON value, dropping the declared types."""
    return {k: v for k, (v, _) in params.items()}
