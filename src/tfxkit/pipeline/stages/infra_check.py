"""Infra check: before the push, prove the model serves (``components/infra_check``).

The push stage adds it when ``push.infra_check`` is on (the default), from the evaluate stage's
result among the push's gates: the same examples the Evaluator read (their eval split) and
the Evaluator's evaluation (which signature it called). Its blessing is one more gate of the
push; its ``infra_blessing`` is a regular input of the pusher, which copies the checked requests
into the pushed version as TF Serving's warm-up file. Optimized models are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfx import v1 as tfx

from tfxkit.components.infra_check.component import InfraCheck
from tfxkit.errors import PipelineDefinitionError
from tfxkit.pipeline.stages import node_ids
from tfxkit.pipeline.stages._base import StageContext
from tfxkit.pipeline.stages.train import Trained

EVAL_SPLIT = "eval"  # the split TFX's Evaluator reads by default (tfxkit sets no other)


@dataclass(frozen=True)
class Checked:
    blessing: tfx.dsl.Channel
    infra_blessing: tfx.dsl.Channel


def evaluated_gate(gates: tuple[Any, ...] | list[Any]) -> Any:
    """The evaluate stage's result among a push's gates (it has the examples and evaluation)."""
    for gate in gates:
        if getattr(gate, "examples", None) is not None and hasattr(gate, "evaluation"):
            return gate
    raise PipelineDefinitionError(
        "push.infra_check needs the evaluate stage's result among push()'s gates (the check "
        "sends its examples and compares with its model's predictions): "
        "p.push(trained, p.evaluate(data, trained), ...); or set push.infra_check: false"
    )


def infra_check(p: StageContext, trained: Trained, evaluated: Any) -> Checked:
    settings = p.config.push.infra_check
    node = p.add(
        InfraCheck(
            examples=evaluated.examples,
            model=trained.model,
            evaluation=evaluated.evaluation,
            settings={
                "examples": settings.examples,
                "timeout_s": settings.timeout_s,
                "split": EVAL_SPLIT,
                "model_name": p.config.resolved_model_name,
            },
        ),
        node_ids.INFRA_CHECK,
    )
    infra_blessing = node.outputs["infra_blessing"]
    return Checked(blessing=infra_blessing, infra_blessing=infra_blessing)
