"""The requests the infra check sends, as TF Serving receives them, and what their answers say.

Built from evaluation examples and the model's SignatureDefs (not from tfxkit's export code, so
a custom ``run_fn``'s signatures are checked too), one request per servable signature:

* a ``predict`` signature with one string input that is not a feature of the examples gets
  the serialized examples (``serving_examples``, ``transform_features``);
* a ``predict`` signature with named inputs gets one tensor per input, the examples' values of
  the feature of that name (or its key, ``config.features.column_key``): what a REST client's
  ``instances`` become; a missing value is NaN for numbers and "" for strings, as
  ``training.export`` documents;
* a ``classify`` / ``regress`` signature gets the examples as TF Serving's ``example_list``.

Each request is a ``PredictionLog``, the record format of TF Serving's warm-up file
(``assets.extra/tf_serving_warmup_requests``,
https://www.tensorflow.org/tfx/serving/saved_model_warmup), so the requests the check
replayed are exactly the ones the pusher writes into the pushed model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (
    classification_pb2,
    predict_pb2,
    prediction_log_pb2,
    regression_pb2,
)

from tfxkit.config.features import column_key

PREDICT = "tensorflow/serving/predict"
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"
# The output of a served answer that is "the prediction", by preference.
PREDICTION_OUTPUTS = ("probabilities", "predictions", "scores", "outputs", "logistic", "logits")

_NUMBERS = {tf.float32.as_datatype_enum, tf.float64.as_datatype_enum}
_INTEGERS = {tf.int32.as_datatype_enum, tf.int64.as_datatype_enum}
_STRING = tf.string.as_datatype_enum


@dataclass(frozen=True)
class Request:
    """One request of the check: which signature, by which API, and its warm-up record."""

    signature: str
    method: str  # predict, classify or regress
    log: Any  # prediction_log_pb2.PredictionLog


def _values(example: tf.train.Example, names: tuple[str, ...]) -> list[Any]:
    for name in names:
        feature = example.features.feature.get(name)
        if feature is None:
            continue
        kind = feature.WhichOneof("kind")
        if kind:
            return list(getattr(feature, kind).value)
    return []


def _column(examples: list[tf.train.Example], name: str, dtype: int) -> np.ndarray | None:
    """One input's values for every example; None when the dtype cannot be fed from them."""
    names = (name, column_key(name))
    firsts = [next(iter(_values(e, names)), None) for e in examples]
    if dtype == _STRING:
        return np.array(
            [b"" if v is None else v if isinstance(v, bytes) else str(v).encode() for v in firsts],
            dtype=object,
        )
    if dtype in _NUMBERS | _INTEGERS:
        try:
            numbers = [math.nan if v is None else float(v) for v in firsts]
        except ValueError:  # a string value where the signature takes a number
            return None
        if dtype in _INTEGERS:
            numbers = [0 if math.isnan(v) else round(v) for v in numbers]
        return np.array(numbers, dtype=tf.dtypes.as_dtype(dtype).as_numpy_dtype)
    return None


def _shaped(values: np.ndarray, info: Any) -> np.ndarray:
    """[batch] values in the rank the SignatureDef declares ([batch, 1] for rank 2)."""
    dims = info.tensor_shape.dim
    if not info.tensor_shape.unknown_rank and len(dims) == 2:
        return values.reshape(-1, 1)
    return values


def _takes_examples(signature_def: Any, features: set[str]) -> bool:
    inputs = list(signature_def.inputs.items())
    if len(inputs) != 1 or inputs[0][1].dtype != _STRING:
        return False
    name = inputs[0][0]
    return name not in features and column_key(name) not in features


def build(
    signature_defs: dict[str, Any], serialized: list[bytes], model_name: str
) -> tuple[list[Request], dict[str, str]]:
    """The requests for every servable signature, and the signatures left out, with why."""
    examples = [tf.train.Example.FromString(s) for s in serialized]
    features = {name for e in examples for name in e.features.feature}
    requests: list[Request] = []
    skipped: dict[str, str] = {}
    for name, signature_def in sorted(signature_defs.items()):
        method = signature_def.method_name
        if not signature_def.inputs or method not in (PREDICT, CLASSIFY, REGRESS):
            continue  # __saved_model_init_op and the like: nothing a client can call
        log = prediction_log_pb2.PredictionLog()
        if method == PREDICT:
            request = log.predict_log.request
            if _takes_examples(signature_def, features):
                key, info = next(iter(signature_def.inputs.items()))
                batch = np.array(serialized, dtype=object)
                request.inputs[key].CopyFrom(tf.make_tensor_proto(_shaped(batch, info)))
            else:
                columns = {
                    key: _column(examples, key, info.dtype)
                    for key, info in signature_def.inputs.items()
                }
                unfed = sorted(k for k, v in columns.items() if v is None)
                if unfed:
                    skipped[name] = f"cannot feed input(s) {', '.join(unfed)} from the examples"
                    continue
                for key, values in columns.items():
                    info = signature_def.inputs[key]
                    request.inputs[key].CopyFrom(tf.make_tensor_proto(_shaped(values, info)))
        elif method == CLASSIFY:
            request = log.classify_log.request
            request.input.example_list.examples.extend(examples)
        else:
            request = log.regress_log.request
            request.input.example_list.examples.extend(examples)
        request.model_spec.name = model_name
        request.model_spec.signature_name = name
        requests.append(Request(name, method.rsplit("/", 1)[-1], log))
    return requests, skipped


def response_outputs(method: str, response: Any) -> dict[str, np.ndarray]:
    """A served answer as arrays by output name (classify: ``classes`` and ``scores``)."""
    if method == "predict":
        return {k: tf.make_ndarray(v) for k, v in response.outputs.items()}
    if method == "classify":
        rows = response.result.classifications
        return {
            "classes": np.array([[c.label.encode() for c in r.classes] for r in rows], object),
            "scores": np.array([[c.score for c in r.classes] for r in rows], np.float32),
        }
    return {"outputs": np.array([r.value for r in response.result.regressions], np.float32)}


def empty_response(method: str) -> Any:
    """The response message of a method, to parse an answer into."""
    return {
        "predict": predict_pb2.PredictResponse,
        "classify": classification_pb2.ClassificationResponse,
        "regress": regression_pb2.RegressionResponse,
    }[method]()


def prediction(outputs: dict[str, np.ndarray], preferred: str | None = None) -> str | None:
    """The output that holds the prediction: ``preferred`` (the Evaluator's) when answered,
    else the first of ``PREDICTION_OUTPUTS``; None for a signature that predicts nothing
    (``transform_features``)."""
    for name in (preferred, *PREDICTION_OUTPUTS):
        if name and name in outputs and outputs[name].dtype != object:
            return name
    return None


def per_example(values: np.ndarray, rows: int) -> np.ndarray:
    """[rows, k] from [rows], [rows, 1] or [rows, k]."""
    return np.reshape(np.asarray(values, dtype=np.float64), (rows, -1))
