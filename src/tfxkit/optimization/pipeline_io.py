"""What the optimization components share: the pipeline's data and models, as Keras sees them.

The Trainer's export wraps the Keras model in serving signatures (raw features through the
Transform graph); optimizations work on the Keras model over *transformed* features, so this
module rebuilds it (``build_model`` + the trained weights), reads the Transform component's
transformed examples, and exports an optimized model with exactly the Trainer's signatures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras

from tfxkit.config import features as F
from tfxkit.serving.custom_ops import register_for
from tfxkit.training.export import save_serving_model
from tfxkit.training.model import build_model


def label_key(custom_config: dict[str, Any]) -> str:
    return F.transformed_name(custom_config["label"]["key"])


def task(custom_config: dict[str, Any]) -> str:
    return "regression" if custom_config["label"]["task"] == "regression" else "classification"


def _model_inputs(model: keras.Model) -> list[str]:
    return list(model.input.keys()) if isinstance(model.input, dict) else model.input_names


def dataset(
    examples_uri: str,
    split: str,
    tf_transform_output: tft.TFTransformOutput,
    custom_config: dict[str, Any],
    input_names: list[str],
    batch_size: int,
    repeat: bool,
) -> tf.data.Dataset:
    """(inputs, label) batches of one split of the transformed examples; rows whose label is
    missing (weight 0) are dropped, as training ignores them."""
    files = tf.io.gfile.glob(os.path.join(examples_uri, f"Split-{split}", "*"))
    spec = tf_transform_output.transformed_feature_spec()
    label = label_key(custom_config)

    def parse(serialized: tf.Tensor) -> tuple[dict[str, tf.Tensor], tf.Tensor, tf.Tensor]:
        parsed = tf.io.parse_example(serialized, spec)
        parsed = {
            k: tf.sparse.to_dense(v) if isinstance(v, tf.SparseTensor) else v
            for k, v in parsed.items()
        }
        inputs = {
            k: tf.reshape(parsed[k], [-1, 1]) if parsed[k].shape.rank == 1 else parsed[k]
            for k in input_names
        }
        weight = parsed.get(F.LABEL_WEIGHT, tf.ones_like(tf.cast(parsed[label], tf.float32)))
        return inputs, parsed[label], tf.reshape(weight, [-1])

    data = tf.data.TFRecordDataset(files, compression_type="GZIP")
    data = data.batch(batch_size).map(parse, num_parallel_calls=tf.data.AUTOTUNE)
    data = data.unbatch().filter(lambda x, y, w: w > 0).map(lambda x, y, w: (x, y))
    data = data.batch(batch_size)
    return (data.repeat() if repeat else data).prefetch(tf.data.AUTOTUNE)


def arrays(data: tf.data.Dataset, max_rows: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The first ``max_rows`` rows of a finite dataset as numpy (the eval split is small)."""
    inputs: dict[str, list[np.ndarray]] = {}
    labels: list[np.ndarray] = []
    rows = 0
    for batch_inputs, batch_labels in data:
        for name, value in batch_inputs.items():
            inputs.setdefault(name, []).append(value.numpy())
        labels.append(batch_labels.numpy())
        rows += len(labels[-1])
        if rows >= max_rows:
            break
    joined = {k: np.concatenate(v)[:max_rows] for k, v in inputs.items()}
    return joined, np.concatenate(labels)[:max_rows]


def first_rows(inputs: dict[str, np.ndarray], count: int) -> dict[str, np.ndarray]:
    return {k: v[:count] for k, v in inputs.items()}


def representative(inputs: dict[str, np.ndarray], count: int) -> Iterator[dict[str, np.ndarray]]:
    for row in range(min(count, len(next(iter(inputs.values()))))):
        yield {k: v[row : row + 1] for k, v in inputs.items()}


def load_trained(
    model_dir: str, custom_config: dict[str, Any], tf_transform_output: tft.TFTransformOutput
) -> tuple[keras.Model, dict[str, Any]]:
    """The Trainer's Keras model, rebuilt (and compiled) from the config with the trained
    weights, and the config as the Trainer completed it (a regression head's label scale,
    which the Trainer measured from the data, is read back from the saved model)."""
    register_for(model_dir)  # tensorflow-text's ops, for a text model
    saved = keras.models.load_model(model_dir, compile=False)
    label = dict(custom_config["label"])
    if label["task"] == "regression":
        for layer in saved.layers:
            if isinstance(layer, keras.layers.Rescaling):
                label["stats"] = (float(layer.offset), float(layer.scale))
    completed = {**custom_config, "label": label}
    model = build_model(completed, tf_transform_output)
    model.set_weights(saved.get_weights())
    return model, completed


def build_like(
    custom_config: dict[str, Any],
    tf_transform_output: tft.TFTransformOutput,
    hidden_units: list[int],
) -> keras.Model:
    """A fresh model of the configured kind with other hidden layers (a distillation student)."""
    smaller = {**custom_config, "model": {**custom_config["model"], "hidden_units": hidden_units}}
    return build_model(smaller, tf_transform_output)


def export(
    model: keras.Model,
    tf_transform_output: tft.TFTransformOutput,
    custom_config: dict[str, Any],
    serving_model_dir: str,
) -> None:
    """Save with the Trainer's signatures (raw features in), so serving cannot tell the
    optimized model from the original but by its answers."""
    save_serving_model(model, tf_transform_output, custom_config, serving_model_dir)


class OneHot(keras.layers.Layer):
    """``CategoryEncoding(output_mode="one_hot")`` as TFLite builtins: the int8 calibrator
    cannot run CategoryEncoding's DenseBincount. A row gathered from an identity matrix, not
    ``tf.one_hot``: int8 ONE_HOT writes raw 127/0 into a tensor carrying the next layer's scale,
    so a one-hot dequantized to 2.94/0.37 instead of 1/0 (9.7 points of penguin accuracy)."""

    def __init__(self, depth: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.depth = depth

    def call(self, ids: tf.Tensor) -> tf.Tensor:
        ids = tf.cast(tf.reshape(ids, [-1]), tf.int32)
        return tf.gather(tf.eye(self.depth, dtype=tf.float32), ids)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "depth": self.depth}


def tflite_ready(model: keras.Model) -> keras.Model:
    """The same function with every one-hot CategoryEncoding as ``OneHot``."""

    def swap(layer: keras.layers.Layer) -> keras.layers.Layer:
        if isinstance(layer, keras.layers.CategoryEncoding):
            return OneHot(layer.num_tokens, name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    clone = keras.models.clone_model(model, clone_function=swap)
    clone.set_weights(model.get_weights())
    return clone
