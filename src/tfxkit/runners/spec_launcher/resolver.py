"""Resolver tasks: pick earlier runs' artifacts by ML Metadata filter (``outputArtifactQueries``).

Why this exists: TFX compiles resolver nodes (e.g. the latest blessed model resolver, in two
phases) to executors that a Vertex backend answers from ML Metadata without starting a
container. Here each query runs against the artifact index under the pipeline root, so a later
run sees the blessed models of earlier ones.
"""

from __future__ import annotations

from typing import Any

from tfxkit.runners.spec_launcher.artifacts import Artifact, Artifacts, TaskOutputs, parse_filter
from tfxkit.runners.spec_launcher.context import RunContext
from tfxkit.runners.spec_launcher.placeholders import Unresolvable, substitute
from tfxkit.runners.spec_launcher.values import Params, plain_values


def resolve(
    run: RunContext, name: str, resolver: dict[str, Any], inputs: Artifacts, params: Params
) -> TaskOutputs:
    """Each output query picks the latest matching artifact of earlier tasks and runs."""
    definitions = run.pipeline.component(name).get("outputDefinitions", {}).get("artifacts", {})
    result = TaskOutputs()
    given = {
        "inputs": {"parameterValues": plain_values(params)},
        "outputs": {"parameters": {}},
    }
    scope = run.scope(name, inputs, {}, given)
    for key, query in resolver.get("outputArtifactQueries", {}).items():
        try:
            text = substitute(query.get("filter", ""), scope)
        except Unresolvable:
            result.artifacts[key] = []  # e.g. no blessed model yet: nothing to look up
            continue
        matches = run.index.query(parse_filter(text))
        artifact_type = definitions.get(key, {}).get("artifactType", {})
        result.artifacts[key] = [
            Artifact(m["name"], m["uri"], artifact_type, dict(m["metadata"])) for m in matches[-1:]
        ]
    return result
