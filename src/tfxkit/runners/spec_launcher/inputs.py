"""A task's inputs, resolved from constants, pipeline parameters and upstream outputs.

Why this exists: before a backend starts a task it resolves each declared input: artifacts from
the producing task's outputs (with the metadata that task's executor reported), parameters from
``runtimeValue`` constants, pipeline inputs or upstream output parameters. The same resolution
also finds the artifacts a trigger condition reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tfxkit.runners.spec_launcher.artifacts import Artifact, Artifacts, TaskOutputs
from tfxkit.runners.spec_launcher.cel import condition_input_keys
from tfxkit.runners.spec_launcher.errors import RunIrError
from tfxkit.runners.spec_launcher.spec import CompiledSpec
from tfxkit.runners.spec_launcher.values import Params, from_legacy, param_type

Results = dict[str, TaskOutputs]


def input_artifacts(pipeline: CompiledSpec, results: Results, name: str) -> Artifacts:
    """Input key -> the upstream artifacts, typed as the consuming component declares."""
    result: Artifacts = {}
    for key, spec in pipeline.tasks[name].get("inputs", {}).get("artifacts", {}).items():
        if "taskOutputArtifact" not in spec:
            raise RunIrError(
                f"task '{name}': input artifact '{key}' source "
                f"{sorted(spec)} is not supported (only taskOutputArtifact)"
            )
        ref = spec["taskOutputArtifact"]
        producer, out_key = ref["producerTask"], ref["outputArtifactKey"]
        produced = results[producer].artifacts
        if out_key not in produced:
            raise RunIrError(
                f"task '{name}': input '{key}' wants output '{out_key}' of task "
                f"'{producer}', which produced only {sorted(produced)}"
            )
        wanted = pipeline.component(name).get("inputDefinitions", {}).get("artifacts", {}).get(key)
        result[key] = [
            Artifact(a.name, a.uri, wanted["artifactType"] if wanted else a.type, a.metadata)
            for a in produced[out_key]
        ]
    return result


def input_parameters(pipeline: CompiledSpec, results: Results, name: str) -> Params:
    """Parameter name -> (JSON value, declared type)."""
    definitions = pipeline.component(name).get("inputDefinitions", {}).get("parameters", {})
    result: Params = {}
    for key, spec in pipeline.tasks[name].get("inputs", {}).get("parameters", {}).items():
        ptype = param_type(definitions.get(key, {}))
        result[key] = (_parameter_value(pipeline, results, name, key, spec), ptype)
    return result


def _parameter_value(
    pipeline: CompiledSpec, results: Results, name: str, key: str, spec: dict[str, Any]
) -> Any:
    if "runtimeValue" in spec:
        runtime = spec["runtimeValue"]
        if "constantValue" in runtime:
            return from_legacy(runtime["constantValue"])
        if "constant" in runtime:
            return runtime["constant"]
    if "componentInputParameter" in spec:
        return pipeline.pipeline_parameter(name, spec["componentInputParameter"])
    if "taskOutputParameter" in spec:
        ref = spec["taskOutputParameter"]
        produced = results[ref["producerTask"]].parameters
        if ref["outputParameterKey"] not in produced:
            raise RunIrError(
                f"task '{name}': parameter '{key}' wants output parameter "
                f"'{ref['outputParameterKey']}' of task '{ref['producerTask']}', "
                "which it did not produce"
            )
        return produced[ref["outputParameterKey"]]
    raise RunIrError(f"task '{name}': parameter '{key}' source {sorted(spec)} not supported")


def condition_inputs(
    results: Results, name: str, condition: str, inputs: Artifacts, warn: Callable[[str], None]
) -> Artifacts:
    """The task's inputs plus implicit ``_<task>.<output>`` keys the condition reads.

    TFX 1.16 names a Cond's channel ``_<producer>.<output>`` in the condition but, when the
    same channel is also a regular input, declares it only under the regular name. A strict
    backend would find no such input; here the producer's output is used and ``warn`` is called
    so the mismatch is visible.
    """
    allowed = dict(inputs)
    for key in condition_input_keys(condition):
        if key in allowed:
            continue
        match = re.fullmatch(r"_(.+)\.([^.]+)", key)
        producer = match and results.get(match.group(1))
        if not match or producer is None or match.group(2) not in producer.artifacts:
            raise RunIrError(
                f"task '{name}': condition reads inputs.artifacts['{key}'], which is "
                "neither an input of the task nor an upstream output"
            )
        warn(
            f"task '{name}': condition reads inputs.artifacts['{key}'], which the task "
            f"does not declare as an input; used output '{match.group(2)}' of task "
            f"'{match.group(1)}' (a KFP/Vertex backend may reject this)"
        )
        allowed[key] = producer.artifacts[match.group(2)]
    return allowed
