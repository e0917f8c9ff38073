"""Integrated gradients on a Keras model's transformed inputs, mapped back to raw columns.

Why hand-written: shap is not pinned with this stack, and TFMA 0.47's attribution metrics need
attributions computed elsewhere. Integrated gradients (Sundararajan et al., 2017) needs only the
gradient: attribution_i = (x_i - baseline_i) * mean over the path of dF/dx_i. The baseline is
the mean of the attributed examples in the model's input space (for a one-hot id: the category
frequencies; a zero baseline, "no category", is an input the model never saw and gave an
uninformative vocabulary feature a large share). Ids are integers (no gradient), so each
``CategoryEncoding`` or ``Embedding``
layer fed by a model input is interpolated at its output instead; a vocabulary feature's
attribution is then the sum over its one-hot positions, which is what maps it to its raw column.
Completeness (the attributions of an example sum to F(x) - F(baseline)) is measured and reported.

Here, under serving, because both the Explainer (components, the eval split) and ``tfxkit serve``
(``"explain": true`` in a predict request) use it, and serving sits below components in the
import layers. ``reference`` (a row mask) restricts the baseline's mean to some rows: a served
request's instances are explained against the reference rows it sends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

_INTERPOLATED = ("CategoryEncoding", "Embedding")


@dataclass
class _Probe:
    """The interpolation point and the layer outputs recorded on it, for the tape."""

    alpha: float = 1.0
    reference: Any = None  # rows whose mean is the baseline (None: all)
    tape: Any = None
    recorded: dict[str, tf.Tensor] = field(default_factory=dict)
    full: dict[str, tf.Tensor] = field(default_factory=dict)


def _input_name(layer: Any) -> str | None:
    """The model input feeding ``layer`` directly, or None (an inner layer)."""
    nodes = getattr(layer, "inbound_nodes", None) or getattr(layer, "_inbound_nodes", [])
    for node in nodes:
        inbound = node.inbound_layers
        inbound = inbound[0] if isinstance(inbound, list) and len(inbound) == 1 else inbound
        if type(inbound).__name__ == "InputLayer":
            return inbound.name
    return None


def _interpolating(layer: Any, key: str, probe: _Probe) -> Callable[..., tf.Tensor]:
    original = layer.call

    def call(inputs: Any, *args: Any, **kwargs: Any) -> tf.Tensor:
        full = tf.cast(original(inputs, *args, **kwargs), tf.float32)
        base = _mean(full, probe.reference)
        point = base + (full - base) * probe.alpha
        if probe.tape is not None:
            probe.tape.watch(point)
        probe.recorded[key], probe.full[key] = point, full - base
        return point

    return call


def _mean(values: tf.Tensor, rows: np.ndarray | None) -> tf.Tensor:
    """The baseline: the mean over ``rows`` (a boolean mask; None: every row)."""
    chosen = values if rows is None else tf.boolean_mask(values, rows)
    return tf.reduce_mean(chosen, axis=0, keepdims=True)


def integrated_gradients(
    model: Any,
    inputs: Mapping[str, np.ndarray],
    target: Callable[[tf.Tensor], tf.Tensor],
    steps: int = 32,
    reference: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per model input, each example's attribution (summed over the input's width), and the
    completeness gap per example: |sum of attributions - (F(x) - F(baseline))|. The baseline
    is the mean of the ``reference`` rows (a boolean mask), by default of every row."""
    probe = _Probe(reference=reference)
    patched = {}
    for layer in model.layers:
        key = _input_name(layer) if type(layer).__name__ in _INTERPOLATED else None
        if key:
            patched[layer] = vars(layer).get("call")  # None: the class's own call
            layer.call = _interpolating(layer, key, probe)
    interpolated = set(k for k in (_input_name(layer) for layer in patched) if k)
    numeric = [k for k in model.input_names if k not in interpolated]
    values = {k: tf.convert_to_tensor(inputs[k]) for k in model.input_names}
    floats = {k: tf.cast(values[k], tf.float32) for k in numeric}
    base = {k: _mean(v, reference) for k, v in floats.items()}
    totals: dict[str, tf.Tensor] = {}
    try:
        for alpha in (np.arange(steps) + 0.5) / steps:  # the midpoint rule on [0, 1]
            probe.alpha = float(alpha)
            with tf.GradientTape() as tape:
                probe.tape = tape
                scaled = {k: base[k] + (floats[k] - base[k]) * alpha for k in numeric}
                for k in numeric:
                    tape.watch(scaled[k])
                output = target(model({**values, **scaled}, training=False))
            probe.tape = None
            watched = {**scaled, **probe.recorded}
            grads = tape.gradient(output, watched)
            for k, grad in grads.items():
                totals[k] = totals.get(k, 0.0) + (0.0 if grad is None else grad)
        full = {**{k: floats[k] - base[k] for k in numeric}, **probe.full}
        attributions = {k: _per_example(full[k] * totals[k] / steps) for k in totals}
        probe.alpha = 0.0
        at_baseline = target(model({**values, **{k: base[k] + 0 * floats[k] for k in numeric}}))
        probe.alpha = 1.0
        at_input = target(model(values, training=False))
    finally:
        for layer, original in patched.items():
            if original is None:
                del layer.call
            else:
                layer.call = original
    summed = np.sum(list(attributions.values()), axis=0)
    gap = np.abs(summed - (np.asarray(at_input) - np.asarray(at_baseline)).reshape(-1))
    return attributions, gap


def _per_example(values: tf.Tensor) -> np.ndarray:
    array = np.asarray(values)
    return array.reshape(array.shape[0], -1).sum(axis=1)


def model_target(task: str, classes: np.ndarray | None = None) -> Callable[[tf.Tensor], tf.Tensor]:
    """What is attributed: the positive class's probability (binary), the probability of each
    example's predicted class ``classes``, held fixed along the path (multiclass), the
    prediction (regression)."""
    if task == "multiclass":
        chosen = tf.constant(np.asarray(classes).reshape(-1, 1), tf.int64)
        return lambda out: tf.reshape(tf.gather(out, chosen, axis=1, batch_dims=1), [-1])
    return lambda out: tf.reshape(out, [-1])


def raw_attributions(
    attributions: Mapping[str, np.ndarray], raw_of: Mapping[str, list[str]]
) -> dict[str, np.ndarray]:
    """Per raw column, each example's attribution: the sum of its model inputs' (its one-hot
    positions, its missing indicator); a cross's is split equally among its columns. Inputs
    without a raw column keep their own name."""
    raw: dict[str, np.ndarray] = {}
    for key, values in attributions.items():
        columns = raw_of.get(key) or [key]
        for column in columns:
            raw[column] = raw.get(column, 0.0) + values / len(columns)
    return raw


def importance(raw: Mapping[str, np.ndarray], rows: np.ndarray | None = None) -> dict[str, float]:
    """Mean absolute attribution per raw column (over ``rows``, a boolean mask, when given)."""
    return {
        name: float(np.mean(np.abs(values if rows is None else values[rows])))
        for name, values in raw.items()
    }


def ranks(scores: Mapping[str, float]) -> list[str]:
    """Columns from most to least important (ties by name, so the order is stable)."""
    return sorted(scores, key=lambda name: (-scores[name], name))


def rank_correlation(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Spearman's rank correlation of two importance maps over their common columns."""
    common = sorted(set(a) & set(b))
    if len(common) < 2:
        return 1.0
    rank_a = {n: i for i, n in enumerate(ranks({n: a[n] for n in common}))}
    rank_b = {n: i for i, n in enumerate(ranks({n: b[n] for n in common}))}
    d2 = sum((rank_a[n] - rank_b[n]) ** 2 for n in common)
    k = len(common)
    return 1 - 6 * d2 / (k * (k * k - 1))


def shares(scores: Mapping[str, float]) -> dict[str, float]:
    """Each column's fraction of the total importance (all zero when the total is)."""
    total = sum(scores.values())
    return {n: (v / total if total > 0 else 0.0) for n, v in scores.items()}


def largest_changes(
    before: Mapping[str, float], after: Mapping[str, float], count: int = 5
) -> list[tuple[str, float, float, float]]:
    """(column, importance before, after, change in share), largest |change in share| first,
    over the columns both have (ties by name)."""
    common = sorted(set(before) & set(after))
    share_before = shares({n: before[n] for n in common})
    share_after = shares({n: after[n] for n in common})
    rows = [(n, before[n], after[n], share_after[n] - share_before[n]) for n in common]
    return sorted(rows, key=lambda row: (-abs(row[3]), row[0]))[:count]
