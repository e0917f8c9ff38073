"""Models from config and user code on the penguins, three runs in one workspace (the later
runs reuse the cached ingest and Transform):

1. a wide-and-deep model with embeddings, RMSprop, early stopping and a feature cross, with a
   user preprocessing_fn that extends tfxkit's and a user run_fn that wraps tfxkit's, and
   ``training.warm_start`` on (nothing blessed yet: from scratch);
2. the same again: it warm-starts from run 1's blessed model;
3. plus a ``tuning`` section: TFX's Tuner searches, the Trainer trains with the best values.
"""

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


OVERRIDES = [
    "model.type=wide_and_deep",
    "model.embedding_dim=4",
    "model.optimizer=rmsprop",
    "crosses=[{features: [island, sex], hash_buckets: 12}]",
    "training.epochs=4",
    "training.train_steps=160",
    "training.early_stopping_patience=1",
    "training.warm_start=true",
    "transform.preprocessing_fn=penguin_user_code.preprocessing_fn",
    "training.run_fn=penguin_user_code.run_fn",
]
TUNING = (
    "tuning={max_trials: 2, train_steps: 30, search_space: "
    "{learning_rate: [0.001, 0.05], hidden_units: [[8], [16, 8]]}}"
)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("models")
    (base / "code").mkdir()
    (base / "code" / "penguin_user_code.py").write_text(USER_CODE)
    return base


def _run(base: Path, name: str, *extra: str) -> tuple[dict, str]:
    summary_path = base / f"{name}.json"
    overrides = [*OVERRIDES, *extra]
    result = run_pipeline(
        base / "ws",
        *[arg for o in overrides for arg in ("--set", o)],
        summary=summary_path,
        env={"PYTHONPATH": str(base / "code")},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return json.loads(summary_path.read_text()), result.stdout


@pytest.fixture(scope="module")
def first(base: Path) -> tuple[dict, str]:
    return _run(base, "first")


@pytest.fixture(scope="module")
def second(base: Path, first) -> tuple[dict, str]:
    return _run(base, "second")


@pytest.fixture(scope="module")
def tuned(base: Path, second) -> tuple[dict, str]:
    return _run(base, "tuned", TUNING)


def _output(base: Path, run_id: str, node: str, type_name: str):
    from tfxkit.metadata.store import output_artifacts

    store = sqlite_store(base / "ws" / "penguin" / "metadata.sqlite")
    execution = executions(base / "ws", "penguin", run_id)[node]
    [artifact] = output_artifacts(store, execution.execution_id, type_name)
    return artifact


def test_wide_and_deep_with_user_code(base: Path, first) -> None:
    import tensorflow_transform as tft
    import tf_keras as keras

    summary, stdout = first
    assert summary["blessed"] is True, summary["blessing_failures"]
    assert "[user] run_fn wraps tfxkit's" in stdout
    assert "warm start: no blessed model yet; training from scratch" in stdout

    model = keras.models.load_model(summary["pushed_path"])
    layers = {type(layer).__name__ for layer in model.layers}
    assert {"Embedding", "CategoryEncoding"} <= layers
    assert model.get_layer("wide_and_deep") is not None
    assert "cross_island_x_sex_xf" in model.input

    graph = _output(base, summary["run_id"], "transform", "TransformGraph")
    spec = tft.TFTransformOutput(graph.uri).transformed_feature_spec()
    assert "bill_length_doubled_xf" in spec  # the user's feature, next to the config's
    assert "island_xf" in spec and "species_xf" in spec


def test_warm_start_continues_from_the_blessed_model(first, second) -> None:
    summary, stdout = second
    assert first[0]["pushed_path"], "the first run must bless and push a model to start from"
    assert "warm start: weights from " in stdout
    statuses = {n["node_id"]: n["status"] for n in summary["nodes"]}
    assert statuses["warm_start_model_resolver"] == "resolved"
    assert statuses["trainer"] == "finished" and statuses["transform"] == "cached"


def test_tuning_feeds_the_best_hyperparameters_to_the_trainer(base: Path, tuned) -> None:
    summary, stdout = tuned
    assert {n["node_id"]: n["status"] for n in summary["nodes"]}["tuner"] == "finished"
    trials = [line for line in stdout.splitlines() if line.startswith("[tfxkit] trial ")]
    assert len(trials) == 2, stdout[-3000:]
    # The best values are an artifact in ML Metadata, and they are what the Trainer used.
    best = _output(base, summary["run_id"], "tuner", "HyperParameters")
    values = json.loads((Path(best.uri) / "best_hyperparameters.txt").read_text())["values"]
    assert set(values) == {"learning_rate", "hidden_units"}
    assert f"training with the Tuner's best hyperparameters: {values}" in stdout
