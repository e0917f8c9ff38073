"""The Keras network a config describes: inputs from the Transform outputs, a DNN (or wide and
deep) body and the task's head.

Apart from the Trainer's ``run_fn`` because the Tuner, the optimization components and custom
trainers build the very same model (``tfxkit.training.keras_trainer`` re-exports these names,
which the docs name for custom trainers). Uses ``tf_keras`` (Keras 2) because TF
Transform's Keras layer and TFMA 0.47 are built on it.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras

from tfxkit.config import features as F
from tfxkit.training.autograph import skip_tf_keras_conversion

skip_tf_keras_conversion()  # every model built here is fitted and exported with tf_keras


def category_depth(feature: dict[str, Any], tf_transform_output: tft.TFTransformOutput) -> int:
    """How many ids a categorical transform's output can take (0: a float input)."""
    kind = feature["transform"]
    if kind in ("vocabulary", "text"):
        size = tf_transform_output.vocabulary_size_by_name(F.vocab_file(feature["key"]))
        return size + feature.get("oov_buckets", 1)
    if kind == "bucketize":
        return feature["buckets"]
    if kind in ("hash", "cross"):
        return feature["hash_buckets"]
    return 0


def _optimizer(model_cfg: dict[str, Any]) -> keras.optimizers.Optimizer:
    classes = {
        "adam": keras.optimizers.Adam,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
        "adagrad": keras.optimizers.Adagrad,
    }
    return classes[model_cfg.get("optimizer", "adam")](model_cfg["learning_rate"])


def build_model(
    custom_config: dict[str, Any], tf_transform_output: tft.TFTransformOutput
) -> keras.Model:
    """One input per transformed feature (and cross).

    ``dnn``: numbers and categorical ids (one-hot, or embeddings of ``model.embedding_dim``)
    through the hidden layers. ``wide_and_deep``: the same deep part, plus a linear (wide) part
    over the one-hot ids and crosses, joined before the output layer. A text feature's ids
    become one vector by ``model.type`` (``text_pooling``, ``text_cnn``, ``text_transformer``:
    ``training.text_models``) beside the other inputs.
    """
    if custom_config.get("images"):  # cnn / mobilenet over decoded pixels
        from tfxkit.training.vision import build_vision_model

        return build_vision_model(custom_config, tf_transform_output)
    model_cfg = custom_config["model"]
    embedding_dim = model_cfg.get("embedding_dim")
    inputs: dict[str, keras.Input] = {}
    deep, wide = [], []
    crosses = [
        {"key": c["key"], "transform": "cross", "hash_buckets": c["hash_buckets"], "missing": {}}
        for c in custom_config.get("crosses", [])
    ]
    for feature in [*custom_config["features"], *crosses]:
        key = F.transformed_name(feature["key"])
        depth = category_depth(feature, tf_transform_output)
        if feature["transform"] == "text":  # ids + 1, 0 = padding: by model.type (text_models)
            from tfxkit.training.text_models import encode_text

            inp = keras.Input(shape=(feature["max_tokens"],), name=key, dtype=tf.int64)
            deep.append(encode_text(inp, depth + 1, model_cfg, feature["key"]))
        elif feature["transform"] == "date":  # cyclic parts and z-scored days: one vector
            width = tf_transform_output.transformed_feature_spec()[key].shape[-1]
            inp = keras.Input(shape=(width,), name=key, dtype=tf.float32)
            deep.append(inp)
        elif depth:
            inp = keras.Input(shape=(1,), name=key, dtype=tf.int64)
            one_hot = keras.layers.CategoryEncoding(num_tokens=depth, output_mode="one_hot")(inp)
            wide.append(one_hot)
            if embedding_dim:
                embedded = keras.layers.Embedding(depth, embedding_dim)(inp)
                deep.append(keras.layers.Flatten()(embedded))
            else:
                deep.append(one_hot)
        else:
            inp = keras.Input(shape=(1,), name=key, dtype=tf.float32)
            deep.append(inp)
        inputs[key] = inp
        if feature["missing"].get("indicator"):
            name = F.missing_indicator_name(feature["key"])
            inputs[name] = keras.Input(shape=(1,), name=name, dtype=tf.float32)
            deep.append(inputs[name])
    x = keras.layers.concatenate(deep) if len(deep) > 1 else deep[0]
    for units in model_cfg["hidden_units"]:
        x = keras.layers.Dense(units, activation="relu")(x)
        if model_cfg.get("dropout"):
            x = keras.layers.Dropout(model_cfg["dropout"])(x)
    if model_cfg.get("type") == "wide_and_deep" and wide:
        # One output layer over [deep, wide] = the sum of a deep and a linear (wide) model.
        x = keras.layers.concatenate([x, *wide], name="wide_and_deep")
    outputs, loss, metrics = _head(x, custom_config["label"], tf_transform_output)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=_optimizer(model_cfg), loss=loss, weighted_metrics=metrics)
    return model


def _head(x: Any, label: dict[str, Any], tf_transform_output: tft.TFTransformOutput):
    """Output layer, loss and metrics for the task (the output names are the task's too)."""
    task = label["task"]
    if task == "regression":
        # The network predicts a standardized value; the output is in the label's own units
        # (so serving and TFMA see real units) and training starts from the label's scale.
        mean, std = label.get("stats", (0.0, 1.0))
        standardized = keras.layers.Dense(1)(x)
        return (
            keras.layers.Rescaling(std, offset=mean, name="predictions")(standardized),
            keras.losses.MeanSquaredError(),
            [keras.metrics.MeanAbsoluteError()],
        )
    if task == "binary":
        if not label.get("derive") and label.get("positive") is None:
            classes = tf_transform_output.vocabulary_size_by_name(F.LABEL_VOCAB_FILE)
            if classes != 2:
                raise ValueError(
                    f"label '{label['name']}' is configured as binary but the training data has "
                    f"{classes} classes: set label.positive (one value against the rest), use "
                    "task: multiclass, or derive a 0/1 label"
                )
        return (
            keras.layers.Dense(1, activation="sigmoid", name="probabilities")(x),
            keras.losses.BinaryCrossentropy(),
            [keras.metrics.BinaryAccuracy(), keras.metrics.AUC(name="auc")],
        )
    num_classes = tf_transform_output.vocabulary_size_by_name(F.LABEL_VOCAB_FILE)
    return (
        keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x),
        keras.losses.SparseCategoricalCrossentropy(),
        [keras.metrics.SparseCategoricalAccuracy()],
    )


def apply_hyperparameters(model_cfg: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The model config with tuned values in place (``hidden_units`` travels as "16,8")."""
    updated = dict(model_cfg)
    for name, value in values.items():
        if name == "hidden_units" and isinstance(value, str):
            value = [int(v) for v in value.split(",")]
        updated[name] = value
    return updated
