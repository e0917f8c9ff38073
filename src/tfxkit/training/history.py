"""The Trainer's fit history, saved next to the model run for the run report's training curves.

Why: Keras keeps ``model.fit``'s history in memory only and TensorBoard's event files need
TensorBoard to read; the report (``tfxkit report``, and the Kubeflow/Vertex run report) draws
loss and metrics from one small JSON file in the ModelRun artifact instead. Training metrics
are taken every ``interval`` steps (Keras' running average within the epoch), evaluation
metrics at each epoch's end.
"""

from __future__ import annotations

import json
import math
from typing import Any

import tensorflow as tf
import tf_keras as keras

HISTORY_FILE = "history.json"
POINTS = 50  # about how many training points a curve gets, whatever the number of steps


class HistoryWriter(keras.callbacks.Callback):
    """Records ``{"train": [{"step", <metric>...}], "eval": [...]}`` and writes it to
    ``<run_dir>/history.json`` after each epoch (a job that dies keeps the epochs it finished)."""

    def __init__(self, run_dir: str, total_steps: int, steps_per_epoch: int) -> None:
        super().__init__()
        self.path = f"{run_dir.rstrip('/')}/{HISTORY_FILE}"
        self.interval = max(1, total_steps // POINTS)
        self.steps_per_epoch = max(1, steps_per_epoch)
        self.epoch = 0
        self.history: dict[str, Any] = {"interval": self.interval, "train": [], "eval": []}

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        step = self.epoch * self.steps_per_epoch + batch + 1
        if step % self.interval == 0 or batch + 1 == self.steps_per_epoch:
            self.history["train"].append({"step": step, **_numbers(logs)})

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        found = {k[4:]: v for k, v in _numbers(logs).items() if k.startswith("val_")}
        if found:
            step = (epoch + 1) * self.steps_per_epoch
            self.history["eval"].append({"step": step, "epoch": epoch + 1, **found})
        self.save()

    def save(self) -> None:
        strategy = getattr(self.model, "distribute_strategy", None)
        if strategy is not None and not strategy.extended.should_checkpoint:
            return  # a multi-worker job's other workers: the chief writes it
        tf.io.gfile.makedirs(self.path.rsplit("/", 1)[0])
        with tf.io.gfile.GFile(self.path, "w") as handle:
            handle.write(json.dumps(self.history))


def _numbers(logs: dict[str, Any] | None) -> dict[str, float]:
    """Finite numbers only: a NaN loss is left out rather than written as invalid JSON."""
    out = {}
    for key, value in (logs or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out[key] = round(number, 6)
    return out
