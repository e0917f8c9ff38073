"""Evaluator component: TFX's parameters plus min_slice_size, and an importable executor."""

from __future__ import annotations

import tensorflow_model_analysis as tfma
from tfx import v1 as tfx
from tfx.types import standard_artifacts, standard_component_specs

from tfxkit.components.evaluator import component, executor
from tfxkit.fingerprint import code_fingerprint


def test_spec_keeps_tfx_parameters_and_adds_min_slice_size() -> None:
    evaluator = component.Evaluator(
        examples=tfx.dsl.Channel(type=standard_artifacts.Examples),
        model=tfx.dsl.Channel(type=standard_artifacts.Model),
        eval_config=tfma.EvalConfig(),
        min_slice_size=25,
    )
    assert evaluator.exec_properties["min_slice_size"] == 25
    assert evaluator.exec_properties["code_fingerprint"] == code_fingerprint(executor.__name__)
    assert set(standard_component_specs.EvaluatorSpec.PARAMETERS) < set(
        component.EvaluatorSpec.PARAMETERS
    )
    assert evaluator.outputs["blessing"].type == standard_artifacts.ModelBlessing
    assert evaluator.outputs["evaluation"].type == standard_artifacts.ModelEvaluation


def test_executor_is_tfx_evaluator_executor_importable_from_the_package() -> None:
    from tfx.components.evaluator import executor as tfx_executor

    spec = component.Evaluator.EXECUTOR_SPEC
    assert spec.executor_class.__module__ == "tfxkit.components.evaluator.executor"
    assert issubclass(spec.executor_class, tfx_executor.Executor)
