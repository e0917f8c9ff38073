"""Optimize: quantize, prune and distill the trained model, each its own node and gate.

Each optimized model is measured against the original (size, parameters, latency, accuracy
on the eval split) and pushed only when its own gate passes *and* every gate of the original
passed (an optimization of an unblessed model is never pushed): quantized TFLite files to
``optimize.tflite_destination`` (default ``tflite/<model>-<mode>/<version>/`` next to the
serving base),
pruned and distilled SavedModels to the serving base as models of their own
(``<model>-pruned``, ``<model>-distilled``), so TF Serving serves them side by side.

With ``training.privacy`` every optimized push also waits on the privacy gate, as the plain
push does: a quantized DP model is pushed only under the epsilon bound. (Pruning, distillation
and int8 or quantization-aware quantization are refused with training.privacy at config load,
``config.privacy.optimization_problem``: they learn from the training rows without DP.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from tfx import v1 as tfx

from tfxkit.components.evaluator.component import Evaluator
from tfxkit.components.model_optimizer.component import Distiller, ModelPruner, ModelQuantizer
from tfxkit.config.privacy import trainer_view
from tfxkit.errors import PipelineDefinitionError
from tfxkit.pipeline.eval_config import build_optimized_eval_config
from tfxkit.pipeline.stages import node_ids
from tfxkit.pipeline.stages._base import StageContext, code_custom_config
from tfxkit.pipeline.stages.ingest import Ingested
from tfxkit.pipeline.stages.privacy import privacy_gate
from tfxkit.pipeline.stages.push import Pushed, push_model
from tfxkit.pipeline.stages.train import RUN_FN, Trained
from tfxkit.pipeline.stages.transform import Transformed


@dataclass(frozen=True)
class Optimized:
    """One entry per configured optimization: its model and its blessing."""

    models: dict[str, tfx.dsl.Channel] = field(default_factory=dict)
    # Every gate an optimized model must pass: its own measurement gate and, for SavedModels,
    # TFMA's verdict against the original.
    blessings: dict[str, list[tfx.dsl.Channel]] = field(default_factory=dict)
    # The model they were made from: with training.privacy its run is the privacy gate's input.
    trained: Trained | None = None


_COMPONENTS = {
    "quantize": (ModelQuantizer, node_ids.MODEL_QUANTIZER),
    "prune": (ModelPruner, node_ids.MODEL_PRUNER),
    "distill": (Distiller, node_ids.DISTILLER),
}


def optimize(
    p: StageContext, data: Ingested, trained: Trained, transformed: Transformed
) -> Optimized:
    config = p.config
    if config.optimize is None:
        raise PipelineDefinitionError(
            "optimize() needs an 'optimize' section in the config (quantize, prune, distill)"
        )
    custom_config = {
        **code_custom_config(config, RUN_FN),
        "model": config.model.model_dump(mode="json"),
        "training": trainer_view(config.training.model_dump(mode="json")),
    }
    result = Optimized(trained=trained)
    # The pruner before the quantizer: quantize.after_pruning quantizes the pruned model.
    for kind in ("prune", "distill", "quantize"):
        component, node_id = _COMPONENTS[kind]
        settings = getattr(config.optimize, kind)
        if settings is None:
            continue
        after_pruning = kind == "quantize" and settings.after_pruning
        node = p.add(
            component(
                model=result.models["prune"] if after_pruning else trained.model,
                baseline_model=trained.model if after_pruning else None,
                transform_graph=transformed.graph,
                examples=transformed.examples,
                settings={
                    kind: settings.model_dump(mode="json"),
                    "gate": config.optimize.gate.model_dump(mode="json"),
                    "custom_config": custom_config,
                },
            ),
            node_id,
        )
        result.models[kind] = node.outputs["optimized_model"]
        result.blessings[kind] = [node.outputs["blessing"]]
        if kind != "quantize":  # a SavedModel: TFMA judges it against the original too
            evaluator = p.add(
                Evaluator(
                    examples=data.examples,
                    model=node.outputs["optimized_model"],
                    baseline_model=trained.model,
                    eval_config=build_optimized_eval_config(
                        config, config.optimize.gate.max_accuracy_drop
                    ),
                ),
                node_ids.PRUNED_EVALUATOR if kind == "prune" else node_ids.DISTILLED_EVALUATOR,
            )
            result.blessings[kind].append(evaluator.outputs["blessing"])
    return result


def push_optimized(p: StageContext, optimized: Optimized, *gates: Any) -> dict[str, Pushed]:
    """Push each optimized model that passed its own gate and every gate in ``gates`` (and,
    with training.privacy, the privacy gate's: the one the plain push waits on)."""
    config = p.config
    if gates and config.training.privacy is not None:
        if optimized.trained is None:
            raise PipelineDefinitionError(
                "push_optimized(): with training.privacy the privacy gate needs the trained "
                "model's run; pass the result of optimize(), which carries it"
            )
        gates = (*gates, privacy_gate(p, optimized.trained))
    name = config.resolved_model_name
    # Default: a tflite folder next to the serving base (workspace/tflite; gs://b/tflite when a
    # runner profile puts the base at gs://b/serving), so remote runs write somewhere shared.
    serving_parent = os.path.dirname(config.resolved_serving_base.rstrip("/"))
    tflite_base = config.optimize.tflite_destination or os.path.join(serving_parent, "tflite")
    pushed = {}
    for kind, model in optimized.models.items():
        own_gates = optimized.blessings[kind]
        if kind == "quantize":
            pruned = "-pruned" if config.optimize.quantize.after_pruning else ""
            target = os.path.join(tflite_base, f"{name}{pruned}-{config.optimize.quantize.mode}")
            pushed[kind] = push_model(
                p, model, [*gates, *own_gates], node_id=node_ids.QUANTIZED_PUSHER,
                base_directory=target, serving_base=None, model_name=None,
            )  # fmt: skip
            continue
        suffix = "pruned" if kind == "prune" else "distilled"
        node_id = node_ids.PRUNED_PUSHER if kind == "prune" else node_ids.DISTILLED_PUSHER
        pushed[kind] = push_model(
            p, model, [*gates, *own_gates], node_id=node_id,
            base_directory=os.path.join(config.resolved_serving_base, f"{name}-{suffix}"),
            serving_base=config.resolved_serving_base, model_name=f"{name}-{suffix}",
        )  # fmt: skip
    return pushed
