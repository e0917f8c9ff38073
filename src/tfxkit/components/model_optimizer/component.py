"""ModelQuantizer, ModelPruner and Distiller: three components with one spec shape.

Why one package for three components: they take the same inputs (the trained model, the
Transform graph and the transformed examples), write the same outputs (an optimized model and
a blessing whose ``optimization.json`` holds the side-by-side report) and share the measuring
and gating code; only the optimization differs (``executor``). Each is its own node, so the
three run independently and each optimized model is pushed (or not) on its own gate.

Modelled on TFX's ``tfx/components/pusher/component.py`` (spec + class + executor).
"""

from __future__ import annotations

from typing import Any

from tfx import types
from tfx.types import standard_artifacts

from tfxkit.components.model_optimizer import executor
from tfxkit.components.specs import SettingsSpec, SpecComponent, as_json, channels
from tfxkit.components.verdicts import PASSED_PROPERTY


class ModelOptimizerSpec(SettingsSpec):
    """Settings: the optimization's, the gate's bounds, and the Trainer's custom_config
    (features, label, model) that rebuilds and re-exports the Keras model."""

    INPUTS = channels(
        {
            executor.MODEL_KEY: standard_artifacts.Model,
            executor.TRANSFORM_GRAPH_KEY: standard_artifacts.TransformGraph,
            executor.EXAMPLES_KEY: standard_artifacts.Examples,
        },
        # The model the report and gate compare with (default: ``model``); the trained model
        # when ``model`` is itself an optimized one (quantizing a pruned model).
        optional={executor.BASELINE_MODEL_KEY: standard_artifacts.Model},
    )
    OUTPUTS = channels(
        {
            executor.OPTIMIZED_MODEL_KEY: standard_artifacts.Model,
            executor.BLESSING_KEY: standard_artifacts.ModelBlessing,
        }
    )


class _ModelOptimizer(SpecComponent, spec=ModelOptimizerSpec):
    GATE_PROPERTY = PASSED_PROPERTY  # what a push's condition tests (verdicts.passed_property)

    def __init__(
        self,
        model: types.BaseChannel,
        transform_graph: types.BaseChannel,
        examples: types.BaseChannel,
        settings: dict[str, Any],
        baseline_model: types.BaseChannel | None = None,
    ) -> None:
        super().__init__(locals(), settings=as_json(settings))


class ModelQuantizer(_ModelOptimizer, executor=executor.QuantizerExecutor):
    """Post-training quantization to TFLite (dynamic, float16, int8), measured and gated."""


class ModelPruner(_ModelOptimizer, executor=executor.PrunerExecutor):
    """Magnitude pruning with fine-tuning; a SavedModel with the Trainer's signatures."""


class Distiller(_ModelOptimizer, executor=executor.DistillerExecutor):
    """A smaller student trained on the teacher's softened outputs; the Trainer's signatures."""
