"""Explain: feature attributions of the trained model on the eval split (``config.explain``).

Not a gate: nothing waits on it and the push does not either; its verdict (global and
per-slice importance per raw column) is read by the run summary and the model card. The
slices are the fairness section's sensitive features and the single-column evaluation slices.
After evaluate(), its baseline (the previous blessed model) is the Explainer's too: the verdict
then carries the attribution drift against that model's explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfx import v1 as tfx

from tfxkit.components.explainer.component import Explainer
from tfxkit.config import features as F
from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.errors import PipelineDefinitionError
from tfxkit.pipeline.stages import node_ids
from tfxkit.pipeline.stages._base import StageContext
from tfxkit.pipeline.stages.ingest import Ingested
from tfxkit.pipeline.stages.train import Trained

EXPLAINER = "explainer"  # node id (only with an explain section)


@dataclass(frozen=True)
class Explained:
    explanation: tfx.dsl.Channel


def raw_columns(config: PipelineConfig) -> dict[str, list[str]]:
    """Model input -> the raw columns it comes from: a feature's transformed input and its
    missing indicator map to the feature; a cross to each of its features."""
    raw: dict[str, list[str]] = {}
    for feature in config.features:
        key = F.column_key(feature.name)
        raw[F.transformed_name(key)] = [feature.name]
        raw[F.missing_indicator_name(key)] = [feature.name]
    for cross in config.crosses:
        raw[F.transformed_name(cross.key)] = list(cross.features)
    return raw


def settings(config: PipelineConfig) -> dict[str, Any]:
    explain = config.explain
    if explain is None:
        raise PipelineDefinitionError(
            "explain() needs an 'explain' section in the config (e.g. explain: {})"
        )
    slices = list(config.fairness.sensitive_features) if config.fairness else []
    slices += [s[0] for s in config.evaluation.slices if len(s) == 1 and s[0] not in slices]
    return {
        "method": str(explain.method),
        "examples": explain.examples,
        "steps": explain.steps,
        "seed": explain.seed,
        "task": config.label.resolved_task,
        "raw_of": raw_columns(config),
        "features": list(explain.features),
        "slices": [F.column_key(c) for c in slices],
    }


def explain(
    p: StageContext,
    trained: Trained,
    data: Ingested,
    transform_graph: Any = None,
    baseline_model: Any = None,
) -> Explained:
    """The Explainer on ``data``'s eval split; the Transform graph is the pipeline's Transform
    node's and the baseline model its baseline resolver's (evaluate()'s) unless given."""
    built = {c.id: c.outputs for c in getattr(p, "components", [])}
    if transform_graph is None:
        transform_graph = built.get(node_ids.TRANSFORM, {}).get("transform_graph")
    if baseline_model is None:
        baseline_model = built.get(node_ids.BASELINE_RESOLVER, {}).get("model")
    if transform_graph is None:
        raise PipelineDefinitionError(
            "explain() needs the Transform graph: call it after transform(), or pass "
            "transform_graph=transformed.graph"
        )
    node = p.add(
        Explainer(
            examples=data.examples,
            transform_graph=transform_graph,
            model=trained.model,
            settings=settings(p.config),
            baseline_model=baseline_model,
        ),
        EXPLAINER,
    )
    return Explained(explanation=node.outputs["explanation"])
