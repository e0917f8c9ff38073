"""Images in the Transform graph: encoded bytes -> decoded, resized, scaled pixels.

Why in the Transform graph and not in ingest or the trainer: the graph is saved into the
serving model, so a served request (the PNG or JPEG bytes) is decoded, resized and scaled by
the very ops training used; no client-side preprocessing can drift from it. Ingest keeps the
encoded bytes (``components/image_example_gen``), which are small and lossless.

What comes out is ``image_xf``: float32 ``[batch, height, width, channels]`` in [0, 1], at the
size and channels of ``data.images`` (``ImagesConfig.model_input``: ``resize``, else ``size``,
else 28x28; channels as configured, else 3). Augmentation is not here: it belongs to training
only, so it lives in the Keras model (``training.vision``) where ``training=False`` turns it off
for serving and evaluation; anything here would reach serving too.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from tfxkit.config import features as F


def dense_bytes(value: Any) -> tf.Tensor:
    """[batch] encoded images from the raw feature: a SparseTensor ([batch, 1], the schema's
    default: every feature may be missing) or a dense [batch] / [batch, 1] tensor. A missing
    image becomes b"", which decoding then refuses, naming the problem."""
    if isinstance(value, tf.sparse.SparseTensor):
        batch = value.dense_shape[0]
        shaped = tf.sparse.SparseTensor(value.indices, value.values, [batch, 1])
        value = tf.sparse.to_dense(shaped, default_value="")
    return tf.reshape(value, [-1])


def decode(encoded: tf.Tensor, size: list[int] | tuple[int, int], channels: int) -> tf.Tensor:
    """One encoded image (PNG, JPEG, GIF or BMP bytes) -> float32 [height, width, channels] in
    [0, 1]. ``expand_animations=False``: a GIF gives its first frame, so the rank is always 3."""
    image = tf.io.decode_image(encoded, channels=channels, expand_animations=False)
    image = tf.image.convert_image_dtype(image, tf.float32)  # uint8 0..255 -> 0..1
    same = tf.reduce_all(tf.equal(tf.shape(image)[:2], size))
    image = tf.cond(  # an image of the model's size keeps its exact pixels
        same,
        lambda: image,
        lambda: tf.clip_by_value(tf.image.resize(image, size, antialias=True), 0.0, 1.0),
    )  # antialiased bilinear may overshoot [0, 1] slightly: clipped
    return tf.ensure_shape(image, [*size, channels])


def image_features(inputs: dict[str, Any], images: dict[str, Any]) -> dict[str, tf.Tensor]:
    """``{image_xf: [batch, height, width, channels]}`` from the raw ``image`` feature."""
    key, size, channels = images["key"], list(images["size"]), int(images["channels"])
    if key not in inputs:
        raise ValueError(
            f"data.format: images needs the feature '{key}' (the encoded image) in the data's "
            f"schema; it holds {sorted(inputs)}"
        )
    encoded = dense_bytes(inputs[key])
    pixels = tf.map_fn(
        lambda one: decode(one, size, channels),
        encoded,
        fn_output_signature=tf.TensorSpec([*size, channels], tf.float32),
    )
    return {F.transformed_name(key): pixels}
