"""ModelQuantizer, ModelPruner, Distiller: one spec, three executors, settings as JSON."""

from __future__ import annotations

import json

import pytest
from tfx import v1 as tfx
from tfx.types import standard_artifacts

from tfxkit.components.model_optimizer import component, executor
from tfxkit.fingerprint import code_fingerprint


@pytest.mark.parametrize(
    ("cls", "executor_class", "kind"),
    [
        (component.ModelQuantizer, executor.QuantizerExecutor, "quantize"),
        (component.ModelPruner, executor.PrunerExecutor, "prune"),
        (component.Distiller, executor.DistillerExecutor, "distill"),
    ],
)
def test_each_component_runs_its_own_executor(cls, executor_class, kind) -> None:
    node = cls(
        model=tfx.dsl.Channel(type=standard_artifacts.Model),
        transform_graph=tfx.dsl.Channel(type=standard_artifacts.TransformGraph),
        examples=tfx.dsl.Channel(type=standard_artifacts.Examples),
        settings={kind: {}, "gate": {"max_accuracy_drop": 1.0}, "custom_config": {}},
    )
    assert node.executor_spec.executor_class is executor_class
    assert issubclass(executor_class, executor.Executor) and executor_class.kind == kind
    assert json.loads(node.exec_properties["settings"])["gate"]["max_accuracy_drop"] == 1.0
    assert node.outputs["optimized_model"].type == standard_artifacts.Model
    assert node.outputs["blessing"].type == standard_artifacts.ModelBlessing
    assert node.exec_properties["code_fingerprint"] == code_fingerprint(executor.__name__)
