"""Magnitude pruning with fine-tuning (tfmot), and the sparsity it reaches.

Pruning zeroes the smallest weights of Dense, Conv and Embedding kernels; the file stays the same
size but compresses (gzip, or a sparse runtime), and the model predicts as well as before when it
is fine-tuned while the mask grows. Only layers tfmot knows how to prune are wrapped, so tfxkit's
models with Rescaling, CategoryEncoding or Concatenate layers prune too.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import tensorflow as tf
import tensorflow_model_optimization as tfmot
import tf_keras as keras
from tensorflow_model_optimization.python.core.sparsity.keras import prune_registry

from tfxkit.errors import ConfigError
from tfxkit.training.autograph import skip_tf_keras_conversion

skip_tf_keras_conversion()

Schedule = Literal["polynomial", "constant"]
# Variable names of the weights pruning applies to: Dense/Conv kernels and embedding tables.
_PRUNED_WEIGHTS = ("kernel", "embeddings")


def prune(
    model: keras.Model,
    train_ds: tf.data.Dataset,
    *,
    target_sparsity: float,
    schedule: Schedule,
    epochs: int,
    steps_per_epoch: int,
    begin_step: int = 0,
) -> keras.Model:
    """Return a fine-tuned copy of ``model`` with ``target_sparsity`` of its kernels at zero.

    ``model`` must be compiled (its loss and optimizer class/config are reused; the optimizer
    state is not) and is left unchanged. ``train_ds`` yields ``(features, label)`` batches and
    repeats for ``epochs * steps_per_epoch`` steps. ``polynomial`` grows sparsity from 0 to the
    target over the first two thirds of the steps after ``begin_step`` (the last third recovers
    accuracy under a fixed mask); ``constant`` prunes to the target at ``begin_step`` and keeps
    re-pruning. The result has the pruning wrappers stripped, is compiled, and saves as a plain
    Keras model.
    """
    if not 0.0 < target_sparsity < 1.0:
        raise ConfigError(f"target_sparsity must be in (0, 1), got {target_sparsity}")
    if schedule not in ("polynomial", "constant"):
        raise ConfigError(f"pruning schedule must be polynomial or constant, got {schedule!r}")
    if model.optimizer is None or model.loss is None:
        raise ConfigError("prune() needs a compiled model: its loss and optimizer fine-tune it")
    total_steps = epochs * steps_per_epoch
    if epochs < 1 or steps_per_epoch < 1 or not 0 <= begin_step < total_steps - 1:
        raise ConfigError(
            f"pruning needs epochs >= 1, steps_per_epoch >= 1 and 0 <= begin_step < total "
            f"steps - 1; got epochs={epochs}, steps_per_epoch={steps_per_epoch}, "
            f"begin_step={begin_step}"
        )
    pruning_schedule = _schedule(schedule, target_sparsity, begin_step, total_steps)

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())  # clone_model does not copy weights

    def wrap(layer: keras.layers.Layer) -> keras.layers.Layer:
        if _prunable(layer):
            return tfmot.sparsity.keras.prune_low_magnitude(
                layer, pruning_schedule=pruning_schedule
            )
        return layer

    wrapped = keras.models.clone_model(copy, clone_function=wrap)
    wrapped.compile(optimizer=_fresh_optimizer(model), loss=model.loss)
    wrapped.fit(
        train_ds,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=[tfmot.sparsity.keras.UpdatePruningStep()],
        verbose=0,
    )
    stripped = tfmot.sparsity.keras.strip_pruning(wrapped)
    stripped.compile(optimizer=_fresh_optimizer(model), loss=model.loss)
    return stripped


def _schedule(
    kind: Schedule, target: float, begin_step: int, total_steps: int
) -> tfmot.sparsity.keras.PruningSchedule:
    """A schedule whose last pruning step lands inside training, so the target is reached.

    tfmot prunes only on steps ``begin_step + k * frequency``; the end step is one of them.
    """
    span = max(1, (total_steps - 1 - begin_step) * 2 // 3)
    frequency = max(1, min(100, span // 10))
    span = max(frequency, span // frequency * frequency)
    if kind == "constant":
        return tfmot.sparsity.keras.ConstantSparsity(target, begin_step, frequency=frequency)
    return tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=0.0,
        final_sparsity=target,
        begin_step=begin_step,
        end_step=begin_step + span,
        frequency=frequency,
    )


def _prunable(layer: keras.layers.Layer) -> bool:
    """Layers tfmot can prune that have weights to prune (Dense, Conv, Embedding, ...)."""
    if isinstance(layer, tfmot.sparsity.keras.PrunableLayer):
        return True
    # _weight_names is tfmot 0.8's registry lookup; supported layers may list no weights.
    return bool(
        prune_registry.PruneRegistry.supports(layer)
        and prune_registry.PruneRegistry._weight_names(layer)
    )


def _fresh_optimizer(model: keras.Model) -> keras.optimizers.Optimizer:
    """The model's optimizer class and hyperparameters, without its slots and step count."""
    optimizer: Any = model.optimizer
    return optimizer.__class__.from_config(optimizer.get_config())


def sparsity(model: keras.Model) -> float:
    """Share of exactly-zero values in the model's kernels and embedding tables (biases out)."""
    zeros = total = 0
    for weight in model.weights:
        if weight.name.split("/")[-1].split(":")[0] in _PRUNED_WEIGHTS:
            values = np.asarray(weight.numpy())
            zeros += int(np.count_nonzero(values == 0))
            total += values.size
    return zeros / total if total else 0.0
