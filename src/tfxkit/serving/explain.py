"""Explanations with a prediction from ``tfxkit serve``: ``"explain": true`` in a :predict body.

The served SavedModel holds what integrated gradients needs: Keras saved it, so
``tf_keras.models.load_model`` gives the model on transformed inputs, and it tracks the
Transform layer (``tft_layer``: raw features -> transformed features), whose saved call declares
each raw feature's type. The request's instances go raw -> Transform -> model, and the same code
as the Explainer's (``tfxkit.serving.attributions``) attributes the model's score (a binary
model's positive probability, a multiclass model's predicted class's, a regression's value)
to each model input, summed back to raw columns by tfxkit's input names (``<key>_xf``,
``<key>_missing_xf``); any other input (a cross) keeps its own name.

The baseline is the mean of reference rows in the model's input space, as the Explainer's is the
mean of the evaluation examples: ``"explain": {"baseline": [instances]}`` sends them (e.g. a
sample of the training data); ``"explain": true`` uses the request's own instances, so it needs
at least two (one instance against itself has nothing to attribute).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf

from tfxkit.config.features import MISSING_SUFFIX, TRANSFORMED_SUFFIX
from tfxkit.config.sections import column_key
from tfxkit.serving import attributions as A
from tfxkit.serving.models import LoadedVersion, RequestError

STEPS = 32
_KERAS: dict[str, Any] = {}  # version path -> its Keras model, loaded on the first explain


def _keras_model(path: str) -> Any:
    if path not in _KERAS:
        import tf_keras as keras

        try:
            _KERAS[path] = keras.models.load_model(path)
        except (OSError, ValueError) as exc:
            raise RequestError(
                "FAILED_PRECONDITION",
                f"cannot explain: {path} is not a Keras SavedModel ({exc}); explanations need "
                "the model tfxkit's Trainer exports",
            ) from None
    return _KERAS[path]


def raw_specs(saved_model: Any) -> dict[str, Any]:
    """The Transform layer's raw inputs: feature key -> TensorSpec or SparseTensorSpec."""
    layer = getattr(saved_model, "tft_layer", None)
    call = None if layer is None else layer.__call__
    functions = getattr(call, "concrete_functions", None)
    if not functions:
        raise RequestError(
            "FAILED_PRECONDITION",
            "cannot explain: the SavedModel has no Transform layer (tft_layer) to turn raw "
            "features into the model's inputs; explanations need the model tfxkit's Trainer "
            "exports",
        )
    return dict(functions[0].structured_input_signature[0][0])


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _raw_tensor(name: str, values: list, spec: Any) -> Any:
    """Request values as the Transform layer's raw feature (None, NaN, "" are missing)."""
    dtype = spec.dtype

    def cast(value: Any) -> Any:
        if dtype == tf.string:
            return value.encode() if isinstance(value, str) else value
        return int(round(float(value))) if dtype.is_integer else float(value)

    try:
        present = [(i, cast(v)) for i, v in enumerate(values) if not _missing(v)]
    except (TypeError, ValueError):
        raise RequestError(
            "INVALID_ARGUMENT", f"explain: input '{name}' has a value that is not a {dtype.name}"
        ) from None
    if isinstance(spec, tf.SparseTensorSpec):
        indices = tf.constant([[i, 0] for i, _ in present], tf.int64, shape=[len(present), 2])
        found = tf.constant([v for _, v in present], dtype, shape=[len(present)])
        return tf.SparseTensor(indices, found, [len(values), 1])
    filled = dict(present)
    zero = b"" if dtype == tf.string else 0
    column = tf.constant([filled.get(i, zero) for i in range(len(values))], dtype)
    return tf.reshape(column, [-1, *spec.shape[1:]])


def raw_column(model_input: str, columns: dict[str, str]) -> str:
    """The raw column a model input comes from (``columns``: feature key -> request name)."""
    for suffix in (MISSING_SUFFIX + TRANSFORMED_SUFFIX, TRANSFORMED_SUFFIX):
        if model_input.endswith(suffix) and model_input[: -len(suffix)] in columns:
            return columns[model_input[: -len(suffix)]]
    return model_input


def explain(
    loaded: LoadedVersion, columns: dict[str, list], reference: np.ndarray, steps: int = STEPS
) -> list[dict[str, float]]:
    """Per row of ``columns`` (request name -> values) not in ``reference``, the attribution of
    each raw column; the baseline is the mean of the ``reference`` rows."""
    specs = raw_specs(loaded.saved_model)
    keys = {column_key(name): name for name in columns}
    missing = sorted(set(specs) - set(keys))
    if missing:
        raise RequestError(
            "INVALID_ARGUMENT", f"explain: the Transform layer needs input(s) {', '.join(missing)}"
        )
    raw = {key: _raw_tensor(keys[key], columns[keys[key]], spec) for key, spec in specs.items()}
    transformed = loaded.saved_model.tft_layer(raw)
    model = _keras_model(loaded.path)
    inputs = {}
    for name, tensor in zip(model.input_names, model.inputs, strict=True):
        value = transformed[name]
        inputs[name] = (
            tf.reshape(value, [-1, *tensor.shape[1:]]) if len(value.shape) == 1 else value
        )
    scores = np.asarray(model(inputs, training=False))
    task = "multiclass" if scores.ndim == 2 and scores.shape[1] > 1 else "binary"
    target = A.model_target(task, np.argmax(scores, axis=-1) if task == "multiclass" else None)
    per_input, _ = A.integrated_gradients(model, inputs, target, steps, reference=reference)
    raw_of = {name: [raw_column(name, keys)] for name in per_input}
    by_column = A.raw_attributions(per_input, raw_of)
    rows = np.flatnonzero(~reference) if reference.any() and not reference.all() else None
    chosen = range(len(reference)) if rows is None else rows
    return [{name: float(values[i]) for name, values in by_column.items()} for i in chosen]
