"""TF Serving's request semantics over a loaded SavedModel: predict, classify, regress.

Shared by the REST and gRPC front ends of ``tfxkit serve``. The JSON shapes follow TF
Serving's documented REST API (https://www.tensorflow.org/tfx/serving/api_rest): ``instances``
(row format) or ``inputs`` (columnar) for predict, ``examples`` (+ ``context``) for classify
and regress, ``{"b64": ...}`` for binary strings; and, like TF Serving, classify and regress
run only signatures whose method name says so.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import tensorflow as tf

from tfxkit.serving.models import LoadedVersion, RequestError

PREDICT_METHOD = "tensorflow/serving/predict"
CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
DEFAULT_SIGNATURE = "serving_default"
# TF Serving's wording in classifier.cc / regressor.cc ("Expected classification signature ...").
_METHOD_WORDS = {CLASSIFY_METHOD: "classification", REGRESS_METHOD: "regression"}


def signature(loaded: LoadedVersion, name: str | None, method: str | None = None) -> Any:
    name = name or DEFAULT_SIGNATURE
    if name not in loaded.saved_model.signatures:
        raise RequestError(
            "INVALID_ARGUMENT", f'Serving signature name: "{name}" not found in signature def'
        )
    if method and loaded.signature_defs[name].method_name != method:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"Expected {_METHOD_WORDS.get(method, method)} signature method_name to be {method}. "
            f"Was: {loaded.signature_defs[name].method_name}",
        )
    return loaded.saved_model.signatures[name]


def input_specs(function: Any) -> dict[str, tf.TensorSpec]:
    return dict(function.structured_input_signature[1])


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _tensor(name: str, value: Any, spec: tf.TensorSpec) -> tf.Tensor:
    try:
        array = np.asarray(_decode(value), dtype=object if spec.dtype == tf.string else None)
        tensor = tf.constant(array.tolist() if spec.dtype == tf.string else array, spec.dtype)
    except (TypeError, ValueError, tf.errors.InvalidArgumentError) as exc:
        raise RequestError(
            "INVALID_ARGUMENT", f"Failed to process element: {name} of 'inputs' field: {exc}"
        ) from None
    if not spec.shape.is_compatible_with(tensor.shape):
        raise RequestError(
            "INVALID_ARGUMENT",
            f"input '{name}' has shape {tensor.shape.as_list()}, the signature expects "
            f"{spec.shape.as_list()}",
        )
    return tensor


def _columns_from_rows(instances: list, specs: dict[str, tf.TensorSpec]) -> dict[str, list]:
    if not isinstance(instances, list) or not instances:
        raise RequestError("INVALID_ARGUMENT", "'instances' must be a non-empty JSON list")
    if len(specs) == 1 and not all(isinstance(i, dict) for i in instances):
        return {next(iter(specs)): instances}
    columns: dict[str, list] = {name: [] for name in specs}
    for index, row in enumerate(instances):
        if not isinstance(row, dict):
            raise RequestError(
                "INVALID_ARGUMENT",
                f"instance {index} is not a JSON object of named inputs ({', '.join(specs)})",
            )
        unknown = sorted(set(row) - set(specs))
        missing = sorted(set(specs) - set(row))
        if unknown or missing:
            raise RequestError(
                "INVALID_ARGUMENT",
                f"instance {index}: "
                + (f"unknown input(s) {', '.join(unknown)}; " if unknown else "")
                + (f"missing input(s) {', '.join(missing)}; " if missing else "")
                + f"the signature takes {', '.join(specs)}",
            )
        for name in specs:
            columns[name].append(row[name])
    return columns


def _jsonable(array: np.ndarray) -> Any:
    if array.dtype == object:
        return (
            np.vectorize(lambda b: b.decode("utf-8", "replace"), otypes=[object])(array).tolist()
            if array.size
            else array.tolist()
        )
    return array.tolist()


def run_signature(function: Any, columns: dict[str, Any]) -> dict[str, np.ndarray]:
    specs = input_specs(function)
    unknown = sorted(set(columns) - set(specs))
    missing = sorted(set(specs) - set(columns))
    if unknown or missing:
        raise RequestError(
            "INVALID_ARGUMENT",
            (f"unknown input(s) {', '.join(unknown)}; " if unknown else "")
            + (f"missing input(s) {', '.join(missing)}; " if missing else "")
            + f"the signature takes {', '.join(specs)}",
        )
    tensors = {name: _tensor(name, columns[name], specs[name]) for name in specs}
    try:
        outputs = function(**tensors)
    except (tf.errors.InvalidArgumentError, ValueError, TypeError) as exc:
        raise RequestError("INVALID_ARGUMENT", str(exc).splitlines()[0]) from None
    return {name: value.numpy() for name, value in outputs.items()}


def predict_json(loaded: LoadedVersion, body: dict) -> dict:
    function = signature(loaded, body.get("signature_name"))
    specs = input_specs(function)
    if "instances" in body and "inputs" in body:
        raise RequestError(
            "INVALID_ARGUMENT",
            "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist",
        )
    if "instances" not in body and "inputs" not in body:
        raise RequestError("INVALID_ARGUMENT", "Missing 'inputs' or 'instances' key")
    if "instances" in body:
        outputs = run_signature(function, _columns_from_rows(body["instances"], specs))
        if len(outputs) == 1:
            return {"predictions": _jsonable(next(iter(outputs.values())))}
        rows = len(next(iter(outputs.values())))
        columns = {name: _jsonable(value) for name, value in outputs.items()}
        return {"predictions": [{n: c[i] for n, c in columns.items()} for i in range(rows)]}
    inputs = body["inputs"]
    if not isinstance(inputs, dict):
        if len(specs) != 1:
            raise RequestError(
                "INVALID_ARGUMENT", f"'inputs' must name each input: {', '.join(specs)}"
            )
        inputs = {next(iter(specs)): inputs}
    outputs = run_signature(function, inputs)
    if len(outputs) == 1:
        return {"outputs": _jsonable(next(iter(outputs.values())))}
    return {"outputs": {name: _jsonable(value) for name, value in outputs.items()}}


def _feature(name: str, value: Any) -> tf.train.Feature:
    values = value if isinstance(value, list) else [value]
    values = [_decode(v) for v in values]
    if all(isinstance(v, bytes | str) for v in values):
        return tf.train.Feature(
            bytes_list=tf.train.BytesList(
                value=[v.encode() if isinstance(v, str) else v for v in values]
            )
        )
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return tf.train.Feature(float_list=tf.train.FloatList(value=values))
    raise RequestError("INVALID_ARGUMENT", f"feature '{name}': unsupported value {value!r}")


def examples_from_json(body: dict) -> list[bytes]:
    examples = body.get("examples")
    if not isinstance(examples, list) or not examples:
        raise RequestError("INVALID_ARGUMENT", "'examples' must be a non-empty JSON list")
    context = body.get("context") or {}
    serialized = []
    for example in examples:
        if not isinstance(example, dict):
            raise RequestError("INVALID_ARGUMENT", "each example must be a JSON object")
        merged = {**context, **example}
        features = {name: _feature(name, value) for name, value in merged.items()}
        serialized.append(
            tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()
        )
    return serialized


def classify(loaded: LoadedVersion, name: str | None, examples: list[bytes]) -> list[list]:
    """[[(class, score), ...] per example], as TF Serving's Classify returns them."""
    function = signature(loaded, name, CLASSIFY_METHOD)
    outputs = run_signature(function, {next(iter(input_specs(function))): examples})
    scores = outputs.get("scores")
    classes = outputs.get("classes")
    rows = len(scores if scores is not None else classes)
    result = []
    for i in range(rows):
        pairs = []
        width = scores.shape[1] if scores is not None else classes.shape[1]
        for j in range(width):
            label = classes[i][j].decode() if classes is not None else str(j)
            score = float(scores[i][j]) if scores is not None else math.nan
            pairs.append((label, score))
        result.append(pairs)
    return result


def regress(loaded: LoadedVersion, name: str | None, examples: list[bytes]) -> list[float]:
    function = signature(loaded, name, REGRESS_METHOD)
    outputs = run_signature(function, {next(iter(input_specs(function))): examples})
    return [float(v) for v in np.reshape(outputs["outputs"], [-1])]
