"""PrivacyGate component: a DP-SGD model is pushed only when its epsilon is within the bound.

Why a gate of its own: the budget is a property of how the model was trained (the Trainer's
``ModelRun/privacy.json``), not of its metrics, so neither the Evaluator nor the fairness gate
can see it; its verdict (epsilon, delta, the membership attack) lands in ML Metadata where the
run summary and the model card read it. The push stage adds it when ``training.privacy`` is set
(and the optimized pushes wait on it too). The bound, ``target_epsilon``, is the gate's own
setting, never the Trainer's: a new bound re-judges the trained model without retraining it.
"""

from __future__ import annotations

from typing import Any

from tfx import types
from tfx.types import standard_artifacts

from tfxkit.components.privacy_gate import executor
from tfxkit.components.specs import SettingsSpec, SpecComponent, as_json, channels
from tfxkit.components.verdicts import PASSED_PROPERTY


class PrivacyGateSpec(SettingsSpec):
    INPUTS = channels({executor.MODEL_RUN_KEY: standard_artifacts.ModelRun})
    OUTPUTS = channels({executor.BLESSING_KEY: standard_artifacts.ModelBlessing})


class PrivacyGate(SpecComponent, spec=PrivacyGateSpec, executor=executor.Executor):
    """Blesses a model only when its recorded epsilon is at most ``target_epsilon``."""

    GATE_PROPERTY = PASSED_PROPERTY  # what a push's condition tests (verdicts.passed_property)

    def __init__(self, model_run: types.BaseChannel, settings: dict[str, Any]) -> None:
        super().__init__(locals(), settings=as_json(settings))
