"""FairnessGate component: a model is pushed only if its rates are close enough across slices.

Why: TFX 1.16's Evaluator computes metrics per slice but never turns a gap between slices into
a blessing decision (and Fairness Indicators no longer installs with this stack), so nothing
stopped an unfair model. This gate reads the Evaluator's output (the confusion matrix at the
decision threshold for every slice of each sensitive feature) and blesses the model only when
every judged slice is within its configured difference / ratio bound (``gaps``). The push
stage puts its blessing next to the Evaluator's: the model is pushed only when both say yes.

Modelled on TFX's ``tfx/components/pusher/component.py`` (spec + class + executor).
"""

from __future__ import annotations

import json
from typing import Any

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from tfxkit.components.fairness_gate import executor
from tfxkit.components.verdicts import component_spec, fingerprinted


class FairnessGateSpec(types.ComponentSpec):
    """Evaluation + model in; a ``ModelBlessing`` with ``blessed`` and ``reason`` out."""

    PARAMETERS = fingerprinted(
        # JSON: sensitive_features (feature keys), metrics, reference, min_slice_size,
        # decision_threshold (see gaps.judge).
        {executor.SETTINGS_KEY: ExecutionParameter(type=str)}
    )
    INPUTS = {
        executor.EVALUATION_KEY: ChannelParameter(type=standard_artifacts.ModelEvaluation),
        executor.MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
    }
    OUTPUTS = {executor.BLESSING_KEY: ChannelParameter(type=standard_artifacts.ModelBlessing)}


class FairnessGate(base_component.BaseComponent):
    """Blesses a model only when rate gaps between sensitive slices are within bounds."""

    SPEC_CLASS = FairnessGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        evaluation: types.BaseChannel,
        model: types.BaseChannel,
        settings: dict[str, Any],
    ) -> None:
        settings_json = json.dumps(settings, sort_keys=True)
        super().__init__(
            spec=component_spec(
                type(self), evaluation=evaluation, model=model, settings=settings_json
            )
        )
