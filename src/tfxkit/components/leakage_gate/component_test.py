"""LeakageGate component: its spec, settings and output type (its place in the pipeline:
``tests/unit/test_dsl.py``)."""

from __future__ import annotations

import json

from tfx import v1 as tfx
from tfx.types import standard_artifacts

from tfxkit.components.leakage_gate import component, executor
from tfxkit.fingerprint import code_fingerprint


def test_spec_settings_and_schema_output() -> None:
    gate = component.LeakageGate(
        examples=tfx.dsl.Channel(type=standard_artifacts.Examples),
        statistics=tfx.dsl.Channel(type=standard_artifacts.ExampleStatistics),
        schema=tfx.dsl.Channel(type=standard_artifacts.Schema),
        settings={"action": "fail", "features": ["a"], "label": "y", "task": "binary"},
    )
    assert json.loads(gate.exec_properties["settings"])["action"] == "fail"
    assert gate.outputs["gated_schema"].type == standard_artifacts.Schema
    assert gate.exec_properties["code_fingerprint"] == code_fingerprint(executor.__name__)
