"""TF Serving's request semantics over a loaded SavedModel: predict, classify, regress.

Shared by the REST and gRPC front ends of ``tfxkit serve``. The JSON shapes follow TF
Serving's documented REST API (https://www.tensorflow.org/tfx/serving/api_rest): ``instances``
(row format) or ``inputs`` (columnar) for predict, ``examples`` (+ ``context``) for classify
and regress, ``{"b64": ...}`` for binary strings; and, like TF Serving, classify and regress
run only signatures whose method name says so.

Input names are the SignatureDef's keys (for tfxkit's models, the data's own column names,
``unit-price`` or ``class``), which may differ from the loaded function's keyword arguments
(identifiers): ``Signature`` maps one to the other by the tensor each key feeds. The spellings
earlier releases documented (the feature key, ``unit_price``) are accepted as aliases, and
tf.Example feature names in classify / regress are read through ``column_key`` likewise.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf
from google.protobuf.message import DecodeError

from tfxkit.config.sections import column_key
from tfxkit.serving.models import LoadedVersion, RequestError

PREDICT_METHOD = "tensorflow/serving/predict"
CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
DEFAULT_SIGNATURE = "serving_default"
# TF Serving's wording in classifier.cc / regressor.cc ("Expected classification signature ...").
_METHOD_WORDS = {CLASSIFY_METHOD: "classification", REGRESS_METHOD: "regression"}


@dataclass(frozen=True)
class Signature:
    """A loaded signature with the names requests use for its inputs."""

    function: Any
    inputs: dict[str, tf.TensorSpec]  # request name (SignatureDef key) -> spec
    arguments: dict[str, str]  # request name -> the function's keyword argument
    aliases: dict[str, str]  # another accepted spelling -> request name

    def canonical(self, names: Any) -> dict[str, Any]:
        """``names`` (a dict keyed by what a client sent) keyed by request names."""
        return {self.aliases.get(k, k): v for k, v in names.items()}


def _request_names(function: Any, name: str, signature_def: Any) -> Signature:
    specs = dict(function.structured_input_signature[1])
    by_tensor = (
        {info.name: key for key, info in signature_def.inputs.items()} if signature_def else {}
    )
    arguments = {by_tensor.get(f"{name}_{argument}:0", argument): argument for argument in specs}
    inputs = {key: specs[argument] for key, argument in arguments.items()}
    aliases: dict[str, str] = {}
    for key, argument in arguments.items():
        for spelling in (column_key(key), argument):
            if spelling not in inputs:
                aliases.setdefault(spelling, key)
    return Signature(function, inputs, arguments, aliases)


def signature(loaded: LoadedVersion, name: str | None, method: str | None = None) -> Signature:
    name = name or DEFAULT_SIGNATURE
    if name not in loaded.saved_model.signatures:
        raise RequestError(
            "INVALID_ARGUMENT", f'Serving signature name: "{name}" not found in signature def'
        )
    signature_def = (loaded.signature_defs or {}).get(name)
    if method and signature_def is not None and signature_def.method_name != method:
        raise RequestError(
            "INVALID_ARGUMENT",
            f"Expected {_METHOD_WORDS.get(method, method)} signature method_name to be {method}. "
            f"Was: {signature_def.method_name}",
        )
    return _request_names(loaded.saved_model.signatures[name], name, signature_def)


def _is_b64(value: Any) -> bool:
    """TF Serving's JSON for binary data (an encoded image): ``{"b64": "<base64>"}``."""
    return isinstance(value, dict) and set(value) == {"b64"}


def _decode(value: Any) -> Any:
    if _is_b64(value):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (ValueError, TypeError):
            raise RequestError(
                "INVALID_ARGUMENT", 'a {"b64": ...} value is not valid base64'
            ) from None
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


def _columns_from_rows(instances: list, sig: Signature) -> dict[str, list]:
    specs = sig.inputs
    if not isinstance(instances, list) or not instances:
        raise RequestError("INVALID_ARGUMENT", "'instances' must be a non-empty JSON list")
    if len(specs) == 1 and not all(isinstance(i, dict) and not _is_b64(i) for i in instances):
        return {next(iter(specs)): instances}  # one input: rows may be its bare values
    columns: dict[str, list] = {name: [] for name in specs}
    for index, row in enumerate(instances):
        if not isinstance(row, dict):
            raise RequestError(
                "INVALID_ARGUMENT",
                f"instance {index} is not a JSON object of named inputs ({', '.join(specs)})",
            )
        row = sig.canonical(row)
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


def run_signature(sig: Signature, columns: dict[str, Any]) -> dict[str, np.ndarray]:
    specs = sig.inputs
    columns = sig.canonical(columns)
    unknown = sorted(set(columns) - set(specs))
    missing = sorted(set(specs) - set(columns))
    if unknown or missing:
        raise RequestError(
            "INVALID_ARGUMENT",
            (f"unknown input(s) {', '.join(unknown)}; " if unknown else "")
            + (f"missing input(s) {', '.join(missing)}; " if missing else "")
            + f"the signature takes {', '.join(specs)}",
        )
    tensors = {sig.arguments[n]: _tensor(n, columns[n], specs[n]) for n in specs}
    try:
        outputs = sig.function(**tensors)
    except (tf.errors.InvalidArgumentError, ValueError, TypeError) as exc:
        raise RequestError("INVALID_ARGUMENT", str(exc).splitlines()[0]) from None
    return {name: value.numpy() for name, value in outputs.items()}


def predict_json(loaded: LoadedVersion, body: dict) -> dict:
    sig = signature(loaded, body.get("signature_name"))
    specs = sig.inputs
    if "instances" in body and "inputs" in body:
        raise RequestError(
            "INVALID_ARGUMENT",
            "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist",
        )
    if "instances" not in body and "inputs" not in body:
        raise RequestError("INVALID_ARGUMENT", "Missing 'inputs' or 'instances' key")
    if "instances" in body:
        rows_in = _columns_from_rows(body["instances"], sig)
        outputs = run_signature(sig, rows_in)
        if len(outputs) == 1:
            answer = {"predictions": _jsonable(next(iter(outputs.values())))}
            return _explained(loaded, sig, body, rows_in, answer)
        rows = len(next(iter(outputs.values())))
        columns = {name: _jsonable(value) for name, value in outputs.items()}
        answer = {"predictions": [{n: c[i] for n, c in columns.items()} for i in range(rows)]}
        return _explained(loaded, sig, body, rows_in, answer)
    inputs = body["inputs"]
    if not isinstance(inputs, dict):
        if len(specs) != 1:
            raise RequestError(
                "INVALID_ARGUMENT", f"'inputs' must name each input: {', '.join(specs)}"
            )
        inputs = {next(iter(specs)): inputs}
    if body.get("explain"):
        raise RequestError("INVALID_ARGUMENT", "explain: send 'instances' (the row format)")
    outputs = run_signature(sig, inputs)
    if len(outputs) == 1:
        return {"outputs": _jsonable(next(iter(outputs.values())))}
    return {"outputs": {name: _jsonable(value) for name, value in outputs.items()}}


def _explained(
    loaded: LoadedVersion, sig: Signature, body: dict, columns: dict[str, list], answer: dict
) -> dict:
    """The explain hook: ``"explain": true`` (the instances against their own mean) or
    ``{"baseline": [instances]}`` adds ``explanations``, one map of raw column -> attribution
    per instance (``tfxkit.serving.explain``)."""
    wanted = body.get("explain")
    if not wanted:
        return answer
    from tfxkit.serving import explain

    count = len(next(iter(columns.values())))
    reference = np.ones(count, bool)
    if isinstance(wanted, dict) and wanted.get("baseline"):
        base = _columns_from_rows(wanted["baseline"], sig)
        columns = {n: [*_decode(columns[n]), *_decode(base[n])] for n in columns}
        reference = np.concatenate([np.zeros(count, bool), np.ones(len(wanted["baseline"]), bool)])
    elif wanted is not True and not isinstance(wanted, dict):
        raise RequestError("INVALID_ARGUMENT", "'explain' is true or {\"baseline\": [...]}")
    elif count < 2:
        raise RequestError(
            "INVALID_ARGUMENT",
            "explain: one instance is explained against the mean of the others: send two or "
            'more, or {"explain": {"baseline": [instances]}}',
        )
    else:
        columns = {n: _decode(v) for n, v in columns.items()}
    return {**answer, "explanations": explain.explain(loaded, columns, reference)}


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
        features = {column_key(name): _feature(name, value) for name, value in merged.items()}
        serialized.append(
            tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()
        )
    return serialized


def canonical_examples(examples: list[bytes]) -> list[bytes]:
    """Serialized tf.Examples with feature names read through ``column_key``, so an example
    built from the data's own column names (``unit price``) feeds the model's key
    (``unit_price``); examples already keyed so pass through as they came."""
    out = []
    for index, serialized in enumerate(examples):
        try:
            example = tf.train.Example.FromString(serialized)
        except DecodeError:
            raise RequestError(
                "INVALID_ARGUMENT", f"example {index} is not a serialized tf.train.Example"
            ) from None
        names = list(example.features.feature)
        if all(column_key(n) == n for n in names):
            out.append(serialized)
            continue
        renamed = tf.train.Example()
        for n in names:
            renamed.features.feature[column_key(n)].CopyFrom(example.features.feature[n])
        out.append(renamed.SerializeToString())
    return out


def classify(loaded: LoadedVersion, name: str | None, examples: list[bytes]) -> list[list]:
    """[[(class, score), ...] per example], as TF Serving's Classify returns them."""
    sig = signature(loaded, name, CLASSIFY_METHOD)
    outputs = run_signature(sig, {next(iter(sig.inputs)): canonical_examples(examples)})
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
    sig = signature(loaded, name, REGRESS_METHOD)
    outputs = run_signature(sig, {next(iter(sig.inputs)): canonical_examples(examples)})
    return [float(v) for v in np.reshape(outputs["outputs"], [-1])]
