"""``{{$...}}`` placeholders in container arguments and resolver filters.

Why this exists: a KFP PipelineSpec's container args name their inputs by placeholder (the
whole ExecutorInput, an artifact's URI or metadata, a parameter, the pipeline root); a backend
substitutes them before it starts the container. This is the subset KFP documents for
containers; anything else is refused by name rather than passed on literally.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfxkit.runners.spec_launcher.artifacts import Artifacts
from tfxkit.runners.spec_launcher.errors import RunIrError

_PLACEHOLDER = re.compile(r"\{\{\$(.*?)\}\}")
_ART_REF = re.compile(
    r"^\.(inputs|outputs)\.artifacts\['([^']+)'\]\.(uri|path|metadata\['([^']+)'\])$"
)
_PARAM_REF = re.compile(r"^\.inputs\.(?:parameters|parameter_values)\['([^']+)'\]$")
_OUT_PARAM_REF = re.compile(r"^\.outputs\.parameters\['([^']+)'\]\.output_file$")


class Unresolvable(Exception):
    """A placeholder points at an input with no artifact (e.g. a resolver found nothing).

    Never reaches a user: the container handler reports it as a task failure and the resolver
    handler as an empty result.
    """


@dataclass
class PlaceholderScope:
    """What placeholders of one task can refer to."""

    task: str
    pipeline: str
    run_id: str
    root: Path
    inputs: Artifacts
    outputs: Artifacts
    executor_input: dict[str, Any]


def substitute(arg: str, scope: PlaceholderScope) -> str:
    """``arg`` with every ``{{$...}}`` placeholder replaced by its value."""

    def replace(match: re.Match[str]) -> str:
        return _value(match.group(1), scope)

    return _PLACEHOLDER.sub(replace, arg)


def _value(expr: str, scope: PlaceholderScope) -> str:
    """Value of one ``{{$...}}`` placeholder; the subset KFP documents for containers."""
    name, executor_input = scope.task, scope.executor_input
    if expr == "":
        return json.dumps(executor_input)
    simple = {
        ".pipeline_job_name": scope.pipeline,
        ".pipeline_job_resource_name": f"{scope.pipeline}/{scope.run_id}",
        ".pipeline_job_uuid": scope.run_id,
        ".pipeline_task_name": name,
        ".pipeline_task_uuid": f"{scope.run_id}/{name}",
        ".pipeline_root": str(scope.root),
    }
    if expr in simple:
        return simple[expr]
    if expr == ".outputs.output_file" and "outputFile" in executor_input["outputs"]:
        return executor_input["outputs"]["outputFile"]
    if match := _ART_REF.match(expr):
        side, key, _, meta_key = match.groups()
        artifacts = (scope.inputs if side == "inputs" else scope.outputs).get(key)
        if artifacts is None:
            raise RunIrError(f"task '{name}': placeholder {{{{${expr}}}}}: no {side} '{key}'")
        if not artifacts:
            raise Unresolvable(f"{{{{${expr}}}}}: '{key}' has no artifact")
        artifact = artifacts[0]
        if meta_key is not None:
            if meta_key not in artifact.metadata:
                raise Unresolvable(f"{{{{${expr}}}}}: no metadata '{meta_key}'")
            value = artifact.metadata[meta_key]
            return value if isinstance(value, str) else json.dumps(value)
        return artifact.uri
    if match := _PARAM_REF.match(expr):
        params = executor_input["inputs"]["parameterValues"]
        if match.group(1) not in params:
            raise RunIrError(f"task '{name}': placeholder {{{{${expr}}}}}: no such parameter")
        value = params[match.group(1)]
        return value if isinstance(value, str) else json.dumps(value)
    if match := _OUT_PARAM_REF.match(expr):
        files = executor_input["outputs"]["parameters"]
        if match.group(1) not in files:
            raise RunIrError(f"task '{name}': placeholder {{{{${expr}}}}}: no such output")
        return files[match.group(1)]["outputFile"]
    raise RunIrError(f"task '{name}': placeholder {{{{${expr}}}}} is not supported")
