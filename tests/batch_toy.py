"""Toy SavedModels with tfxkit's serving contract, pushed into a serving base, for batch tests.

``serving_default`` takes ``bill length (mm)`` (a number; the SignatureDef key is the column
name, the traced argument an identifier, as ``training.export`` saves it) and ``island`` (text)
and answers as ``training.export.named_outputs`` does: ``classes``, ``probabilities`` and
``class_names`` for a classifier, ``predictions`` for regression. Version k adds k to its score,
so an answer says which version gave it.
"""

from __future__ import annotations

import json
from pathlib import Path

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

MODEL = "toy"
NUMBER = "bill length (mm)"
CLASSES = ("Adelie", "Chinstrap", "Gentoo")


class _Toy(tf.Module):
    def __init__(self, task: str, k: float) -> None:
        super().__init__()
        self.task, self.k = task, tf.constant(k, tf.float64)

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.float64, name="bill_length_mm"),
            tf.TensorSpec([None], tf.string, name="island"),
        ]
    )
    def serve(self, bill_length_mm, island):
        x = tf.where(tf.math.is_nan(bill_length_mm), tf.constant(45.0, tf.float64), bill_length_mm)
        x = (x - 45.0) / 10.0 + self.k
        dream = tf.cast(tf.equal(island, "Dream"), tf.float64)
        if self.task == "regression":
            return {"predictions": tf.cast(100.0 * x + dream, tf.float32)}
        if self.task == "binary":
            p = tf.reshape(tf.sigmoid(x + dream), [-1, 1])
            scores, names = tf.concat([1.0 - p, p], axis=1), tf.constant(["not Gentoo", "Gentoo"])
        else:
            logits = tf.stack([-x, dream, x], axis=1)
            scores, names = tf.nn.softmax(logits), tf.constant(list(CLASSES))
        scores = tf.cast(scores, tf.float32)
        batch = tf.shape(scores)[0]
        return {
            "classes": tf.gather(names, tf.argmax(scores, axis=1)),
            "probabilities": scores,
            "class_names": tf.tile(names[tf.newaxis, :], [batch, 1]),
        }


def save_model(path: Path, task: str = "multiclass", k: float = 0.0) -> None:
    module = _Toy(task, k)
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((path / "saved_model.pb").read_bytes())
    raw = proto.meta_graphs[0].signature_def["serving_default"]
    raw.inputs[NUMBER].CopyFrom(raw.inputs["bill_length_mm"])  # the data's name as the key
    del raw.inputs["bill_length_mm"]
    (path / "saved_model.pb").write_bytes(proto.SerializeToString())


def save_base(
    base: Path, task: str = "multiclass", versions: int = 2, blessed: bool = True
) -> None:
    """``base/toy/1..versions`` as tfxkit's pusher lays them out: 1 stable, 2 canary."""
    from tfxkit.serving import rollout

    for version in range(1, versions + 1):
        save_model(base / MODEL / str(version), task, k=version - 1.0)
        records = base / MODEL / ".tfxkit-pushes"
        records.mkdir(parents=True, exist_ok=True)
        if blessed:
            (records / f"{version}.json").write_text(json.dumps({"blessed": True}))
            rollout.label_new_version(str(base), MODEL, version)
