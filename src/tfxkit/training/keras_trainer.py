"""The ``run_fn`` TFX's Trainer calls: a small Keras DNN over TF Transform outputs.

What ``run_fn`` adds to the model (``tfxkit.training.model``) and the export
(``tfxkit.training.export``, raw-feature serving signatures): the input datasets, the
distribution strategy, the Tuner's hyperparameters, warm start and the training callbacks.
``build_model`` and its helpers stay importable from here for custom trainers.

Uses ``tf_keras`` (Keras 2) because TF Transform's Keras layer and TFMA 0.47 are built on it.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from tfx import v1 as tfx
from tfx_bsl.public import tfxio

from tfxkit.config import features as F
from tfxkit.training.export import save_serving_model, set_signature_methods
from tfxkit.training.history import HistoryWriter
from tfxkit.training.model import apply_hyperparameters, build_model, category_depth
from tfxkit.training.strategies import describe, make_strategy, split_cpu

__all__ = [
    "apply_hyperparameters",
    "build_model",
    "category_depth",
    "input_fn",
    "resumable_callbacks",
    "run_fn",
    "set_signature_methods",
]


def input_fn(
    file_pattern: list[str],
    data_accessor: tfx.components.DataAccessor,
    tf_transform_output: tft.TFTransformOutput,
    label_key: str,
    batch_size: int,
) -> tf.data.Dataset:
    dataset = data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(batch_size=batch_size, label_key=label_key),
        tf_transform_output.transformed_metadata.schema,
    )

    def with_weight(features: dict[str, tf.Tensor], label: tf.Tensor):
        features = dict(features)
        weight = features.pop(F.LABEL_WEIGHT, None)
        if weight is None:
            return features, label
        return features, label, tf.reshape(weight, [-1])

    return (
        dataset.map(with_weight, num_parallel_calls=tf.data.AUTOTUNE)
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )


def _label_stats(dataset: tf.data.Dataset, batches: int = 50) -> tuple[float, float]:
    """Mean and standard deviation of the present labels in the first batches."""
    total = count = squares = 0.0
    for batch in dataset.take(batches):
        label, weight = tf.reshape(batch[1], [-1]), tf.reshape(batch[2], [-1])
        label = tf.cast(label, tf.float64)
        weight = tf.cast(weight, tf.float64)
        total += float(tf.reduce_sum(label * weight))
        squares += float(tf.reduce_sum(label * label * weight))
        count += float(tf.reduce_sum(weight))
    if count == 0:
        return 0.0, 1.0
    mean = total / count
    return mean, max((squares / count - mean * mean) ** 0.5, 1e-6)


def _warm_start(model: keras.Model, base_model_dir: str | None) -> None:
    """Copy the blessed model's weights, layer by layer, when every shape matches."""
    if not base_model_dir:
        print("[tfxkit] warm start: no blessed model yet; training from scratch", flush=True)
        return
    base = keras.models.load_model(base_model_dir, compile=False)
    ours, theirs = model.get_weights(), base.get_weights()
    shapes = [w.shape for w in ours] == [w.shape for w in theirs]
    if not shapes:
        print(
            f"[tfxkit] warm start: {base_model_dir} has other layers (features or model "
            "changed); training from scratch",
            flush=True,
        )
        return
    model.set_weights(theirs)
    print(f"[tfxkit] warm start: weights from {base_model_dir}", flush=True)


def resumable_callbacks(strategy_name: str, run_dir: str) -> list[keras.callbacks.Callback]:
    """BackupAndRestore for strategies whose workers can die mid-job (multi-worker, parameter
    server): a restarted worker (Vertex and Kubeflow restart the pod within the same job, so the
    same run directory) resumes from the last finished epoch instead of starting over."""
    if strategy_name not in ("multi_worker_mirrored", "parameter_server"):
        return []
    return [keras.callbacks.BackupAndRestore(backup_dir=f"{run_dir}/backup")]


def run_fn(fn_args: tfx.components.FnArgs) -> None:
    """TFX Trainer entry point (referenced as ``tfxkit.training.keras_trainer.run_fn``)."""
    cfg = fn_args.custom_config
    training = cfg["training"]
    if fn_args.hyperparameters:  # the Tuner's best values (tuning section)
        values = fn_args.hyperparameters.get("values", {})
        cfg = {**cfg, "model": apply_hyperparameters(cfg["model"], values)}
        print(f"[tfxkit] training with the Tuner's best hyperparameters: {values}", flush=True)
    split_cpu(training.get("cpu_devices", 1))  # local runs did it before TF started
    strategy = make_strategy(training["strategy"], training.get("accelerator", "auto"))
    global_batch = training["batch_size"] * strategy.num_replicas_in_sync
    print(
        f"[tfxkit] training with strategy {training['strategy']}: {describe(strategy)}; "
        f"global batch {global_batch}",
        flush=True,
    )
    keras.utils.set_random_seed(training["seed"])
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    label_key = F.transformed_name(cfg["label"]["key"])
    train_ds = input_fn(
        fn_args.train_files, fn_args.data_accessor, tf_transform_output, label_key, global_batch
    )
    eval_ds = input_fn(
        fn_args.eval_files, fn_args.data_accessor, tf_transform_output, label_key, global_batch
    )
    if cfg["label"]["task"] == "regression":
        cfg = {**cfg, "label": {**cfg["label"], "stats": _label_stats(train_ds)}}
    with strategy.scope():
        model = build_model(cfg, tf_transform_output)
    if training.get("warm_start"):
        _warm_start(model, fn_args.base_model)
    epochs = training["epochs"]
    steps_per_epoch = max(1, fn_args.train_steps // epochs)
    privacy = training.get("privacy")  # DP-SGD (training.privacy); unset: Keras's own step
    if privacy:
        from tfxkit.training import privacy as dp

        model = dp.make_private(model, privacy)
        rows = dp.train_rows(
            fn_args.train_files, fn_args.data_accessor, tf_transform_output, label_key
        )
        print(dp.planned(privacy, global_batch, rows, steps_per_epoch * epochs), flush=True)
    callbacks = resumable_callbacks(training["strategy"], fn_args.model_run_dir)
    # The fit history for the report's training curves (ModelRun/history.json).
    callbacks.append(
        HistoryWriter(fn_args.model_run_dir, steps_per_epoch * epochs, steps_per_epoch)
    )
    if training.get("early_stopping_patience"):
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=training["early_stopping_patience"],
                restore_best_weights=True,
                verbose=1,
            )
        )
    model.fit(
        train_ds,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        validation_data=eval_ds,
        validation_steps=fn_args.eval_steps,
        callbacks=callbacks,
        verbose=2,
    )
    if privacy:  # epsilon and the membership attack, in ModelRun/privacy.json (privacy gate)
        facts = dp.audit(
            model,
            train_ds,
            eval_ds,
            privacy,
            batch_size=global_batch,
            train_rows=rows,
            steps=int(model.optimizer.iterations.numpy()),
        )
        dp.write(fn_args.model_run_dir, facts)
        print(dp.report(facts), flush=True)
    save_serving_model(model, tf_transform_output, cfg, fn_args.serving_model_dir)
