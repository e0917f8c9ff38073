"""ModelQuantizer, ModelPruner and Distiller: three components with one spec shape.

Why one package for three components: they take the same inputs (the trained model, the
Transform graph and the transformed examples), write the same outputs (an optimized model and
a blessing whose ``optimization.json`` holds the side-by-side report) and share the measuring
and gating code; only the optimization differs (``executor``). Each is its own node, so the
three run independently and each optimized model is pushed (or not) on its own gate.

Modelled on TFX's ``tfx/components/pusher/component.py`` (spec + class + executor).
"""

from __future__ import annotations

import json
from typing import Any

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from tfxkit.components.model_optimizer import executor
from tfxkit.components.verdicts import component_spec, fingerprinted


class ModelOptimizerSpec(types.ComponentSpec):
    PARAMETERS = fingerprinted(
        # JSON: the optimization's settings, the gate's bounds, and the Trainer's custom_config
        # (features, label, model) that rebuilds and re-exports the Keras model.
        {executor.SETTINGS_KEY: ExecutionParameter(type=str)}
    )
    INPUTS = {
        executor.MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
        executor.TRANSFORM_GRAPH_KEY: ChannelParameter(type=standard_artifacts.TransformGraph),
        executor.EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        # The model the report and gate compare with (default: ``model``); the trained model
        # when ``model`` is itself an optimized one (quantizing a pruned model).
        executor.BASELINE_MODEL_KEY: ChannelParameter(type=standard_artifacts.Model, optional=True),
    }
    OUTPUTS = {
        executor.OPTIMIZED_MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
        executor.BLESSING_KEY: ChannelParameter(type=standard_artifacts.ModelBlessing),
    }


class _ModelOptimizer(base_component.BaseComponent):
    SPEC_CLASS = ModelOptimizerSpec

    def __init__(
        self,
        model: types.BaseChannel,
        transform_graph: types.BaseChannel,
        examples: types.BaseChannel,
        settings: dict[str, Any],
        baseline_model: types.BaseChannel | None = None,
    ) -> None:
        spec = component_spec(
            type(self),
            model=model,
            baseline_model=baseline_model,
            transform_graph=transform_graph,
            examples=examples,
            settings=json.dumps(settings, sort_keys=True),
        )
        super().__init__(spec=spec)


class ModelQuantizer(_ModelOptimizer):
    """Post-training quantization to TFLite (dynamic, float16, int8), measured and gated."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.QuantizerExecutor)


class ModelPruner(_ModelOptimizer):
    """Magnitude pruning with fine-tuning; a SavedModel with the Trainer's signatures."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.PrunerExecutor)


class Distiller(_ModelOptimizer):
    """A smaller student trained on the teacher's softened outputs; the Trainer's signatures."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.DistillerExecutor)
