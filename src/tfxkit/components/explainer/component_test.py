"""Explainer component: its spec, settings and output type (what ML Metadata records)."""

from __future__ import annotations

import json

from tfx import v1 as tfx
from tfx.types import standard_artifacts

from tfxkit.components.explainer import component, executor
from tfxkit.components.explainer.verdict import ExplanationVerdict
from tfxkit.fingerprint import code_fingerprint


def test_spec_settings_and_explanation_output() -> None:
    node = component.Explainer(
        examples=tfx.dsl.Channel(type=standard_artifacts.Examples),
        transform_graph=tfx.dsl.Channel(type=standard_artifacts.TransformGraph),
        model=tfx.dsl.Channel(type=standard_artifacts.Model),
        settings={"method": "integrated_gradients", "slices": ["sex"]},
    )
    assert json.loads(node.exec_properties["settings"])["slices"] == ["sex"]
    output = node.outputs["explanation"].type
    assert output.TYPE_NAME == ExplanationVerdict.ARTIFACT_TYPE == "TfxkitExplanation"
    assert node.exec_properties["code_fingerprint"] == code_fingerprint(executor.__name__)
