"""The ``preprocessing_fn`` TFX's Transform component runs, built from the config's features.

Why config-driven: the same function serves every tabular pipeline; each feature's transform
(z-score, min-max, vocabulary, identity) comes from ``features[*].transform`` and reaches this
function as Transform's ``custom_config``. Referenced by module path
(``tfxkit.transform.preprocessing.preprocessing_fn``) so it is importable from the installed
package in any container, never a local file.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_transform as tft

from tfxkit import features as F


def _dense(tensor: Any, default: Any) -> tf.Tensor:
    """A rank-1 dense tensor: sparse (optional) features get ``default`` where missing."""
    if isinstance(tensor, tf.sparse.SparseTensor):
        tensor = tf.sparse.to_dense(
            tf.sparse.SparseTensor(tensor.indices, tensor.values, [tensor.dense_shape[0], 1]),
            default_value=default,
        )
    if tensor.shape.rank == 2:
        tensor = tf.squeeze(tensor, axis=1)
    return tensor


def _default_for(feature_type: str) -> Any:
    return {"string": "", "int": 0, "float": 0.0}[feature_type]


def _transform_feature(value: tf.Tensor, name: str, kind: str) -> tf.Tensor:
    if kind == "zscore":
        return tft.scale_to_z_score(tf.cast(value, tf.float32))
    if kind == "minmax":
        return tft.scale_to_0_1(tf.cast(value, tf.float32))
    if kind == "vocabulary":
        return tft.compute_and_apply_vocabulary(
            value, num_oov_buckets=F.OOV_BUCKETS, vocab_filename=F.vocab_file(name)
        )
    if kind == "identity":
        return tf.cast(value, tf.float32)
    raise ValueError(f"feature '{name}': unknown transform '{kind}'")


def preprocessing_fn(inputs: dict[str, Any], custom_config: dict[str, Any]) -> dict[str, Any]:
    """Map raw features to model inputs; the label becomes a class index."""
    outputs: dict[str, Any] = {}
    for feature in custom_config["features"]:
        name = feature["name"]
        if name not in inputs:
            raise ValueError(
                f"feature '{name}' is configured but not in the data's schema "
                f"(columns: {sorted(inputs)})"
            )
        value = _dense(inputs[name], _default_for(feature["type"]))
        outputs[F.transformed_name(name)] = _transform_feature(value, name, feature["transform"])

    label = custom_config["label"]
    if label["name"] in inputs:  # absent at serving time
        value = _dense(inputs[label["name"]], _default_for(label["type"]))
        # Always a vocabulary: class indices are dense 0..n-1 and the class names are kept.
        outputs[F.transformed_name(label["name"])] = tft.compute_and_apply_vocabulary(
            value, vocab_filename=F.LABEL_VOCAB_FILE
        )
    return outputs
