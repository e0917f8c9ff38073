"""The Trainer's fit history (``training.history``): what ``model.fit`` writes for the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tf_keras as keras

from tfxkit.components.run_report.gather import load_history
from tfxkit.training.history import HistoryWriter


def test_fit_writes_train_points_and_eval_per_epoch(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = np.random.rand(64, 2), np.random.rand(64, 1)
    writer = HistoryWriter(str(tmp_path), total_steps=16, steps_per_epoch=8)
    model.fit(x, y, batch_size=8, epochs=2, validation_data=(x, y), callbacks=[writer], verbose=0)
    history = json.loads((tmp_path / "history.json").read_text())
    assert [p["step"] for p in history["train"]] == list(range(1, 17))  # 16 steps < 50 points
    assert [(p["epoch"], p["step"]) for p in history["eval"]] == [(1, 8), (2, 16)]
    assert {"loss", "mae"} <= set(history["eval"][0]) and "val_loss" not in history["eval"][0]
    assert load_history(str(tmp_path)) == history
    assert load_history(str(tmp_path / "none")) is None


def test_interval_keeps_about_fifty_points_and_drops_nan() -> None:
    writer = HistoryWriter("/tmp/unused", total_steps=1000, steps_per_epoch=500)
    assert writer.interval == 20
    for batch in range(40):
        writer.on_train_batch_end(batch, {"loss": float("nan") if batch == 19 else 1.0})
    assert [p["step"] for p in writer.history["train"]] == [20, 40]
    assert "loss" not in writer.history["train"][0] and writer.history["train"][1]["loss"] == 1.0
