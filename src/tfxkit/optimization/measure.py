"""Measure a model before and after optimization: size, parameters, latency, quality.

Every number in a ``ModelReport`` is measured here, so the gate compares what was built, not
what an optimization promises. Imports no TensorFlow at module level: reports and ``compare``
are plain data, and the optimization gate's verdict stores the reports as they are (a pydantic
dataclass: one declaration of the fields, checked when built and when read back).
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import ConfigDict
from pydantic.dataclasses import dataclass

Task = Literal["classification", "regression"]


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class ModelReport:
    """One model's measurements.

    ``metric`` is ``accuracy`` (higher is better, a share in [0, 1]) or ``mae`` (lower is
    better, in label units). ``latency_ms``: ``p50_ms_b1``, ``p95_ms_b1``, ``p50_ms_b32``,
    ``p95_ms_b32``. ``nonzero_params`` is what pruning reduces; ``params`` is None where the
    format keeps no count (a TFLite file: pass the source model's).
    """

    name: str
    size_bytes: int
    gzip_bytes: int
    params: int | None
    nonzero_params: int | None
    latency_ms: dict[str, float]
    metric: str
    quality: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def saved_model_size(directory: str | os.PathLike[str]) -> tuple[int, int]:
    """(bytes of the files, bytes of a gzipped tar of the directory).

    The tar is deterministic (sorted names, zeroed times and owners, gzip mtime 0), so the same
    model gives the same number on every run and machine.
    """
    root = Path(directory)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    raw = sum(p.stat().st_size for p in files)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as zipped:
        with tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in files:
                info = tarfile.TarInfo(path.relative_to(root).as_posix())
                info.size, info.mtime, info.mode = path.stat().st_size, 0, 0o644
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
    return raw, len(buffer.getvalue())


def tflite_size(tflite_bytes: bytes) -> tuple[int, int]:
    """(bytes, gzipped bytes) of a TFLite flatbuffer."""
    return len(tflite_bytes), len(gzip.compress(tflite_bytes, compresslevel=9, mtime=0))


def parameter_count(model: Any) -> tuple[int, int]:
    """(all parameters, non-zero parameters) of a Keras model, trainable or not."""
    total = nonzero = 0
    for weight in model.weights:
        values = np.asarray(weight.numpy())
        total += values.size
        nonzero += int(np.count_nonzero(values))
    return total, nonzero


def keras_predictor(model: Any) -> Callable[[Any], np.ndarray]:
    """``model`` as a traced function returning numpy: what serving runs, without the
    per-call overhead of ``model.predict`` that would swamp a small model's latency."""
    import tensorflow as tf

    function = tf.function(lambda inputs: model(inputs, training=False), reduce_retracing=True)

    def predict(inputs: Any) -> np.ndarray:
        return np.asarray(function(inputs))

    return predict


def latency(
    predict: Callable[[Any], Any], inputs_batch1: Any, inputs_batch32: Any, repeats: int = 50
) -> dict[str, float]:
    """p50/p95 milliseconds per call at batch 1 and batch 32, after a warm-up.

    The warm-up (5 calls per batch size) pays tracing, allocation and tensor resizing once, so
    the numbers are steady-state serving latency.
    """
    result: dict[str, float] = {}
    for suffix, inputs in (("b1", inputs_batch1), ("b32", inputs_batch32)):
        for _ in range(5):
            predict(inputs)
        times = []
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            predict(inputs)
            times.append((time.perf_counter() - start) * 1000.0)
        result[f"p50_ms_{suffix}"] = float(np.percentile(times, 50))
        result[f"p95_ms_{suffix}"] = float(np.percentile(times, 95))
    return result


def accuracy(predictions: np.ndarray, labels: np.ndarray, task: Task) -> tuple[str, float]:
    """(metric name, value) of predictions against labels.

    Classification: accuracy, with argmax over several outputs or threshold 0.5 on one
    probability. Regression: MAE, in label units and robust to a few wild rows (RMSE would let
    one outlier dominate the gate); it is what tfxkit's regression head reports too.
    """
    predictions, labels = np.asarray(predictions), np.asarray(labels).reshape(-1)
    if task == "regression":
        return "mae", float(np.mean(np.abs(predictions.reshape(-1) - labels)))
    if predictions.ndim == 2 and predictions.shape[-1] > 1:
        classes = predictions.argmax(axis=-1)
    else:
        classes = (predictions.reshape(-1) >= 0.5).astype(np.int64)
    return "accuracy", float(np.mean(classes == labels.astype(np.int64)))


def make_report(
    name: str,
    *,
    predict: Callable[[Any], Any],
    size: tuple[int, int],
    params: tuple[int, int] | None,
    eval_inputs: Any,
    eval_labels: np.ndarray,
    task: Task,
    inputs_batch1: Any,
    inputs_batch32: Any,
    repeats: int = 50,
) -> ModelReport:
    """Measure one model: ``size`` from ``saved_model_size``/``tflite_size``, ``params`` from
    ``parameter_count``, quality of ``predict(eval_inputs)``, latency of ``predict``."""
    metric, quality = accuracy(np.asarray(predict(eval_inputs)), eval_labels, task)
    return ModelReport(
        name=name,
        size_bytes=size[0],
        gzip_bytes=size[1],
        params=params[0] if params else None,
        nonzero_params=params[1] if params else None,
        latency_ms=latency(predict, inputs_batch1, inputs_batch32, repeats),
        metric=metric,
        quality=quality,
    )


def _ratio(new: float | None, old: float | None) -> float | None:
    return None if new is None or not old else new / old


def compare(original: ModelReport, optimized: ModelReport) -> dict[str, Any]:
    """Optimized relative to original: ``*_ratio`` is optimized / original (below 1 is
    smaller or faster), ``speedup_*`` is original / optimized p50 latency.

    ``accuracy_drop_points``: for accuracy, percentage points lost (0.91 -> 0.89 is 2.0); for
    MAE, the error increase in percent of the original error. Negative means better.
    """
    if original.metric != optimized.metric:
        raise ValueError(f"cannot compare {original.metric} with {optimized.metric}")
    if original.metric == "accuracy":
        drop = (original.quality - optimized.quality) * 100.0
    else:
        drop = (optimized.quality - original.quality) / max(original.quality, 1e-12) * 100.0
    lat_o, lat_n = original.latency_ms, optimized.latency_ms
    return {
        "original": original.name,
        "optimized": optimized.name,
        "size_ratio": _ratio(optimized.size_bytes, original.size_bytes),
        "gzip_size_ratio": _ratio(optimized.gzip_bytes, original.gzip_bytes),
        "params_ratio": _ratio(optimized.params, original.params),
        "nonzero_params_ratio": _ratio(optimized.nonzero_params, original.nonzero_params),
        "latency_ratio_b1": _ratio(lat_n.get("p50_ms_b1"), lat_o.get("p50_ms_b1")),
        "latency_ratio_b32": _ratio(lat_n.get("p50_ms_b32"), lat_o.get("p50_ms_b32")),
        "speedup_b1": _ratio(lat_o.get("p50_ms_b1"), lat_n.get("p50_ms_b1")),
        "speedup_b32": _ratio(lat_o.get("p50_ms_b32"), lat_n.get("p50_ms_b32")),
        "metric": original.metric,
        "original_quality": original.quality,
        "optimized_quality": optimized.quality,
        "accuracy_drop_points": drop,
    }
