"""A toy SavedModel for the serving tests, saved without any pipeline.

A ``tf.Module`` whose version k answers with its own constant k, so each answer says which
version served it; ``new_base`` lays out a serving base as tfxkit's pusher would.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from tfxkit.serving import layout, rollout

MODEL = "toy"
ROWS = [{"x": 1.0, "y": 2.0, "s": "a"}, {"x": 3.0, "y": 4.0, "s": "b"}]


class _Toy(tf.Module):
    def __init__(self, k: float) -> None:
        super().__init__()
        self.k = tf.constant(k, tf.float64)

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.float64, name="x"),
            tf.TensorSpec([None], tf.float64, name="y"),
            tf.TensorSpec([None], tf.string, name="s"),
        ]
    )
    def predict(self, x, y, s):
        return {"sum": x + y + self.k, "label": s}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def double(self, v):
        return {"doubled": 2.0 * v * tf.cast(self.k, tf.float32)}

    def _x(self, inputs):
        parsed = tf.io.parse_example(inputs, {"x": tf.io.FixedLenFeature([], tf.float32)})
        return tf.cast(parsed["x"], tf.float64) * self.k

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
    def classify(self, inputs):
        x = self._x(inputs)
        classes = tf.tile(tf.constant([["neg", "pos"]]), [tf.shape(x)[0], 1])
        return {"classes": classes, "scores": tf.stack([-x, x], axis=1)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
    def regress(self, inputs):
        return {"outputs": self._x(inputs)}


def save_toy(path: Path, k: float) -> None:
    module = _Toy(k)
    signatures = {
        "serving_default": module.predict,
        "double": module.double,
        "classification": module.classify,
        "regression": module.regress,
    }
    tf.saved_model.save(module, str(path), signatures=signatures)
    # What tfxkit.training.export.set_signature_methods does (copied: that module loads TF
    # Transform and tf_keras).
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((path / "saved_model.pb").read_bytes())
    for name, verb in {"classification": "classify", "regression": "regress"}.items():
        proto.meta_graphs[0].signature_def[name].method_name = f"tensorflow/serving/{verb}"
    (path / "saved_model.pb").write_bytes(proto.SerializeToString())


def push(templates: Path, base: Path, version: int) -> None:
    """Copy a saved version in and write the pusher's record (blessed)."""
    shutil.copytree(templates / str(version), base / MODEL / str(version))
    records = base / MODEL / layout.RECORDS_DIR
    records.mkdir(exist_ok=True)
    (records / f"{version}.json").write_text(json.dumps({"blessed": True}))


def new_base(templates: Path, root: Path) -> Path:
    base = root / "serving"
    for version in (1, 2):
        push(templates, base, version)
        rollout.label_new_version(str(base), MODEL, version)  # 1 stable, 2 canary
    return base
