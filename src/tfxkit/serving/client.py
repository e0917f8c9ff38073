"""A client for TF Serving (or ``tfxkit serve``): REST and gRPC, with timeouts and retries.

REST needs only ``requests``; gRPC loads TensorFlow to build ``TensorProto`` inputs. Bytes (an
encoded image) go over REST as ``{"b64": ...}``, TF Serving's convention, and over gRPC as
they are. Retries
cover what a restarting or scaling server does (connection refused, HTTP 503, gRPC
UNAVAILABLE / DEADLINE_EXCEEDED) with exponential back-off; a refused request (400, 404) is
raised at once as ``ServingRequestError`` carrying TF Serving's own message.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from functools import partialmethod
from typing import Any

import requests

from tfxkit.config.features import CLASSIFY_SIGNATURE, REGRESS_SIGNATURE


class ServingRequestError(Exception):
    def __init__(self, status: int | str, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status, self.message = status, message


def as_b64(value: Any) -> Any:
    """``value`` with every ``bytes`` in it as ``{"b64": ...}``: JSON has no bytes, and TF
    Serving's REST API decodes this form into the string tensor (an image model's input)."""
    if isinstance(value, bytes | bytearray):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {k: as_b64(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_b64(v) for v in value]
    return value


class Client:
    def __init__(
        self,
        host: str = "localhost",
        rest_port: int = 8501,
        grpc_port: int | None = 8500,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.2,
        request_log: Any = None,
    ) -> None:
        """``request_log``: a started ``request_log.RequestLogger`` to log REST predicts on the
        client side (for a server that logs nothing, such as TF Serving; docs/monitoring.md)."""
        self.rest_url = f"http://{host}:{rest_port}"
        self.grpc_target = f"{host}:{grpc_port}" if grpc_port else None
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._session = requests.Session()
        self._stubs: dict[str, Any] = {}
        self.request_log = request_log

    # ---------------------------------------------------------------- REST
    @staticmethod
    def _model_path(model: str, version: int | None, label: str | None) -> str:
        if version is not None and label is not None:
            raise ValueError("give a version or a label, not both")
        if version is not None:
            return f"/v1/models/{model}/versions/{int(version)}"
        if label is not None:
            return f"/v1/models/{model}/labels/{label}"
        return f"/v1/models/{model}"

    def _retrying(self, call: Callable[[], Any], retriable: Callable[[Exception], bool]) -> Any:
        for attempt in range(self.retries + 1):
            try:
                return call()
            except Exception as exc:
                if attempt == self.retries or not retriable(exc):
                    raise
                time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _rest(self, method: str, path: str, body: dict | None = None) -> dict:
        def call() -> dict:
            # NaN marks a missing number (TF Serving's JSON parser accepts it); requests' json=
            # would refuse it, so the body is encoded here.
            response = self._session.request(
                method,
                self.rest_url + path,
                data=None if body is None else json.dumps(body),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
            )
            if response.status_code == 503:
                raise ServingRequestError(503, response.text)
            payload = response.json()
            if response.status_code != 200:
                raise ServingRequestError(response.status_code, payload.get("error", ""))
            return payload

        def retriable(exc: Exception) -> bool:
            return isinstance(exc, requests.ConnectionError | requests.Timeout) or (
                isinstance(exc, ServingRequestError) and exc.status == 503
            )

        return self._retrying(call, retriable)

    def status(self, model: str, version: int | None = None, label: str | None = None) -> list:
        return self._rest("GET", self._model_path(model, version, label))["model_version_status"]

    def metadata(self, model: str, version: int | None = None, label: str | None = None) -> dict:
        return self._rest("GET", self._model_path(model, version, label) + "/metadata")

    def predict(
        self,
        model: str,
        instances: list | None = None,
        *,
        inputs: Any = None,
        version: int | None = None,
        label: str | None = None,
        signature_name: str | None = None,
    ) -> Any:
        """Row format (``instances``) answers ``predictions``; columnar (``inputs``) answers
        ``outputs``, as TF Serving does. ``bytes`` values (an encoded image) are sent as TF
        Serving's ``{"b64": ...}``; ``str`` values as they are."""
        if (instances is None) == (inputs is None):
            raise ValueError("give instances (row format) or inputs (columnar), not both")
        body: dict[str, Any] = (
            {"instances": as_b64(instances)}
            if instances is not None
            else {"inputs": as_b64(inputs)}
        )
        if signature_name:
            body["signature_name"] = signature_name
        answer = self._rest("POST", self._model_path(model, version, label) + ":predict", body)
        if self.request_log is not None:  # version -1: unknown (a label or the latest answered)
            self.request_log.offer(
                model, -1 if version is None else int(version), "predict",
                json.dumps(body).encode(), answer,
            )  # fmt: skip
        return answer["predictions"] if instances is not None else answer["outputs"]

    # TF Serving's Classify and Regress APIs take the same request (tf.Examples, an optional
    # context merged into each, a model spec) and differ in the verb, the signature they need
    # (tfxkit's trainer exports one for each; TF Serving's own default, serving_default, is a
    # predict signature) and the answer, so each transport has one method for both.

    def _examples_rest(
        self,
        verb: str,
        model: str,
        examples: list[dict],
        *,
        context: dict | None = None,
        version: int | None = None,
        label: str | None = None,
        signature_name: str | None = None,
    ) -> list:
        """Features as JSON (floats need a decimal point to become float_list values, as in
        TF Serving; bytes go as b64) -> [[class, score], ...] (classify) or a value (regress)
        per example."""
        body: dict[str, Any] = {"examples": as_b64(examples)}
        if context:
            body["context"] = as_b64(context)
        if signature_name:
            body["signature_name"] = signature_name
        path = self._model_path(model, version, label) + f":{verb}"
        return self._rest("POST", path, body)["results"]

    classify = partialmethod(_examples_rest, "classify", signature_name=CLASSIFY_SIGNATURE)
    regress = partialmethod(_examples_rest, "regress", signature_name=REGRESS_SIGNATURE)

    # ---------------------------------------------------------------- gRPC
    def _stub(self, kind: str) -> Any:
        if self.grpc_target is None:
            raise ValueError("this client has no grpc_port")
        if kind not in self._stubs:
            import grpc
            from tensorflow_serving.apis import (
                model_service_pb2_grpc,
                prediction_service_pb2_grpc,
            )

            channel = grpc.insecure_channel(self.grpc_target)
            self._stubs["predict"] = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            self._stubs["model"] = model_service_pb2_grpc.ModelServiceStub(channel)
        return self._stubs[kind]

    def _grpc_call(self, method: Callable[..., Any], request: Any) -> Any:
        import grpc

        def call() -> Any:
            try:
                return method(request, timeout=self.timeout)
            except grpc.RpcError as exc:
                raise ServingRequestError(exc.code().name, exc.details()) from None

        def retriable(exc: Exception) -> bool:
            return isinstance(exc, ServingRequestError) and exc.status in (
                "UNAVAILABLE",
                "DEADLINE_EXCEEDED",
            )

        return self._retrying(call, retriable)

    @staticmethod
    def _spec(spec: Any, model: str, version: int | None, label: str | None, sig: str | None):
        spec.name = model
        if version is not None:
            spec.version.value = int(version)
        if label is not None:
            spec.version_label = label
        if sig:
            spec.signature_name = sig

    def predict_grpc(
        self,
        model: str,
        inputs: dict[str, Any],
        *,
        version: int | None = None,
        label: str | None = None,
        signature_name: str | None = None,
    ) -> dict[str, Any]:
        """Columnar inputs (name -> array-like) -> outputs as numpy arrays."""
        import numpy as np
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2

        request = predict_pb2.PredictRequest()
        self._spec(request.model_spec, model, version, label, signature_name)
        for name, value in inputs.items():
            array = np.asarray(value)
            if array.dtype.kind in "US":
                array = array.astype(object)
            request.inputs[name].CopyFrom(tf.make_tensor_proto(array))
        response = self._grpc_call(self._stub("predict").Predict, request)
        return {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}

    def _examples_grpc(
        self,
        verb: str,
        model: str,
        examples: list[dict],
        *,
        version: int | None = None,
        label: str | None = None,
        signature_name: str | None = None,
    ) -> list:
        """PredictionService.Classify / Regress: [(class, score), ...] or a value per example."""
        import tensorflow as tf
        from tensorflow_serving.apis import classification_pb2, regression_pb2

        from tfxkit.serving.inference import examples_from_json

        classify = verb == "classify"
        if classify:
            request = classification_pb2.ClassificationRequest()
        else:
            request = regression_pb2.RegressionRequest()
        self._spec(request.model_spec, model, version, label, signature_name)
        for serialized in examples_from_json({"examples": examples}):
            request.input.example_list.examples.add().CopyFrom(
                tf.train.Example.FromString(serialized)
            )
        stub = self._stub("predict")
        response = self._grpc_call(stub.Classify if classify else stub.Regress, request)
        if classify:
            return [
                [(c.label, c.score) for c in row.classes] for row in response.result.classifications
            ]
        return [r.value for r in response.result.regressions]

    classify_grpc = partialmethod(_examples_grpc, "classify", signature_name=CLASSIFY_SIGNATURE)
    regress_grpc = partialmethod(_examples_grpc, "regress", signature_name=REGRESS_SIGNATURE)

    def status_grpc(self, model: str, version: int | None = None) -> list[tuple[int, str]]:
        from tensorflow_serving.apis import get_model_status_pb2

        request = get_model_status_pb2.GetModelStatusRequest()
        self._spec(request.model_spec, model, version, None, None)
        response = self._grpc_call(self._stub("model").GetModelStatus, request)
        state = get_model_status_pb2.ModelVersionStatus.State.Name
        return [(s.version, state(s.state)) for s in response.model_version_status]
