"""Importer tasks: register an existing URI as an artifact (``deploymentSpec`` ``importer``).

Why this exists: TFX's ``Importer`` node compiles to an importer executor that a backend
answers by recording the URI in ML Metadata, reusing the artifact already recorded for it
unless ``reimport`` is set. Here the artifact index plays ML Metadata's part.
"""

from __future__ import annotations

from typing import Any

from tfxkit.runners.spec_launcher.artifacts import Artifact, TaskOutputs
from tfxkit.runners.spec_launcher.context import RunContext
from tfxkit.runners.spec_launcher.errors import RunIrError
from tfxkit.runners.spec_launcher.spec import schema_title
from tfxkit.runners.spec_launcher.values import Params, from_legacy


def import_artifact(
    run: RunContext, name: str, importer: dict[str, Any], params: Params
) -> TaskOutputs:
    """The imported artifact under the component's (single) output key, registered."""
    source = importer.get("artifactUri", {})
    if "constant" in source:
        uri = source["constant"]
    elif "constantValue" in source:
        uri = from_legacy(source["constantValue"])
    elif source.get("runtimeParameter") in params:
        uri = params[source["runtimeParameter"]][0]
    else:
        raise RunIrError(f"task '{name}': importer artifactUri {source} is not supported")
    artifact_type = importer.get("typeSchema", {})
    outputs = run.pipeline.component(name).get("outputDefinitions", {}).get("artifacts", {})
    key = next(iter(outputs), "artifact")
    known = run.index.query([("uri", "=", uri), ("schema_title", "=", schema_title(artifact_type))])
    if known and not importer.get("reimport"):
        a = known[-1]
        artifact = Artifact(a["name"], a["uri"], artifact_type, dict(a["metadata"]))
    else:
        artifact = Artifact(
            f"{run.artifact_prefix(name)}/{key}",
            str(uri),
            artifact_type,
            dict(importer.get("metadata", {})),
        )
    result = TaskOutputs(artifacts={key: [artifact]})
    run.index.register(run.pipeline.name, run.run_id, name, result, None)
    return result
