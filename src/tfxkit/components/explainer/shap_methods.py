"""SHAP's gradient and kernel explainers on the trained Keras model's inputs (``explain.method:
shap_gradient | shap_kernel``), returning what integrated gradients returns: per model input,
each example's attribution, and the completeness gap per example.

- ``shap_gradient`` (expected gradients): SHAP differentiates the model from its dense points:
  a numeric input itself, or the output of the ``CategoryEncoding``/``Embedding`` layer a
  vocabulary id feeds (ids have no gradient; the same points integrated gradients interpolates).
  The background is the explained examples' own dense points.
- ``shap_kernel`` (model-agnostic): each model input is one SHAP feature. SHAP sees a matrix of
  row numbers, one column per input; the wrapped model gathers each input from the row its
  column names, so "absent" means "taken from a background row" for any input shape.

Why shap is held to tf_keras here: shap 0.49 checks and rebuilds models through
``tensorflow.keras``, which is Keras 3 on TF 2.16 unless ``TF_USE_LEGACY_KERAS`` was set before
anything touched it; tfxkit's models are tf_keras models, so ``tensorflow.keras`` is pointed at
tf_keras while shap runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

KERNEL_BACKGROUND = 20  # rows: the kernel explainer evaluates every coalition on each of them
GRADIENT_SAMPLES = 200  # expected-gradients samples per explained example (shap's default)
_DENSE = ("CategoryEncoding", "Embedding")


@contextlib.contextmanager
def _tf_keras_for_shap() -> Iterator[None]:
    """``tensorflow.keras`` is tf_keras while shap runs, then what it was."""
    import tensorflow as tf
    import tf_keras

    before = tf.__dict__.get("keras")
    tf.keras = tf_keras
    try:
        yield
    finally:
        if before is None:
            del tf.keras
        else:
            tf.keras = before


def _input_of(layer: Any) -> str | None:
    from tfxkit.serving.attributions import _input_name

    return _input_name(layer)


def dense_points(model: Any) -> dict[str, Any]:
    """Per model input, the tensor SHAP differentiates from: the dense layer an id feeds, or
    the input itself (float inputs only: an integer input fed elsewhere has no gradient)."""
    fed = {}
    for layer in model.layers:
        key = _input_of(layer) if type(layer).__name__ in _DENSE else None
        if key and key not in fed:
            fed[key] = layer.output
    points = {}
    for name, tensor in zip(model.input_names, model.inputs, strict=True):
        if name in fed:
            points[name] = fed[name]
        elif tensor.dtype.is_floating:
            points[name] = tensor
        else:
            raise ValueError(
                f"explain.method shap_gradient: model input '{name}' is {tensor.dtype.name} "
                "and feeds no CategoryEncoding/Embedding layer, so it has no gradient; use "
                "integrated_gradients or shap_kernel"
            )
    return points


def _select(values: np.ndarray, classes: np.ndarray | None) -> np.ndarray:
    """Per example, the output explained: the predicted class's column (multiclass), else the
    only one. ``values`` is (examples, outputs) or (examples,)."""
    values = np.asarray(values)
    if values.ndim == 1:
        return values
    if classes is None or values.shape[1] == 1:
        return values[:, 0]
    return values[np.arange(len(values)), classes]


def shap_gradient(
    model: Any,
    inputs: Mapping[str, np.ndarray],
    classes: np.ndarray | None,
    seed: int = 0,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Expected gradients (shap.GradientExplainer) from the model's dense points."""
    import shap
    import tf_keras as keras

    points = dense_points(model)
    names = list(points)
    extract = keras.Model(model.inputs, [points[n] for n in names])
    dense = [np.asarray(v, dtype="float32") for v in _as_list(extract(dict(inputs)))]
    head = keras.Model([points[n] for n in names], model.output)
    with _tf_keras_for_shap():
        explainer = shap.GradientExplainer(head, dense)
        values = explainer.shap_values(dense, nsamples=GRADIENT_SAMPLES, rseed=seed)
    output = np.asarray(head(dense, training=False))
    chosen_output = _select(output.reshape(len(output), -1), classes)
    attributions = {}
    for name, value in zip(names, _as_list(values), strict=True):
        value = np.asarray(value)
        per_output = value.reshape(value.shape[0], -1, value.shape[-1]).sum(axis=1)
        attributions[name] = _select(per_output, classes)
    expected = float(np.mean(chosen_output))  # E[f] over the background: the explained rows
    summed = np.sum(list(attributions.values()), axis=0)
    return attributions, np.abs(summed - (chosen_output - expected))


def shap_kernel(
    model: Any,
    inputs: Mapping[str, np.ndarray],
    classes: np.ndarray | None,
    seed: int = 0,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Kernel SHAP with one feature per model input (see the module docstring)."""
    import shap

    names = list(model.input_names)
    count = len(next(iter(inputs.values())))
    rng = np.random.default_rng(seed)
    background = np.sort(rng.permutation(count)[: min(KERNEL_BACKGROUND, count)])

    def predict(rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows).astype(np.int64)
        gathered = {n: np.asarray(inputs[n])[rows[:, j]] for j, n in enumerate(names)}
        out = np.asarray(model(gathered, training=False))
        return out.reshape(len(rows), -1)

    explained = np.repeat(np.arange(count)[:, None], len(names), axis=1)
    reference = np.repeat(background[:, None], len(names), axis=1)
    explainer = shap.KernelExplainer(predict, reference)
    state = np.random.get_state()  # shap samples coalitions from numpy's global generator
    np.random.seed(seed)
    try:
        values = explainer.shap_values(explained, silent=True)
    finally:
        np.random.set_state(state)
    values = np.asarray(values)  # (examples, inputs, outputs) or (examples, inputs)
    if values.ndim == 2:
        values = values[:, :, None]
    full = predict(explained)
    chosen = _select(full, classes)
    base = np.asarray(explainer.expected_value).reshape(-1)
    base_chosen = base[classes] if classes is not None and len(base) > 1 else base[0]
    attributions = {n: _select(values[:, j, :], classes) for j, n in enumerate(names)}
    summed = np.sum(list(attributions.values()), axis=0)
    return attributions, np.abs(summed - (chosen - base_chosen))


def _as_list(values: Any) -> list[Any]:
    return list(values) if isinstance(values, (list, tuple)) else [values]


METHODS: dict[str, Callable[..., tuple[dict[str, np.ndarray], np.ndarray]]] = {
    "shap_gradient": shap_gradient,
    "shap_kernel": shap_kernel,
}
