"""Models from config and user code, in one real run on the penguins: a wide-and-deep model with
embeddings, RMSprop and early stopping, plus a user preprocessing_fn that extends tfxkit's
(keeping the config-driven features) and a user run_fn that wraps tfxkit's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pipeline_runs import executions, run_pipeline, sqlite_store

pytestmark = pytest.mark.slow

USER_CODE = '''\
"""A user's module: extends tfxkit's preprocessing and wraps its run_fn."""
import tensorflow as tf

from tfxkit.training import keras_trainer
from tfxkit.transform import preprocessing


def preprocessing_fn(inputs, custom_config):
    outputs = preprocessing.preprocessing_fn(inputs, custom_config)
    length = tf.sparse.to_dense(inputs["bill_length_mm"], default_value=0.0)
    outputs["bill_length_doubled_xf"] = tf.reshape(length, [-1]) * 2.0
    return outputs


def run_fn(fn_args):
    print("[user] run_fn wraps tfxkit's", flush=True)
    keras_trainer.run_fn(fn_args)
'''


def test_wide_and_deep_with_user_code(tmp_path: Path) -> None:
    import tensorflow_transform as tft
    import tf_keras as keras

    from tfxkit.metadata import output_artifacts

    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "penguin_user_code.py").write_text(USER_CODE)
    overrides = [
        "model.type=wide_and_deep",
        "model.embedding_dim=4",
        "model.optimizer=rmsprop",
        "crosses=[{features: [island, sex], hash_buckets: 12}]",
        "training.epochs=4",
        "training.train_steps=160",
        "training.early_stopping_patience=1",
        "transform.preprocessing_fn=penguin_user_code.preprocessing_fn",
        "training.run_fn=penguin_user_code.run_fn",
    ]
    summary_path = tmp_path / "summary.json"
    result = run_pipeline(
        tmp_path / "ws",
        *[arg for o in overrides for arg in ("--set", o)],
        summary=summary_path,
        env={"PYTHONPATH": str(tmp_path / "code")},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    assert summary["blessed"] is True, summary["blessing_failures"]
    assert "[user] run_fn wraps tfxkit's" in result.stdout

    model = keras.models.load_model(summary["pushed_path"])
    layers = {type(layer).__name__ for layer in model.layers}
    assert {"Embedding", "CategoryEncoding"} <= layers
    assert model.get_layer("wide_and_deep") is not None
    assert "cross_island_x_sex_xf" in model.input

    store = sqlite_store(tmp_path / "ws" / "penguin" / "metadata.sqlite")
    transform = executions(tmp_path / "ws", "penguin", summary["run_id"])["transform"]
    [graph] = output_artifacts(store, transform.execution_id, "TransformGraph")
    spec = tft.TFTransformOutput(graph.uri).transformed_feature_spec()
    assert "bill_length_doubled_xf" in spec  # the user's feature, next to the config's
    assert "island_xf" in spec and "species_xf" in spec


def test_warm_start_continues_from_the_blessed_model(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    overrides = ["--set", "training.warm_start=true", "--set", "training.train_steps=60"]
    first = run_pipeline(workspace, *overrides, summary=tmp_path / "first.json")
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-3000:]
    assert "warm start: no blessed model yet; training from scratch" in first.stdout
    second = run_pipeline(workspace, *overrides, summary=tmp_path / "second.json")
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-3000:]
    first_model = json.loads((tmp_path / "first.json").read_text())["pushed_path"]
    assert first_model, "the first run must bless and push a model to start from"
    assert "warm start: weights from " in second.stdout
    summary = json.loads((tmp_path / "second.json").read_text())
    statuses = {n["node_id"]: n["status"] for n in summary["nodes"]}
    assert statuses["warm_start_model_resolver"] == "resolved"
    assert statuses["trainer"] == "finished" and statuses["transform"] == "cached"


def test_tuning_feeds_the_best_hyperparameters_to_the_trainer(tmp_path: Path) -> None:
    from tfxkit.metadata import output_artifacts

    workspace = tmp_path / "ws"
    tuning = (
        "tuning={max_trials: 2, train_steps: 30, search_space: "
        "{learning_rate: [0.001, 0.05], hidden_units: [[8], [16, 8]]}}"
    )
    result = run_pipeline(
        workspace, "--set", tuning, "--set", "training.train_steps=60", summary=tmp_path / "s.json"
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    summary = json.loads((tmp_path / "s.json").read_text())
    assert {n["node_id"]: n["status"] for n in summary["nodes"]}["tuner"] == "finished"
    trials = [line for line in result.stdout.splitlines() if line.startswith("[tfxkit] trial ")]
    assert len(trials) == 2, result.stdout[-3000:]

    # The best values are an artifact in ML Metadata, and they are what the Trainer used.
    store = sqlite_store(workspace / "penguin" / "metadata.sqlite")
    tuner = executions(workspace, "penguin", summary["run_id"])["tuner"]
    [best] = output_artifacts(store, tuner.execution_id, "HyperParameters")
    values = json.loads((Path(best.uri) / "best_hyperparameters.txt").read_text())["values"]
    assert set(values) == {"learning_rate", "hidden_units"}
    assert f"training with the Tuner's best hyperparameters: {values}" in result.stdout
