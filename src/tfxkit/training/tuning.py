"""The ``tuner_fn`` TFX's Tuner calls: random search over ``tuning.search_space``.

Why a BaseTuner subclass rather than KerasTuner's RandomSearch: KerasTuner 1.4 drives Keras 3,
while tfxkit's models are tf_keras (what TF Transform's layer and TFMA need); a trial here builds
the model with tfxkit's ``build_model`` and fits it with tf_keras itself, and only the oracle
(which values to try next) is KerasTuner's. The objective is the validation loss.
"""

from __future__ import annotations

from typing import Any

import keras_tuner
import tensorflow_transform as tft
from tfx import v1 as tfx

from tfxkit.config import features as F
from tfxkit.training import keras_trainer

OBJECTIVE = "val_loss"


def _encode(value: Any) -> Any:
    """KerasTuner choices are scalars: hidden_units [16, 8] travels as "16,8"."""
    return ",".join(str(v) for v in value) if isinstance(value, list) else value


class ConfigTuner(keras_tuner.engine.base_tuner.BaseTuner):
    """Each trial: tfxkit's model with the trial's values, fitted with tf_keras."""

    def __init__(self, custom_config: dict[str, Any], transform_output: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._config = custom_config
        self._transform = tft.TFTransformOutput(transform_output)

    def run_trial(self, trial, train_dataset, eval_dataset, steps, eval_steps):
        cfg = dict(self._config)
        cfg["model"] = keras_trainer.apply_hyperparameters(
            cfg["model"], trial.hyperparameters.values
        )
        model = keras_trainer.build_model(cfg, self._transform)
        history = model.fit(
            train_dataset,
            steps_per_epoch=steps,
            validation_data=eval_dataset,
            validation_steps=eval_steps,
            epochs=1,
            verbose=0,
        )
        loss = float(history.history[OBJECTIVE][-1])
        print(f"[tfxkit] trial {trial.trial_id}: {trial.hyperparameters.values} -> {loss:.4f}")
        return {OBJECTIVE: loss}

    def save_model(self, trial_id, model, step=0):  # trials are compared, not kept
        return None

    def load_model(self, trial):
        raise NotImplementedError("tuning trials keep no model; the Trainer trains the best")


def tuner_fn(fn_args: tfx.components.FnArgs) -> tfx.components.TunerFnResult:
    """TFX Tuner entry point (``tfxkit.training.tuning.tuner_fn``)."""
    cfg = fn_args.custom_config
    tuning = cfg["tuning"]
    hp = keras_tuner.HyperParameters()
    for name, values in tuning["search_space"].items():
        if values is not None:
            hp.Choice(name, [_encode(v) for v in values])
    oracle = keras_tuner.oracles.RandomSearchOracle(
        objective=keras_tuner.Objective(OBJECTIVE, "min"),
        max_trials=tuning["max_trials"],
        hyperparameters=hp,
        seed=cfg["training"]["seed"],
    )
    tuner = ConfigTuner(
        cfg,
        fn_args.transform_graph_path,
        oracle=oracle,
        directory=fn_args.working_dir,
        project_name="tfxkit_tuning",
    )
    transform_output = tft.TFTransformOutput(fn_args.transform_graph_path)
    label_key = F.transformed_name(cfg["label"]["key"])
    batch = cfg["training"]["batch_size"]
    datasets = [
        keras_trainer.input_fn(files, fn_args.data_accessor, transform_output, label_key, batch)
        for files in (fn_args.train_files, fn_args.eval_files)
    ]
    return tfx.components.TunerFnResult(
        tuner=tuner,
        fit_kwargs={
            "train_dataset": datasets[0],
            "eval_dataset": datasets[1],
            "steps": fn_args.train_steps,
            "eval_steps": fn_args.eval_steps,
        },
    )
