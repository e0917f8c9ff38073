"""Evaluate: TFMA against the latest blessed model (if any); the blessing gates the push.

tfxkit's Evaluator (``components/evaluator``) is TFX's, plus a minimum slice size: with
``evaluation.thresholds_on_slices``, a slice under ``min_slice_size`` is "too small to judge".
"""

from __future__ import annotations

from dataclasses import dataclass

from tfx import v1 as tfx

from tfxkit.components.evaluator.component import Evaluator
from tfxkit.pipeline.eval_config import build_eval_config
from tfxkit.pipeline.stages import node_ids
from tfxkit.pipeline.stages._base import StageContext
from tfxkit.pipeline.stages.ingest import Ingested
from tfxkit.pipeline.stages.train import Trained


@dataclass(frozen=True)
class Evaluated:
    blessing: tfx.dsl.Channel
    evaluation: tfx.dsl.Channel
    baseline_model: tfx.dsl.Channel
    examples: tfx.dsl.Channel | None = None  # what was evaluated (the infra check sends them)


def evaluate(p: StageContext, data: Ingested, trained: Trained) -> Evaluated:
    evaluation = p.config.evaluation
    baseline = p.add(p.target.baseline_resolver(trained.model), node_ids.BASELINE_RESOLVER)
    evaluator = p.add(
        Evaluator(
            examples=data.examples,
            model=trained.model,
            baseline_model=baseline.outputs["model"],
            eval_config=build_eval_config(p.config),
            min_slice_size=evaluation.min_slice_size if evaluation.thresholds_on_slices else 0,
            bless=evaluation.bless if evaluation.bless != "thresholds" else None,
        ),
        node_ids.EVALUATOR,
    )
    return Evaluated(
        blessing=evaluator.outputs["blessing"],
        evaluation=evaluator.outputs["evaluation"],
        baseline_model=baseline.outputs["model"],
        examples=data.examples,
    )
