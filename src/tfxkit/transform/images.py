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


def to_channels(image: tf.Tensor, channels: int) -> tf.Tensor:
    """[height, width, any of 1-4 channels] -> ``channels``: gray repeated for RGB, RGB to its
    luma for gray, an alpha of 1 added or the alpha dropped (a 2-channel PNG is gray + alpha).
    Why not ``decode_image(channels=...)``: GIF decodes only to 3 channels and JPEG not to 4,
    so the conversion is done once here, the same way for every format."""
    count = tf.shape(image)[-1]
    colour = count >= 3
    if channels == 1:
        out = tf.cond(
            colour, lambda: tf.image.rgb_to_grayscale(image[..., :3]), lambda: image[..., :1]
        )
    else:
        out = tf.cond(colour, lambda: image[..., :3], lambda: tf.tile(image[..., :1], [1, 1, 3]))
        if channels == 4:
            has_alpha = tf.equal(count % 2, 0)  # 2: gray + alpha; 4: RGBA
            alpha = tf.cond(
                has_alpha, lambda: image[..., -1:], lambda: tf.ones_like(image[..., :1])
            )
            out = tf.concat([out, alpha], axis=-1)
    return tf.ensure_shape(out, [None, None, channels])


def decode(encoded: tf.Tensor, size: list[int] | tuple[int, int], channels: int) -> tf.Tensor:
    """One encoded image (PNG, JPEG, GIF or BMP bytes) -> float32 [height, width, channels] in
    [0, 1]. ``expand_animations=False``: a GIF gives its first frame, so the rank is always 3."""
    image = tf.io.decode_image(encoded, channels=0, expand_animations=False)
    image = tf.image.convert_image_dtype(image, tf.float32)  # uint8 0..255 -> 0..1
    image = to_channels(image, channels)
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
