"""The contract with a container's process: ExecutorInput in, executor/driver output back.

Why this exists: a KFP backend hands each container an ``ExecutorInput`` JSON (inputs, output
artifact URIs, the output file to write) and reads back what the process reported. This module
builds that input, allocates output artifacts under the run directory, folds a driver's
(``preCacheCheck``) output into the executor's input, merges the executor's output, and computes
the cache key a backend would use.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tfxkit.runners.spec_launcher.artifacts import Artifact, Artifacts, TaskOutputs
from tfxkit.runners.spec_launcher.errors import TaskFailed
from tfxkit.runners.spec_launcher.spec import schema_title
from tfxkit.runners.spec_launcher.values import Params, from_legacy, legacy_value, plain_values

# Artifact types whose URI is a file, not a directory: TFX ValueArtifacts, and KFP's system
# types that the UIs render (the run report's outputs, ``components.run_report``).
VALUE_TYPES = {
    "system.HTML",
    "system.Markdown",
    "system.Metrics",
    "system.ClassificationMetrics",
    "tfx.String",
    "tfx.Integer",
    "tfx.Float",
    "tfx.Boolean",
    "tfx.Bytes",
    "tfx.JsonValue",
    "system.String",
    "system.Integer",
    "system.Float",
    "system.Boolean",
}


def allocate_outputs(component: dict[str, Any], task_dir: Path, name_prefix: str) -> Artifacts:
    """One new artifact per declared output, its URI a fresh path under ``task_dir``."""
    outputs = {}
    for key, definition in component.get("outputDefinitions", {}).get("artifacts", {}).items():
        uri = task_dir / key
        artifact_type = definition.get("artifactType", {})
        if schema_title(artifact_type) in VALUE_TYPES:
            uri.parent.mkdir(parents=True, exist_ok=True)
        else:
            uri.mkdir(parents=True, exist_ok=True)
        outputs[key] = [Artifact(f"{name_prefix}/{key}", str(uri), artifact_type, {})]
    return outputs


def executor_input(
    inputs: Artifacts,
    params: Params,
    outputs: Artifacts,
    out_param_files: dict[str, str],
    output_file: Path,
) -> dict[str, Any]:
    """The kfp ExecutorInput; parameters in both the legacy and the struct form."""
    return {
        "inputs": {
            "parameters": {k: legacy_value(v, t) for k, (v, t) in params.items()},
            "parameterValues": plain_values(params),
            "artifacts": {
                k: {"artifacts": [a.runtime() for a in arts]} for k, arts in inputs.items()
            },
        },
        "outputs": {
            "artifacts": {
                k: {"artifacts": [a.runtime() for a in arts]} for k, arts in outputs.items()
            },
            "parameters": {k: {"outputFile": f} for k, f in out_param_files.items()},
            "outputFile": str(output_file),
        },
    }


def _read_json(path: Path, writer: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise TaskFailed(f"the {writer} wrote invalid JSON to {path}: {exc}") from exc


def fold_driver_output(path: Path, params: Params, outputs: Artifacts) -> None:
    """What the backend does with a preCacheCheck result: new parameters and output metadata."""
    if not path.is_file():
        raise TaskFailed(f"the driver wrote no output file ({path})")
    driver = _read_json(path, "driver")
    for key, value in driver.get("parameterValues", {}).items():
        params[key] = (value, params.get(key, (None, None))[1])
    for key, value in driver.get("parameters", {}).items():
        params[key] = (from_legacy(value), params.get(key, (None, None))[1])
    for key, listed in driver.get("artifacts", {}).items():
        if key in outputs and listed.get("artifacts"):
            outputs[key][0].metadata.update(listed["artifacts"][0].get("metadata", {}))


def read_executor_output(
    task_dir: Path, outputs: Artifacts, out_param_files: dict[str, str]
) -> TaskOutputs:
    """Merge the executor's reported artifacts (URI, metadata) and parameters."""
    path = task_dir / "executor_output.json"
    reported = _read_json(path, "executor") if path.is_file() else {}
    result = TaskOutputs(artifacts={k: list(v) for k, v in outputs.items()})
    for key, listed in reported.get("artifacts", {}).items():
        if key not in outputs:
            continue
        mine = outputs[key][0]
        merged = []
        for item in listed.get("artifacts", []):
            metadata = {**mine.metadata, **item.get("metadata", {})}
            merged.append(Artifact(mine.name, item.get("uri") or mine.uri, mine.type, metadata))
        result.artifacts[key] = merged or [mine]
    for key, value in reported.get("parameterValues", {}).items():
        result.parameters[key] = value
    for key, value in reported.get("parameters", {}).items():
        result.parameters.setdefault(key, from_legacy(value))
    for key, file in out_param_files.items():
        if key not in result.parameters and Path(file).is_file():
            result.parameters[key] = Path(file).read_text()
        if key not in result.parameters:
            raise TaskFailed(f"the executor did not produce parameter '{key}'")
    return result


def cache_key(
    pipeline: str,
    component: dict[str, Any],
    container: dict[str, Any],
    inputs: Artifacts,
    params: Params,
) -> str:
    """Component and executor spec, parameter values and input artifact names, hashed."""
    material = {
        "pipeline": pipeline,
        "component": {k: v for k, v in component.items() if k != "executorLabel"},
        "container": {k: v for k, v in container.items() if k != "lifecycle"},
        "parameters": plain_values(params),
        "inputs": {k: [a.name for a in arts] for k, arts in inputs.items()},
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
