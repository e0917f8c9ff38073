"""Conv nets over the Transform graph's decoded pixels: ``model.type: cnn`` and ``mobilenet``.

Both take ``image_xf`` (float32 ``[height, width, channels]`` in [0, 1], ``transform.images``)
and end in the same task head as the table models (``training.model``), so export, evaluation
and serving treat them alike. Built from Keras layers only: nothing is downloaded, so a run
works offline and the model is small enough to train on a CPU in minutes.

Augmentation (``training.augment``) is the first layer of the model, Keras' random
preprocessing layers inside ``TrainingOnly``: they run only when the model is called with
``training=True`` (``fit``), so evaluation, export and serving see every image as it is. That
is why it is here and not in the Transform graph, which serving runs too.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras

from tfxkit.config import features as F
from tfxkit.training.autograph import skip_tf_keras_conversion
from tfxkit.training.model import _head, _optimizer

skip_tf_keras_conversion()  # fitted and exported with tf_keras, as every tfxkit model

DEFAULT_CONV_FILTERS = (32, 64)
DEFAULT_KERNEL_SIZE = 3
# MobileNet v1's first separable blocks (filters, stride) before alpha: enough for small images.
MOBILENET_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1))
FLATTEN_LIMIT = 4096  # more values after the conv blocks are averaged per channel instead
AUGMENT_LAYER = "augment"  # the model's layer holding the augmentation (TrainingOnly)


@keras.saving.register_keras_serializable(package="tfxkit")
class TrainingOnly(keras.layers.Layer):
    """Runs its layers only when called with ``training=True`` (``fit``); otherwise it passes
    the images through untouched.

    Why not Keras' random layers alone: their ``call`` defaults to ``training=True``, so a
    model called without ``training`` (a serving function, ``model(x)``) would augment every
    image it serves. Here anything but an explicit True is inference."""

    def __init__(self, steps: list[keras.layers.Layer], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.steps = list(steps)

    def build(self, input_shape: Any) -> None:
        for step in self.steps:  # built even when only inference traced them: saved whole
            step.build(input_shape)
        super().build(input_shape)

    def call(self, inputs: tf.Tensor, training: Any = None) -> tf.Tensor:
        def augmented() -> tf.Tensor:
            x = inputs
            for step in self.steps:
                x = step(x, training=True)
            return x

        if training is None or isinstance(training, bool):
            return augmented() if training else inputs
        return tf.cond(tf.cast(training, tf.bool), augmented, lambda: inputs)

    def get_config(self) -> dict[str, Any]:
        steps = [keras.layers.serialize(step) for step in self.steps]
        return {**super().get_config(), "steps": steps}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TrainingOnly:
        steps = [keras.layers.deserialize(step) for step in config.pop("steps")]
        return cls(steps, **config)


def augmentation(augment: dict[str, Any] | None, seed: int) -> list[keras.layers.Layer]:
    """The random layers ``training.augment`` asks for (none: an empty list); the model runs
    them inside ``TrainingOnly``."""
    if not augment:
        return []
    layers: list[keras.layers.Layer] = []
    if augment.get("flip"):
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed, name="augment_flip"))
    crop = augment.get("crop")
    if crop:  # zoom in by up to `crop`, then shift by up to half of it: a random crop, resized
        layers.append(keras.layers.RandomZoom((-crop, 0.0), seed=seed, name="augment_zoom"))
        layers.append(
            keras.layers.RandomTranslation(
                crop / 2, crop / 2, fill_mode="reflect", seed=seed, name="augment_shift"
            )
        )
    brightness = augment.get("brightness")
    if brightness:
        layers.append(
            keras.layers.RandomBrightness(
                brightness, value_range=(0.0, 1.0), seed=seed, name="augment_brightness"
            )
        )
    return layers


def _pool_if_room(x: Any) -> Any:
    """2x2 max pooling while the feature map is at least 2 pixels high and wide."""
    if min(x.shape[1], x.shape[2]) >= 2:
        return keras.layers.MaxPooling2D(2)(x)
    return x


def cnn_body(x: Any, model_cfg: dict[str, Any]) -> Any:
    """Conv blocks (a 'same' convolution with ReLU, then max pooling), then the feature maps
    as one vector: flattened, or averaged per channel when they are large."""
    kernel = model_cfg.get("kernel_size") or DEFAULT_KERNEL_SIZE
    for filters in model_cfg.get("conv_filters") or DEFAULT_CONV_FILTERS:
        x = keras.layers.Conv2D(filters, kernel, padding="same", activation="relu")(x)
        x = _pool_if_room(x)
    if x.shape[1] * x.shape[2] * x.shape[3] > FLATTEN_LIMIT:
        return keras.layers.GlobalAveragePooling2D()(x)
    return keras.layers.Flatten()(x)


def _batch_norm_relu6(x: Any) -> Any:
    """Batch normalization whose inference statistics follow training closely (momentum 0.9,
    not Keras' 0.99): with the few hundred steps a pipeline trains, 0.99 left them so far from
    the batches' that a model 78 % right in training was 10 % right in evaluation."""
    return keras.layers.ReLU(6.0)(keras.layers.BatchNormalization(momentum=0.9)(x))


def _conv_bn(x: Any, filters: int, kernel: int, strides: int) -> Any:
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    return _batch_norm_relu6(x)


def _separable(x: Any, filters: int, strides: int) -> Any:
    """MobileNet's block: a 3x3 depthwise convolution, then a 1x1 pointwise one."""
    x = keras.layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False)(x)
    x = _batch_norm_relu6(x)
    return _conv_bn(x, filters, 1, 1)


def mobilenet_body(x: Any, model_cfg: dict[str, Any]) -> Any:
    """A small MobileNet (v1) of depthwise-separable blocks, every width times ``alpha``; a
    stride is 1 where it would leave under 2 pixels, so small images (28x28) fit."""
    alpha = model_cfg.get("alpha") or 1.0

    def width(filters: int) -> int:
        return max(8, int(filters * alpha))

    stem_stride = 2 if min(x.shape[1], x.shape[2]) >= 32 else 1
    x = _conv_bn(x, width(32), 3, stem_stride)
    for filters, strides in MOBILENET_BLOCKS:
        if strides == 2 and min(x.shape[1], x.shape[2]) < 4:
            strides = 1
        x = _separable(x, width(filters), strides)
    return keras.layers.GlobalAveragePooling2D()(x)


def build_vision_model(
    custom_config: dict[str, Any], tf_transform_output: tft.TFTransformOutput
) -> keras.Model:
    """The compiled cnn or mobilenet: augmentation (training only), the body, the hidden
    layers and the task's head, with one input named as the Transform output."""
    model_cfg = custom_config["model"]
    training = custom_config.get("training", {})
    key = F.transformed_name(custom_config["images"]["key"])
    shape = tf_transform_output.transformed_feature_spec()[key].shape
    inp = keras.Input(shape=tuple(shape), name=key, dtype=tf.float32)
    x = inp
    steps = augmentation(training.get("augment"), training.get("seed", 42))
    if steps:
        x = TrainingOnly(steps, name=AUGMENT_LAYER)(x)
    body = mobilenet_body if model_cfg.get("type") == "mobilenet" else cnn_body
    x = body(x, model_cfg)
    dropout = model_cfg.get("dropout")
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    for units in model_cfg["hidden_units"]:
        x = keras.layers.Dense(units, activation="relu")(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    outputs, loss, metrics = _head(x, custom_config["label"], tf_transform_output)
    model = keras.Model(inputs={key: inp}, outputs=outputs)
    model.compile(optimizer=_optimizer(model_cfg), loss=loss, weighted_metrics=metrics)
    return model
