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

from typing import Any

from tfx import types
from tfx.types import standard_artifacts

from tfxkit.components.fairness_gate import executor
from tfxkit.components.specs import SettingsSpec, SpecComponent, as_json, channels
from tfxkit.components.verdicts import PASSED_PROPERTY


class FairnessGateSpec(SettingsSpec):
    """Evaluation + model in; a ``ModelBlessing`` with ``blessed`` and ``reason`` out. Settings:
    sensitive_features (feature keys), metrics, reference, min_slice_size, decision_threshold
    (see ``gaps.judge``)."""

    INPUTS = channels(
        {
            executor.EVALUATION_KEY: standard_artifacts.ModelEvaluation,
            executor.MODEL_KEY: standard_artifacts.Model,
        }
    )
    OUTPUTS = channels({executor.BLESSING_KEY: standard_artifacts.ModelBlessing})


class FairnessGate(SpecComponent, spec=FairnessGateSpec, executor=executor.Executor):
    """Blesses a model only when rate gaps between sensitive slices are within bounds."""

    GATE_PROPERTY = PASSED_PROPERTY  # what a push's condition tests (verdicts.passed_property)

    def __init__(
        self, evaluation: types.BaseChannel, model: types.BaseChannel, settings: dict[str, Any]
    ) -> None:
        super().__init__(locals(), settings=as_json(settings))
