"""Fairness: a gate on rate gaps between slices of sensitive columns (``config.fairness``).

Its blessing is one more gate for the push stage: the model is pushed only when the
Evaluator's blessing and this one both say yes (``push(trained, evaluated, judged)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tfx import v1 as tfx

from tfxkit.components.fairness_gate.component import FairnessGate
from tfxkit.config import features as F
from tfxkit.errors import PipelineDefinitionError
from tfxkit.pipeline.stages import node_ids
from tfxkit.pipeline.stages._base import StageContext
from tfxkit.pipeline.stages.evaluate import Evaluated
from tfxkit.pipeline.stages.train import Trained


@dataclass(frozen=True)
class Judged:
    blessing: tfx.dsl.Channel


def fairness(p: StageContext, trained: Trained, evaluated: Evaluated) -> Judged:
    settings = p.config.fairness
    if settings is None:
        raise PipelineDefinitionError(
            "fairness() needs a 'fairness' section in the config (sensitive_features, metrics)"
        )
    gate = p.add(
        FairnessGate(
            evaluation=evaluated.evaluation,
            model=trained.model,
            settings={
                "sensitive_features": [F.column_key(c) for c in settings.sensitive_features],
                "metrics": {
                    str(name): bound.model_dump(exclude_none=True)
                    for name, bound in settings.metrics.items()
                },
                "reference": {F.column_key(k): v for k, v in settings.reference.items()},
                "min_slice_size": settings.min_slice_size,
                "min_rate_examples": settings.min_rate_examples,
                "decision_threshold": settings.decision_threshold,
            },
        ),
        node_ids.FAIRNESS_GATE,
    )
    return Judged(blessing=gate.outputs["blessing"])
