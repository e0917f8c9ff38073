"""The ``preprocessing_fn`` TFX's Transform component runs, built from the config's features.

Why config-driven: the same function serves every tabular pipeline; each feature's transform
(z-score, min-max, log, clip, vocabulary with top-k and OOV buckets, quantile buckets, hashing,
identity, tokens of text: ``transform.text``, parts of dates: ``transform.dates``), the
feature crosses and missing-value rules come from ``features[*]``/``crosses`` and reach this
function as Transform's ``custom_config``. Referenced by module path
(``tfxkit.transform.preprocessing.preprocessing_fn``) so it is importable from the installed
package in any container, never a local file.

Missing values: a CSV cell that is empty (or a configured marker) is absent from its
tf.Example, so the feature arrives as a SparseTensor. The imputed value (mean, median, most
frequent, or a constant) is computed by TF Transform analyzers over the present values and
baked into the graph, so serving fills a missing input exactly as training did. An optional
0/1 indicator input tells the model a value was missing.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_transform as tft

from tfxkit.config import features as F
from tfxkit.config import label_expr
from tfxkit.config.evaluation import length_slice_key
from tfxkit.transform.dates import date_features
from tfxkit.transform.images import image_features
from tfxkit.transform.text import length_bucket, text_ids


def _dense_with_mask(tensor: Any, placeholder: Any) -> tuple[tf.Tensor, tf.Tensor]:
    """(values [batch], missing [batch] bool) from a dense or sparse ([batch, 1]) feature."""
    if isinstance(tensor, tf.sparse.SparseTensor):
        shaped = tf.sparse.SparseTensor(tensor.indices, tensor.values, [tensor.dense_shape[0], 1])
        dense = tf.squeeze(tf.sparse.to_dense(shaped, default_value=placeholder), axis=1)
        present = tf.sparse.to_dense(
            tf.sparse.SparseTensor(
                shaped.indices, tf.ones_like(shaped.values, tf.int8), shaped.dense_shape
            )
        )
        return dense, tf.squeeze(present, axis=1) == 0
    if tensor.shape.rank == 2:
        tensor = tf.squeeze(tensor, axis=1)
    return tensor, tf.zeros_like(tensor, dtype=tf.bool)


def _present_values(tensor: Any) -> tf.Tensor:
    """The values that were not missing (what the imputation analyzers may look at)."""
    if isinstance(tensor, tf.sparse.SparseTensor):
        return tensor.values
    return tf.reshape(tensor, [-1])


def _most_frequent(values: tf.Tensor, name: str) -> tf.Tensor:
    """The most frequent value, read back from a top-1 vocabulary computed by TF Transform."""
    as_text = values if values.dtype == tf.string else tf.strings.as_string(values)
    path = tft.vocabulary(as_text, top_k=1, vocab_filename=f"{name}_most_frequent")
    table = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(
            path,
            tf.int64,
            tf.lookup.TextFileIndex.LINE_NUMBER,
            tf.string,
            tf.lookup.TextFileIndex.WHOLE_LINE,
        ),
        default_value="",
    )
    mode = table.lookup(tf.constant(0, tf.int64))
    if values.dtype == tf.string:
        return mode
    return tf.cast(tf.strings.to_number(mode, tf.float64), values.dtype)


def _fill_value(raw: Any, feature: dict[str, Any]) -> tf.Tensor:
    rule = feature["missing"]
    values = _present_values(raw)
    impute = rule["impute"]
    if impute == "constant":
        return tf.constant(rule["value"], dtype=values.dtype)
    if impute == "most_frequent":
        return _most_frequent(values, feature["key"])
    as_float = tf.cast(values, tf.float32)
    if impute == "mean":
        result = tft.mean(as_float)
    else:  # median: the middle boundary of a 2-bucket quantile split
        result = tft.quantiles(as_float, num_buckets=2, epsilon=0.001)[0][0]
    if values.dtype.is_integer:
        result = tf.round(result)
    return tf.cast(result, values.dtype)


def impute(raw: Any, feature: dict[str, Any]) -> tuple[tf.Tensor, tf.Tensor]:
    """The feature with missing values filled by its rule, and the missing mask."""
    fill = _fill_value(raw, feature)
    dense, missing = _dense_with_mask(raw, tf.zeros([], dtype=fill.dtype))
    return tf.where(missing, tf.fill(tf.shape(dense), fill), dense), missing


def _as_text(value: tf.Tensor) -> tf.Tensor:
    return value if value.dtype == tf.string else tf.strings.as_string(value)


def _transform_feature(value: tf.Tensor, feature: dict[str, Any]) -> tf.Tensor:
    """One imputed feature -> its model input: a float, or a category id (``category_depth``)."""
    kind, key = feature["transform"], feature["key"]
    if feature.get("clip"):
        low, high = feature["clip"]
        value = tf.clip_by_value(tf.cast(value, tf.float32), low, high)
    if kind == "zscore":
        return tft.scale_to_z_score(tf.cast(value, tf.float32))
    if kind == "minmax":
        return tft.scale_to_0_1(tf.cast(value, tf.float32))
    if kind == "log":
        return tft.scale_to_z_score(tf.math.log1p(tf.maximum(tf.cast(value, tf.float32), 0.0)))
    if kind == "vocabulary":
        return tft.compute_and_apply_vocabulary(
            value,
            top_k=feature.get("top_k"),
            num_oov_buckets=feature.get("oov_buckets", 1),
            vocab_filename=F.vocab_file(key),
        )
    if kind == "bucketize":
        return tft.bucketize(tf.cast(value, tf.float32), num_buckets=feature["buckets"])
    if kind == "hash":
        return tf.strings.to_hash_bucket_fast(_as_text(value), feature["hash_buckets"])
    if kind == "text":
        return text_ids(value, feature)  # [batch, max_tokens] ids: tfxkit.transform.text
    if kind == "date":
        return date_features(value)  # [batch, 7] floats: cyclic parts and z-scored days
    if kind == "identity":
        return tf.cast(value, tf.float32)
    raise ValueError(f"feature '{feature['name']}': unknown transform '{kind}'")


def _cross(values: list[tf.Tensor], buckets: int) -> tf.Tensor:
    """Ids of the combined values (``"Biscoe_x_male"``), hashed: a cross has no vocabulary."""
    joined = tf.strings.join([_as_text(v) for v in values], separator="_x_")
    return tf.strings.to_hash_bucket_fast(joined, buckets)


def _check_type(feature: dict[str, Any], value: Any) -> None:
    """A declared string read as numbers (or the reverse) names the feature and the fix, rather
    than TF's ``Expected int64, but got __missing__`` from deep inside the graph."""
    declared = feature.get("type", "")
    held = "string" if value.dtype == tf.string else "number"
    if (declared == "string") == (held == "string"):
        return
    raise ValueError(
        f"feature '{feature['name']}' is declared {declared} but the data's schema holds it as "
        f"{'strings' if held == 'string' else 'numbers'} (the schema of record, or a curated "
        "schema.path, was written before; the readers now use the declared type): review and "
        "accept the change with `tfxkit schema accept -c CONFIG` (then `--yes --reason ...`; "
        "see 'When your data changes' in the README), or declare the type the data has"
    )


def preprocessing_fn(inputs: dict[str, Any], custom_config: dict[str, Any]) -> dict[str, Any]:
    """Map raw features to model inputs, and the label to what its task needs."""
    if custom_config.get("images"):  # decoded, resized, scaled pixels (transform.images)
        pixels = image_features(inputs, custom_config["images"])
        return {**pixels, **transform_label(inputs, custom_config["label"])}
    outputs: dict[str, Any] = {}
    imputed: dict[str, tf.Tensor] = {}
    for feature in custom_config["features"]:
        key = feature["key"]
        if key not in inputs:
            raise ValueError(
                f"feature '{feature['name']}' is configured but not in the data's schema "
                f"(columns: {sorted(inputs)}): either the data lacks it, or the schema marks it "
                "deprecated, which TFDV does when almost no row has a value; leave it out of "
                "the config, or give a curated schema that keeps it (tfxkit schema freeze)"
            )
        _check_type(feature, inputs[key])
        value, missing = impute(inputs[key], feature)
        imputed[key] = value
        outputs[F.transformed_name(key)] = _transform_feature(value, feature)
        if "length_buckets" in feature:  # an evaluation slice, not a model input (issue 23)
            outputs[length_slice_key(key)] = length_bucket(value, feature)
        if feature["missing"]["indicator"]:
            outputs[F.missing_indicator_name(key)] = tf.cast(missing, tf.float32)
    for cross in custom_config.get("crosses", []):
        parts = [imputed[key] for key in cross["features"]]
        outputs[F.transformed_name(cross["key"])] = _cross(parts, cross["hash_buckets"])

    outputs.update(transform_label(inputs, custom_config["label"]))
    return outputs


def _tf_ops(inputs: dict[str, Any], expression_text: str) -> Any:
    """label_expr Ops over raw TF inputs: numbers as float64 with NaN where missing."""

    def column(name: str) -> tf.Tensor:
        key = F.column_key(name)
        if key not in inputs:
            raise ValueError(
                f"label.derive {expression_text!r} names '{name}', which is not a column "
                f"(columns: {sorted(inputs)})"
            )
        raw = inputs[key]
        dtype = raw.dtype
        if dtype == tf.string:
            return _dense_with_mask(raw, "")[0]
        dense, missing = _dense_with_mask(raw, tf.zeros([], dtype))
        nan = tf.fill(tf.shape(dense), tf.constant(float("nan"), tf.float64))
        return tf.where(missing, nan, tf.cast(dense, tf.float64))

    def constant(value: Any) -> tf.Tensor:
        return tf.constant(value, tf.string if isinstance(value, str) else tf.float64)

    arithmetic = {"add": tf.add, "sub": tf.subtract, "mul": tf.multiply, "div": tf.divide}
    comparisons = {
        "lt": tf.less, "le": tf.less_equal, "gt": tf.greater, "ge": tf.greater_equal,
        "eq": tf.equal, "ne": tf.not_equal,
    }  # fmt: skip
    return label_expr.Ops(
        column=column,
        constant=constant,
        binary=lambda op, a, b: arithmetic[op](a, b),
        compare=lambda op, a, b: comparisons[op](a, b),
        logical_and=tf.logical_and,
        logical_or=tf.logical_or,
        logical_not=tf.logical_not,
        negate=tf.negative,
    )


def transform_label(inputs: dict[str, Any], label: dict[str, Any]) -> dict[str, tf.Tensor]:
    """The label as the task needs it, and a 0/1 weight that is 0 where it is missing.

    multiclass: a class index from a vocabulary (class names kept); binary: 0/1, from a
    derived expression, ``label.positive`` (1 where the value is it), or a two-class
    vocabulary (1 for the less frequent value); regression: the float value.
    """
    key, task = label["key"], label["task"]
    if label.get("derive"):
        expression = label_expr.parse(label["derive"])
        value = label_expr.evaluate(expression, _tf_ops(inputs, label["derive"]))
        return {
            F.transformed_name(key): tf.cast(value, tf.int64),
            F.LABEL_WEIGHT: tf.ones_like(tf.cast(value, tf.float32)),
        }
    if key not in inputs:  # absent at serving time
        return {}
    value, missing = _dense_with_mask(inputs[key], tf.zeros([], inputs[key].dtype))
    weight = 1.0 - tf.cast(missing, tf.float32)
    if task == "regression":
        return {F.transformed_name(key): tf.cast(value, tf.float32), F.LABEL_WEIGHT: weight}
    as_text = value if value.dtype == tf.string else tf.strings.as_string(value)
    # Class indices are dense 0..n-1 (most frequent first) and the class names are kept. The
    # vocabulary counts only rows with a label (weight 1), so a missing label never becomes a
    # class of its own; those rows map to index 0 and weigh 0 in training and evaluation.
    vocabulary = tft.vocabulary(
        as_text, weights=weight, frequency_threshold=0.5, vocab_filename=F.LABEL_VOCAB_FILE
    )
    if label.get("positive") is not None:
        index = tf.cast(tf.equal(as_text, label["positive"]), tf.int64)
    else:
        index = tft.apply_vocabulary(as_text, vocabulary, default_value=0)
    return {F.transformed_name(key): index, F.LABEL_WEIGHT: weight}
