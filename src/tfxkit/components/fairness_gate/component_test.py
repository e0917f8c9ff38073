"""FairnessGate component: its spec, settings and output type."""

from __future__ import annotations

import json

from tfx import v1 as tfx
from tfx.types import standard_artifacts

from tfxkit.components.fairness_gate import component, executor
from tfxkit.fingerprint import code_fingerprint


def test_spec_settings_and_blessing_output() -> None:
    gate = component.FairnessGate(
        evaluation=tfx.dsl.Channel(type=standard_artifacts.ModelEvaluation),
        model=tfx.dsl.Channel(type=standard_artifacts.Model),
        settings={"sensitive_features": ["sex"], "metrics": {"true_positive_rate": {}}},
    )
    assert json.loads(gate.exec_properties["settings"])["sensitive_features"] == ["sex"]
    assert gate.outputs["blessing"].type == standard_artifacts.ModelBlessing
    assert gate.exec_properties["code_fingerprint"] == code_fingerprint(executor.__name__)
