"""TF Serving's gRPC PredictionService and ModelService (port 8500) over a ``ModelStore``.

Built on the service definitions shipped in tensorflow-serving-api, so a client written for
TF Serving (``prediction_service_pb2_grpc.PredictionServiceStub``) works unchanged; errors
carry the gRPC status code TF Serving would return.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc
import tensorflow as tf
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

from tfxkit.serving import inference
from tfxkit.serving.models import LoadedVersion, ModelStore, RequestError
from tfxkit.serving.request_log import HEADER, RequestLogger


def _spec_args(spec: Any) -> tuple[str, int | None, str | None]:
    version = spec.version.value if spec.HasField("version") else None
    label = spec.version_label or None
    return spec.name, version, label


def _answers_request_errors(rpc: Callable[..., Any]) -> Callable[..., Any]:
    """Every RPC answers a ``RequestError`` with the gRPC status code TF Serving would return."""

    @functools.wraps(rpc)
    def answered(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return rpc(self, request, context)
        except RequestError as exc:
            context.abort(getattr(grpc.StatusCode, exc.code, grpc.StatusCode.UNKNOWN), exc.message)

    return answered


def _answered_by(response: Any, request: Any, loaded: LoadedVersion) -> Any:
    """``response``, naming the model and the version that answered (as TF Serving's do)."""
    response.model_spec.name = request.model_spec.name
    response.model_spec.version.value = loaded.version
    return response


def _examples(request_input: Any) -> list[bytes]:
    which = request_input.WhichOneof("kind")
    if which == "example_list":
        return [e.SerializeToString() for e in request_input.example_list.examples]
    if which == "example_list_with_context":
        with_context = request_input.example_list_with_context
        out = []
        for example in with_context.examples:
            merged = tf.train.Example()
            merged.CopyFrom(with_context.context)
            merged.MergeFrom(example)
            out.append(merged.SerializeToString())
        return out
    raise RequestError("INVALID_ARGUMENT", "Input is empty")


class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, store: ModelStore, request_log: RequestLogger | None = None) -> None:
        self.store = store
        self.request_log = request_log  # monitoring: Predict's inputs and outputs, sampled

    def _model(self, request: Any) -> LoadedVersion:
        return self.store.get(*_spec_args(request.model_spec))

    def _run_on_examples(
        self, request: Any, run: Callable[[LoadedVersion, str, list[bytes]], list]
    ) -> tuple[LoadedVersion, list]:
        """Classify and Regress: a signature of the named model over the request's examples."""
        loaded = self._model(request)
        return loaded, run(loaded, request.model_spec.signature_name, _examples(request.input))

    @_answers_request_errors
    def Predict(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        loaded = self._model(request)
        sig = inference.signature(loaded, request.model_spec.signature_name)
        columns = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        outputs = inference.run_signature(sig, columns)
        response = _answered_by(predict_pb2.PredictResponse(), request, loaded)
        response.model_spec.signature_name = (
            request.model_spec.signature_name or inference.DEFAULT_SIGNATURE
        )
        wanted = set(request.output_filter) or set(outputs)
        for name, value in outputs.items():
            if name in wanted:
                response.outputs[name].CopyFrom(tf.make_tensor_proto(value))
        if self.request_log is not None:
            sent = dict(context.invocation_metadata() or ())
            request_id = self.request_log.offer(
                request.model_spec.name, loaded.version, "predict",
                {"inputs": columns}, {"outputs": outputs}, sent.get(HEADER.lower()),
            )  # fmt: skip
            context.set_trailing_metadata(((HEADER.lower(), request_id),))
        return response

    @_answers_request_errors
    def Classify(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        loaded, rows = self._run_on_examples(request, inference.classify)
        response = _answered_by(classification_pb2.ClassificationResponse(), request, loaded)
        for row in rows:
            classes = response.result.classifications.add().classes
            for label, score in row:
                classes.add(label=label, score=score)
        return response

    @_answers_request_errors
    def Regress(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        loaded, values = self._run_on_examples(request, inference.regress)
        response = _answered_by(regression_pb2.RegressionResponse(), request, loaded)
        response.result.regressions.extend(regression_pb2.Regression(value=v) for v in values)
        return response

    @_answers_request_errors
    def GetModelMetadata(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        loaded = self._model(request)
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        for key, value in loaded.signature_defs.items():
            signature_map.signature_def[key].CopyFrom(value)
        response = _answered_by(get_model_metadata_pb2.GetModelMetadataResponse(), request, loaded)
        response.metadata["signature_def"].Pack(signature_map)
        return response


class ModelService(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, store: ModelStore) -> None:
        self.store = store

    @_answers_request_errors
    def GetModelStatus(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        response = get_model_status_pb2.GetModelStatusResponse()
        for loaded in self.store.status(*_spec_args(request.model_spec)):
            status = response.model_version_status.add()
            status.version = loaded.version
            status.state = get_model_status_pb2.ModelVersionStatus.State.Value(loaded.state)
            status.status.error_message = loaded.error
        return response


def make_server(
    store: ModelStore,
    host: str,
    port: int,
    threads: int = 8,
    request_log: RequestLogger | None = None,
) -> tuple[grpc.Server, int]:
    """The server (not started) and the port it bound (``port`` 0 picks a free one)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionService(store, request_log), server
    )
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelService(store), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if not bound:
        raise OSError(f"cannot listen on {host}:{port} for gRPC")
    return server, bound
