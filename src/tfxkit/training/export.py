"""The SavedModel the Trainer exports: the Keras model plus the Transform graph, so serving
takes raw feature values.

Signatures:

* ``serving_default``: one tensor per configured feature, named by the data's own column name
  (``unit-price``, ``class``, ``arr delay (min)``: whatever the CSV header says) -> for a
  classifier ``classes`` (the predicted class's name), ``probabilities`` (one per class) and
  ``class_names`` (the class of each probability, in the same order: the label vocabulary's,
  and for a binary label ``[other, positive]``), so an answer names what it predicts and each
  probability's class as TF Serving's Classify does; for regression ``predictions``. One
  contract for REST and batch scoring (``tfxkit.batch``, docs/serving.md). The
  traced function's parameters need Python identifiers (a column called ``class`` failed the
  export), so it is traced with safe argument names (``serving_argument_names``) and the saved
  SignatureDef's input keys are then renamed to the column names: TF Serving feeds tensors by
  SignatureDef key, and ``tfxkit serve`` maps the keys back to the arguments. Numbers are
  float64 (any JSON number; ints convert), NaN means missing; strings are strings, "" means
  missing. A missing input is imputed by the same Transform graph as in training. Unused CSV
  columns and the label are not inputs. An image model (``data.format: images``) takes one
  input, ``image``: the encoded PNG or JPEG bytes, as ingest stored them; the Transform graph
  decodes, resizes and scales them (``transform.images``). Over REST they travel as TF
  Serving's ``{"b64": ...}``, which TF Serving (and ``tfxkit serve``) decode for string inputs.
* ``serving_examples``: serialized ``tf.Example`` -> probabilities (what TFMA feeds);
* ``transform_features``: serialized ``tf.Example`` -> transformed features, label included
  (TFMA's preprocessing function, so it can read the label index);
* ``classification`` or ``regression``: TF Serving's Classify / Regress APIs.

Apart from ``run_fn`` because the optimization components export their models the same way,
so serving cannot tell an optimized model from the Trainer's but by its answers.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras

from tfxkit.config import features as F
from tfxkit.config import label_expr
from tfxkit.training.autograph import skip_tf_keras_conversion

skip_tf_keras_conversion()  # the export traces tf_keras layers


def save_serving_model(
    model: keras.Model,
    tf_transform_output: tft.TFTransformOutput,
    custom_config: dict[str, Any],
    serving_model_dir: str,
) -> None:
    """Save ``model`` with tfxkit's serving signatures, method names set for TF Serving and
    the raw signature's inputs named as the data's columns."""
    signatures = serving_signatures(model, tf_transform_output, custom_config)
    model.save(serving_model_dir, save_format="tf", signatures=signatures)
    columns = input_columns(custom_config)
    arguments = serving_argument_names(list(columns))
    set_signature_methods(serving_model_dir, {arguments[k]: c for k, c in columns.items()})


def input_columns(custom_config: dict[str, Any]) -> dict[str, str]:
    """feature key -> the name a client sends it under: the configured columns, or for an
    image model its one input, the encoded image."""
    images = custom_config.get("images")
    if images:
        return {images["key"]: images["key"]}
    return {f["key"]: f.get("name", f["key"]) for f in custom_config["features"]}


_NOT_IDENTIFIER = re.compile(r"\W", re.ASCII)


def serving_argument_names(keys: list[str]) -> dict[str, str]:
    """feature key -> a parameter name TF accepts for the traced serving function.

    TF names a signature function's parameters after its input TensorSpecs and requires them
    to be Python identifiers that are not keywords (``class``, ``from``, ``lambda``); the
    result is unique, ASCII and stable for a given list of keys.
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for key in keys:
        name = _NOT_IDENTIFIER.sub("_", key) or "feature"
        if name[0].isdigit() or name[0] == "_":
            name = f"f_{name}"
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            name = f"{name}_"
        while name in used:
            name = f"{name}_"
        used.add(name)
        names[key] = name
    return names


def _class_names(label: dict[str, Any], tf_transform_output: tft.TFTransformOutput) -> list[str]:
    if label["task"] == "regression":
        return []
    if label.get("derive"):
        return list(F.DERIVED_CLASSES)
    names = _read_vocabulary(tf_transform_output.vocabulary_file_by_name(F.LABEL_VOCAB_FILE))
    positive = label.get("positive")
    if positive is None:
        return names
    others = [n for n in names if n != positive]  # class 0: every other value
    return [others[0] if len(others) == 1 else f"not {positive}", positive]


def named_outputs(predictions: tf.Tensor, task: str, classes: tf.Tensor) -> dict[str, tf.Tensor]:
    """What ``serving_default`` returns: regression -> ``predictions`` [batch]; a classifier ->
    ``classes`` (the predicted class) [batch], ``probabilities`` [batch, n] and ``class_names``
    [batch, n] naming each probability's class. A binary model's one sigmoid becomes
    ``[1 - p, p]`` under ``[other, positive]`` (``classes`` is the positive class when p > 0.5,
    Keras' binary accuracy rule), so an answer never reads as predicting the class whose
    probability it gives.
    ``class_names`` repeats per row because TF Serving's row format (``instances``) needs every
    output to have the batch as its first dimension."""
    if task == "regression":
        return {"predictions": tf.reshape(predictions, [-1])}
    if task == "binary":
        positive = tf.reshape(predictions, [-1, 1])
        predictions = tf.concat([1.0 - positive, positive], axis=1)
    batch = tf.shape(predictions)[0]
    return {
        "classes": tf.gather(classes, tf.argmax(predictions, axis=1)),
        "probabilities": predictions,
        "class_names": tf.tile(classes[tf.newaxis, :], [batch, 1]),
    }


def _raw_input(value: tf.Tensor, spec: Any) -> Any:
    """A serving value ([batch]) as the Transform graph's raw feature; NaN / "" are missing."""
    if value.dtype == tf.string:
        present = tf.strings.length(value) > 0
    else:
        present = tf.logical_not(tf.math.is_nan(value))
        value = tf.round(value) if spec.dtype.is_integer else value
    if isinstance(spec, tf.io.VarLenFeature):
        indices = tf.where(present)
        values = tf.cast(tf.boolean_mask(value, present), spec.dtype)
        batch = tf.shape(value, out_type=tf.int64)[0]
        return tf.sparse.SparseTensor(
            tf.concat([indices, tf.zeros_like(indices)], axis=1), values, [batch, 1]
        )
    # A fixed-shape feature (curated schema) cannot say "missing": fill the type's zero.
    filled = tf.where(present, value, tf.zeros_like(value))
    return tf.reshape(tf.cast(filled, spec.dtype), [-1, *spec.shape])


def serving_signatures(
    model: keras.Model, tf_transform_output: tft.TFTransformOutput, custom_config: dict[str, Any]
) -> dict[str, Any]:
    """The signatures above, as concrete functions (the model keeps the Transform layer)."""
    model.tft_layer = tf_transform_output.transform_features_layer()
    raw_spec = tf_transform_output.raw_feature_spec()
    keys = list(input_columns(custom_config))
    label_key = custom_config["label"]["key"]
    feature_spec = {k: raw_spec[k] for k in keys}
    model_inputs = list(model.input.keys()) if isinstance(model.input, dict) else model.input_names
    task = custom_config["label"]["task"]
    classes = tf.constant(_class_names(custom_config["label"], tf_transform_output) or [""])

    def predict_transformed(transformed: dict[str, tf.Tensor]) -> tf.Tensor:
        # Scalar features arrive as [batch]; text ids as [batch, max_tokens]; pixels as
        # [batch, height, width, channels].
        return model(
            {
                k: tf.reshape(transformed[k], [-1, 1])
                if transformed[k].shape.rank == 1
                else transformed[k]
                for k in model_inputs
            },
            training=False,  # inference: no dropout, no augmentation (training.vision)
        )

    arguments = serving_argument_names(keys)
    raw_signature = {
        key: tf.TensorSpec(
            shape=[None],
            dtype=tf.string if spec.dtype == tf.string else tf.float64,
            name=arguments[key],
        )
        for key, spec in feature_spec.items()
    }

    @tf.function(input_signature=[raw_signature])
    def serve_raw(raw_features: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        raw = {k: _raw_input(v, feature_spec[k]) for k, v in raw_features.items()}
        return named_outputs(predict_transformed(model.tft_layer(raw)), task, classes)

    # One traced function from serialized examples to predictions, called by every signature
    # that takes examples: the Transform layer and the model are traced once for all three.
    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string)])
    def predict_examples(serialized: tf.Tensor) -> tf.Tensor:
        return predict_transformed(model.tft_layer(tf.io.parse_example(serialized, feature_spec)))

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve_examples(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
        output = "predictions" if task == "regression" else "probabilities"
        return {output: predict_examples(serialized)}

    label = custom_config["label"]
    label_columns = (
        [F.column_key(c) for c in label_expr.parse(label["derive"]).columns]
        if label.get("derive")
        else [label_key]
    )
    with_label = {**feature_spec, **{k: raw_spec[k] for k in label_columns}}

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def transform_features(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
        return model.tft_layer(tf.io.parse_example(serialized, with_label))

    signatures = {
        F.SERVING_SIGNATURE: serve_raw.get_concrete_function(),
        F.EXAMPLES_SIGNATURE: serve_examples.get_concrete_function(),
        F.TRANSFORM_SIGNATURE: transform_features.get_concrete_function(),
    }

    # TF Serving's Classify/Regress take serialized examples under the input name "inputs".
    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="inputs")])
    def classify(inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        scores = predict_examples(inputs)
        if task == "binary":
            positive = tf.reshape(scores, [-1, 1])
            scores = tf.concat([1.0 - positive, positive], axis=1)
        batch = tf.shape(scores)[0]
        return {"classes": tf.tile(classes[tf.newaxis, :], [batch, 1]), "scores": scores}

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="inputs")])
    def regress(inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"outputs": tf.reshape(predict_examples(inputs), [-1])}

    if task == "regression":
        signatures[F.REGRESS_SIGNATURE] = regress.get_concrete_function()
    else:
        signatures[F.CLASSIFY_SIGNATURE] = classify.get_concrete_function()
    return signatures


# Keras saves every signature with the predict method; TF Serving's Classify and Regress run
# only signatures whose method name says classify / regress, so the saved proto is amended.
_METHOD_NAMES = {
    F.CLASSIFY_SIGNATURE: "tensorflow/serving/classify",
    F.REGRESS_SIGNATURE: "tensorflow/serving/regress",
}


def set_signature_methods(saved_model_dir: str, column_names: dict[str, str] | None = None) -> None:
    """Amend the saved proto: method names for Classify / Regress and, with ``column_names``
    (argument name -> column name), the raw signature's input keys. Only the keys change: the
    tensors they point at (``serving_default_<argument>:0``) stay, so the graph is untouched."""
    from tensorflow.core.protobuf import saved_model_pb2

    path = f"{saved_model_dir}/saved_model.pb"
    proto = saved_model_pb2.SavedModel()
    with tf.io.gfile.GFile(path, "rb") as handle:
        proto.ParseFromString(handle.read())
    for meta_graph in proto.meta_graphs:
        for name, method in _METHOD_NAMES.items():
            if name in meta_graph.signature_def:
                meta_graph.signature_def[name].method_name = method
        raw = meta_graph.signature_def.get(F.SERVING_SIGNATURE)
        for argument, column in (column_names or {}).items():
            if raw is not None and argument in raw.inputs and argument != column:
                raw.inputs[column].CopyFrom(raw.inputs[argument])
                del raw.inputs[argument]
    with tf.io.gfile.GFile(path, "wb") as handle:
        handle.write(proto.SerializeToString())


def _read_vocabulary(path: str) -> list[str]:
    with tf.io.gfile.GFile(path) as handle:
        return [line.rstrip("\n") for line in handle]
