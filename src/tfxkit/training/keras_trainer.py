"""The ``run_fn`` TFX's Trainer calls: a small Keras DNN over TF Transform outputs.

The exported SavedModel carries the Transform graph, so serving takes raw feature values:

* ``serving_default``: one tensor per configured feature, named by its column key
  (``tfxkit.config.features.column_key``) -> ``probabilities`` and ``classes`` (what TF Serving's
  REST ``instances`` format feeds). Numbers are float64 (any JSON number; ints convert), NaN
  means missing; strings are strings, "" means missing. A missing input is imputed by the
  same Transform graph as in training. Unused CSV columns and the label are not inputs.
* ``serving_examples``: serialized ``tf.Example`` -> probabilities (what TFMA feeds);
* ``transform_features``: serialized ``tf.Example`` -> transformed features, label included
  (TFMA's preprocessing function, so it can read the label index).

Uses ``tf_keras`` (Keras 2) because TF Transform's Keras layer and TFMA 0.47 are built on it.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from tfx import v1 as tfx
from tfx_bsl.public import tfxio

from tfxkit.config import features as F
from tfxkit.config import label_expr
from tfxkit.training.autograph import skip_tf_keras_conversion
from tfxkit.training.strategies import describe, make_strategy, split_cpu

skip_tf_keras_conversion()


def input_fn(
    file_pattern: list[str],
    data_accessor: tfx.components.DataAccessor,
    tf_transform_output: tft.TFTransformOutput,
    label_key: str,
    batch_size: int,
) -> tf.data.Dataset:
    dataset = data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(batch_size=batch_size, label_key=label_key),
        tf_transform_output.transformed_metadata.schema,
    )

    def with_weight(features: dict[str, tf.Tensor], label: tf.Tensor):
        features = dict(features)
        weight = features.pop(F.LABEL_WEIGHT, None)
        if weight is None:
            return features, label
        return features, label, tf.reshape(weight, [-1])

    return (
        dataset.map(with_weight, num_parallel_calls=tf.data.AUTOTUNE)
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )


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
    over the one-hot ids and crosses, joined before the output layer.
    """
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
        if feature["transform"] == "text":  # ids + 1, 0 = padding: averaged word embeddings
            inp = keras.Input(shape=(feature["max_tokens"],), name=key, dtype=tf.int64)
            embedded = keras.layers.Embedding(depth + 1, embedding_dim or 8, mask_zero=True)(inp)
            deep.append(keras.layers.GlobalAveragePooling1D()(embedded))
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
        if not label.get("derive"):
            classes = tf_transform_output.vocabulary_size_by_name(F.LABEL_VOCAB_FILE)
            if classes != 2:
                raise ValueError(
                    f"label '{label['name']}' is configured as binary but the training data has "
                    f"{classes} classes: use task: multiclass, or derive a 0/1 label"
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


def _class_names(label: dict[str, Any], tf_transform_output: tft.TFTransformOutput) -> list[str]:
    if label["task"] == "regression":
        return []
    if label.get("derive"):
        return list(F.DERIVED_CLASSES)
    return _read_vocabulary(tf_transform_output.vocabulary_file_by_name(F.LABEL_VOCAB_FILE))


def _named_outputs(predictions: tf.Tensor, task: str, classes: tf.Tensor) -> dict[str, tf.Tensor]:
    """What serving returns: regression -> predictions; binary -> P(positive) and class."""
    if task == "regression":
        return {"predictions": tf.reshape(predictions, [-1])}
    if task == "binary":
        positive = tf.reshape(predictions, [-1])
        return {
            "probabilities": positive,
            "classes": tf.gather(classes, tf.cast(positive >= 0.5, tf.int64)),
        }
    return {
        "probabilities": predictions,
        "classes": tf.gather(classes, tf.argmax(predictions, axis=1)),
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


def _serving_signatures(
    model: keras.Model, tf_transform_output: tft.TFTransformOutput, custom_config: dict[str, Any]
) -> dict[str, Any]:
    model.tft_layer = tf_transform_output.transform_features_layer()
    raw_spec = tf_transform_output.raw_feature_spec()
    keys = [f["key"] for f in custom_config["features"]]
    label_key = custom_config["label"]["key"]
    feature_spec = {k: raw_spec[k] for k in keys}
    model_inputs = list(model.input.keys()) if isinstance(model.input, dict) else model.input_names
    task = custom_config["label"]["task"]
    classes = tf.constant(_class_names(custom_config["label"], tf_transform_output) or [""])

    def predict_transformed(transformed: dict[str, tf.Tensor]) -> tf.Tensor:
        # Scalar features arrive as [batch]; text ids as [batch, max_tokens].
        return model(
            {
                k: tf.reshape(transformed[k], [-1, 1])
                if transformed[k].shape.rank == 1
                else transformed[k]
                for k in model_inputs
            }
        )

    raw_signature = {
        key: tf.TensorSpec(
            shape=[None], dtype=tf.string if spec.dtype == tf.string else tf.float64, name=key
        )
        for key, spec in feature_spec.items()
    }

    @tf.function(input_signature=[raw_signature])
    def serve_raw(raw_features: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        raw = {k: _raw_input(v, feature_spec[k]) for k, v in raw_features.items()}
        return _named_outputs(predict_transformed(model.tft_layer(raw)), task, classes)

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


def set_signature_methods(saved_model_dir: str) -> None:
    from tensorflow.core.protobuf import saved_model_pb2

    path = f"{saved_model_dir}/saved_model.pb"
    proto = saved_model_pb2.SavedModel()
    with tf.io.gfile.GFile(path, "rb") as handle:
        proto.ParseFromString(handle.read())
    for meta_graph in proto.meta_graphs:
        for name, method in _METHOD_NAMES.items():
            if name in meta_graph.signature_def:
                meta_graph.signature_def[name].method_name = method
    with tf.io.gfile.GFile(path, "wb") as handle:
        handle.write(proto.SerializeToString())


def _label_stats(dataset: tf.data.Dataset, batches: int = 50) -> tuple[float, float]:
    """Mean and standard deviation of the present labels in the first batches."""
    total = count = squares = 0.0
    for batch in dataset.take(batches):
        label, weight = tf.reshape(batch[1], [-1]), tf.reshape(batch[2], [-1])
        label = tf.cast(label, tf.float64)
        weight = tf.cast(weight, tf.float64)
        total += float(tf.reduce_sum(label * weight))
        squares += float(tf.reduce_sum(label * label * weight))
        count += float(tf.reduce_sum(weight))
    if count == 0:
        return 0.0, 1.0
    mean = total / count
    return mean, max((squares / count - mean * mean) ** 0.5, 1e-6)


def _read_vocabulary(path: str) -> list[str]:
    with tf.io.gfile.GFile(path) as handle:
        return [line.rstrip("\n") for line in handle]


def _warm_start(model: keras.Model, base_model_dir: str | None) -> None:
    """Copy the blessed model's weights, layer by layer, when every shape matches."""
    if not base_model_dir:
        print("[tfxkit] warm start: no blessed model yet; training from scratch", flush=True)
        return
    base = keras.models.load_model(base_model_dir, compile=False)
    ours, theirs = model.get_weights(), base.get_weights()
    shapes = [w.shape for w in ours] == [w.shape for w in theirs]
    if not shapes:
        print(
            f"[tfxkit] warm start: {base_model_dir} has other layers (features or model "
            "changed); training from scratch",
            flush=True,
        )
        return
    model.set_weights(theirs)
    print(f"[tfxkit] warm start: weights from {base_model_dir}", flush=True)


def apply_hyperparameters(model_cfg: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The model config with tuned values in place (``hidden_units`` travels as "16,8")."""
    updated = dict(model_cfg)
    for name, value in values.items():
        if name == "hidden_units" and isinstance(value, str):
            value = [int(v) for v in value.split(",")]
        updated[name] = value
    return updated


def resumable_callbacks(strategy_name: str, run_dir: str) -> list[keras.callbacks.Callback]:
    """BackupAndRestore for strategies whose workers can die mid-job (multi-worker, parameter
    server): a restarted worker (Vertex and Kubeflow restart the pod within the same job, so the
    same run directory) resumes from the last finished epoch instead of starting over."""
    if strategy_name not in ("multi_worker_mirrored", "parameter_server"):
        return []
    return [keras.callbacks.BackupAndRestore(backup_dir=f"{run_dir}/backup")]


def run_fn(fn_args: tfx.components.FnArgs) -> None:
    """TFX Trainer entry point (referenced as ``tfxkit.training.keras_trainer.run_fn``)."""
    cfg = fn_args.custom_config
    training = cfg["training"]
    if fn_args.hyperparameters:  # the Tuner's best values (tuning section)
        values = fn_args.hyperparameters.get("values", {})
        cfg = {**cfg, "model": apply_hyperparameters(cfg["model"], values)}
        print(f"[tfxkit] training with the Tuner's best hyperparameters: {values}", flush=True)
    split_cpu(training.get("cpu_devices", 1))  # local runs did it before TF started
    strategy = make_strategy(training["strategy"], training.get("accelerator", "auto"))
    global_batch = training["batch_size"] * strategy.num_replicas_in_sync
    print(
        f"[tfxkit] training with strategy {training['strategy']}: {describe(strategy)}; "
        f"global batch {global_batch}",
        flush=True,
    )
    keras.utils.set_random_seed(training["seed"])
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    label_key = F.transformed_name(cfg["label"]["key"])
    train_ds = input_fn(
        fn_args.train_files, fn_args.data_accessor, tf_transform_output, label_key, global_batch
    )
    eval_ds = input_fn(
        fn_args.eval_files, fn_args.data_accessor, tf_transform_output, label_key, global_batch
    )
    if cfg["label"]["task"] == "regression":
        cfg = {**cfg, "label": {**cfg["label"], "stats": _label_stats(train_ds)}}
    with strategy.scope():
        model = build_model(cfg, tf_transform_output)
    if training.get("warm_start"):
        _warm_start(model, fn_args.base_model)
    epochs = training["epochs"]
    callbacks = resumable_callbacks(training["strategy"], fn_args.model_run_dir)
    if training.get("early_stopping_patience"):
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=training["early_stopping_patience"],
                restore_best_weights=True,
                verbose=1,
            )
        )
    model.fit(
        train_ds,
        epochs=epochs,
        steps_per_epoch=max(1, fn_args.train_steps // epochs),
        validation_data=eval_ds,
        validation_steps=fn_args.eval_steps,
        callbacks=callbacks,
        verbose=2,
    )
    signatures = _serving_signatures(model, tf_transform_output, cfg)
    model.save(fn_args.serving_model_dir, save_format="tf", signatures=signatures)
    set_signature_methods(fn_args.serving_model_dir)
