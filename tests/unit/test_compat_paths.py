"""Compiled pipelines name classes by module path; a spec compiled by an earlier tfxkit must keep
importing after modules move (``tfxkit.resolvers`` moved to ``tfxkit.pipeline.resolvers`` in 0.2).

The list is every class path that tfxkit 0.1's golden IR and specs wrote (``grep -ohE
'tfxkit\\.[a-z_.]+[A-Z]\\w+' tests/golden`` at 0.1); TFX loads them with the same helper here.
"""

from __future__ import annotations

import pytest
from tfx.utils import import_utils

PATHS_WRITTEN_BY_0_1 = [
    "tfxkit.components.anomaly_gate.component.AnomalyGate",
    "tfxkit.components.anomaly_gate.executor.Executor",
    "tfxkit.components.csv_example_gen.component.CsvExampleGen",
    "tfxkit.components.csv_example_gen.executor.Executor",
    "tfxkit.components.evaluator.component.Evaluator",
    "tfxkit.components.evaluator.executor.Executor",
    "tfxkit.components.fairness_gate.component.FairnessGate",
    "tfxkit.components.fairness_gate.executor.Executor",
    "tfxkit.components.model_optimizer.component.Distiller",
    "tfxkit.components.model_optimizer.component.ModelPruner",
    "tfxkit.components.model_optimizer.component.ModelQuantizer",
    "tfxkit.components.model_optimizer.executor.DistillerExecutor",
    "tfxkit.components.model_optimizer.executor.PrunerExecutor",
    "tfxkit.components.model_optimizer.executor.QuantizerExecutor",
    "tfxkit.components.model_pusher.component.ModelPusher",
    "tfxkit.components.model_pusher.executor.Executor",
    "tfxkit.resolvers.PreviousApprovedSchemaStrategy",
    "tfxkit.resolvers.PreviousBlessedModelStrategy",
]
FUNCTIONS_WRITTEN_BY_0_1 = [
    "tfxkit.training.keras_trainer.run_fn",
    "tfxkit.transform.preprocessing.preprocessing_fn",
]


@pytest.mark.parametrize("path", PATHS_WRITTEN_BY_0_1)
def test_class_path_from_an_old_spec_still_imports(path: str) -> None:
    assert isinstance(import_utils.import_class_by_path(path), type)


@pytest.mark.parametrize("path", FUNCTIONS_WRITTEN_BY_0_1)
def test_function_path_from_an_old_spec_still_imports(path: str) -> None:
    module, _, name = path.rpartition(".")
    assert callable(import_utils.import_func_from_module(module, name))


def test_the_old_resolver_path_is_the_same_class_as_the_new() -> None:
    from tfxkit import resolvers
    from tfxkit.pipeline import resolvers as moved

    assert resolvers.PreviousBlessedModelStrategy is moved.PreviousBlessedModelStrategy
    assert resolvers.PreviousApprovedSchemaStrategy is moved.PreviousApprovedSchemaStrategy
