"""Train: Keras on the transformed examples; exports raw-feature serving signatures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfx import v1 as tfx

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.config.privacy import trainer_view
from tfxkit.pipeline.stages import node_ids
from tfxkit.pipeline.stages._base import StageContext, code_custom_config
from tfxkit.pipeline.stages.transform import Transformed
from tfxkit.pipeline.stages.validate import Validated

RUN_FN = "tfxkit.training.keras_trainer.run_fn"
TUNER_FN = "tfxkit.training.tuning.tuner_fn"


@dataclass(frozen=True)
class Trained:
    model: tfx.dsl.Channel
    model_run: tfx.dsl.Channel


def _model_config(cfg: PipelineConfig) -> dict[str, Any]:
    """What the tuner's trials and the trainer both build their model from (not the privacy
    gate's bound: a new bound re-judges the trained model, it does not retrain it)."""
    return {
        "model": cfg.model.model_dump(mode="json"),
        "training": trainer_view(cfg.training.model_dump(mode="json")),
    }


def _training_inputs(
    transformed: Transformed, validated: Validated, cfg: PipelineConfig, train_steps: int
) -> dict[str, Any]:
    """The data the Tuner and the Trainer read: a search must see what training will."""
    return {
        "examples": transformed.examples,
        "transform_graph": transformed.graph,
        "schema": validated.schema,
        "train_args": tfx.proto.TrainArgs(num_steps=train_steps),
        "eval_args": tfx.proto.EvalArgs(num_steps=cfg.training.eval_steps),
    }


def train(p: StageContext, transformed: Transformed, validated: Validated) -> Trained:
    cfg = p.config
    run_fn = cfg.training.run_fn or RUN_FN
    custom_config = {**code_custom_config(cfg, run_fn), **_model_config(cfg)}
    hyperparameters = None
    if cfg.tuning:
        tuner = p.add(
            tfx.components.Tuner(
                **_training_inputs(transformed, validated, cfg, cfg.tuning.train_steps),
                tuner_fn=TUNER_FN,
                custom_config={
                    **code_custom_config(cfg, TUNER_FN),
                    **_model_config(cfg),
                    "tuning": cfg.tuning.model_dump(mode="json"),
                },
            ),
            node_ids.TUNER,
        )
        hyperparameters = tuner.outputs["best_hyperparameters"]
    base_model = None
    if cfg.training.warm_start:
        resolver = p.add(p.target.warm_start_resolver(), node_ids.WARM_START_RESOLVER)
        base_model = resolver.outputs["model"]
    trainer_class = tfx.components.Trainer
    if p.target.trainer_custom_job:  # Vertex worker pools from the runner profile
        trainer_class = tfx.extensions.google_cloud_ai_platform.Trainer
        custom_config.update(p.target.trainer_custom_job)
    trainer = trainer_class(
        **_training_inputs(transformed, validated, cfg, cfg.training.train_steps),
        run_fn=run_fn,
        base_model=base_model,
        hyperparameters=hyperparameters,
        custom_config=custom_config,
    )
    node = p.add(trainer, node_ids.TRAINER)
    return Trained(model=node.outputs["model"], model_run=node.outputs["model_run"])
