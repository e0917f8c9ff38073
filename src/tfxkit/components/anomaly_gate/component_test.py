"""AnomalyGate component: its spec, parameters, and an executor importable from the package."""

from __future__ import annotations

import json

from tfx import v1 as tfx
from tfx.types import standard_artifacts

from tfxkit.components.anomaly_gate import component, executor
from tfxkit.fingerprint import code_fingerprint


def test_spec_parameters_and_output() -> None:
    gate = component.AnomalyGate(
        statistics=tfx.dsl.Channel(type=standard_artifacts.ExampleStatistics),
        anomalies=tfx.dsl.Channel(type=standard_artifacts.ExampleAnomalies),
        schema=tfx.dsl.Channel(type=standard_artifacts.Schema),
        on_anomaly="warn",
        severity={"island": "ignore"},
        drift={"bill_length_mm": 0.2},
    )
    assert json.loads(gate.exec_properties["drift"]) == {"bill_length_mm": 0.2}
    assert "baseline_schema" not in gate.inputs  # optional: absent on a first run
    assert gate.exec_properties["on_anomaly"] == "warn"
    assert json.loads(gate.exec_properties["severity"]) == {"island": "ignore"}
    assert gate.exec_properties["code_fingerprint"] == code_fingerprint(executor.__name__)
    assert gate.outputs["gated_schema"].type == standard_artifacts.Schema


def test_renamed_and_empty_json_arguments() -> None:
    """``targets`` is passed as the ``target`` property; an empty ``skew`` leaves it unset."""
    gate = component.AnomalyGate(
        statistics=tfx.dsl.Channel(type=standard_artifacts.ExampleStatistics),
        anomalies=tfx.dsl.Channel(type=standard_artifacts.ExampleAnomalies),
        schema=tfx.dsl.Channel(type=standard_artifacts.Schema),
        targets=["species"],
        skew={},
    )
    assert json.loads(gate.exec_properties["target"]) == ["species"]
    assert "targets" not in gate.exec_properties
    assert gate.exec_properties.get("skew") is None
    assert gate.exec_properties["severity"] == "{}"


def test_executor_is_importable_by_path_from_the_package() -> None:
    spec = component.AnomalyGate.EXECUTOR_SPEC
    assert spec.executor_class.__module__ == "tfxkit.components.anomaly_gate.executor"


def test_default_checks_and_the_features_they_judge() -> None:
    """drift_check and skew_check are on (fail) unless said otherwise; ``checked`` is JSON."""
    channels = {
        "statistics": tfx.dsl.Channel(type=standard_artifacts.ExampleStatistics),
        "anomalies": tfx.dsl.Channel(type=standard_artifacts.ExampleAnomalies),
        "schema": tfx.dsl.Channel(type=standard_artifacts.Schema),
    }
    gate = component.AnomalyGate(**channels)
    assert gate.exec_properties["drift_check"] == gate.exec_properties["skew_check"] == "fail"
    assert gate.exec_properties.get("checked") is None  # the executor then judges every feature
    gate = component.AnomalyGate(**channels, drift_check="off", checked=["island", "species"])
    assert gate.exec_properties["drift_check"] == "off"
    assert json.loads(gate.exec_properties["checked"]) == ["island", "species"]
