"""TF Serving's gRPC PredictionService and ModelService (port 8500) over a ``ModelStore``.

Built on the service definitions shipped in tensorflow-serving-api, so a client written for
TF Serving (``prediction_service_pb2_grpc.PredictionServiceStub``) works unchanged; errors
carry the gRPC status code TF Serving would return.
"""

from __future__ import annotations

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
from tfxkit.serving.models import ModelStore, RequestError


def _spec_args(spec: Any) -> tuple[str, int | None, str | None]:
    version = spec.version.value if spec.HasField("version") else None
    label = spec.version_label or None
    return spec.name, version, label


def _abort(context: grpc.ServicerContext, exc: RequestError) -> None:
    context.abort(getattr(grpc.StatusCode, exc.code, grpc.StatusCode.UNKNOWN), exc.message)


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
    def __init__(self, store: ModelStore) -> None:
        self.store = store

    def Predict(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        try:
            loaded = self.store.get(*_spec_args(request.model_spec))
            function = inference.signature(loaded, request.model_spec.signature_name)
            columns = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
            outputs = inference.run_signature(function, columns)
        except RequestError as exc:
            return _abort(context, exc)
        response = predict_pb2.PredictResponse()
        response.model_spec.name = request.model_spec.name
        response.model_spec.version.value = loaded.version
        response.model_spec.signature_name = (
            request.model_spec.signature_name or inference.DEFAULT_SIGNATURE
        )
        wanted = set(request.output_filter) or set(outputs)
        for name, value in outputs.items():
            if name in wanted:
                response.outputs[name].CopyFrom(tf.make_tensor_proto(value))
        return response

    def Classify(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        try:
            loaded = self.store.get(*_spec_args(request.model_spec))
            rows = inference.classify(
                loaded, request.model_spec.signature_name, _examples(request.input)
            )
        except RequestError as exc:
            return _abort(context, exc)
        response = classification_pb2.ClassificationResponse()
        response.model_spec.name = request.model_spec.name
        response.model_spec.version.value = loaded.version
        for row in rows:
            classifications = response.result.classifications.add()
            for label, score in row:
                classifications.classes.add(label=label, score=score)
        return response

    def Regress(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        try:
            loaded = self.store.get(*_spec_args(request.model_spec))
            values = inference.regress(
                loaded, request.model_spec.signature_name, _examples(request.input)
            )
        except RequestError as exc:
            return _abort(context, exc)
        response = regression_pb2.RegressionResponse()
        response.model_spec.name = request.model_spec.name
        response.model_spec.version.value = loaded.version
        for value in values:
            response.result.regressions.add(value=value)
        return response

    def GetModelMetadata(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        try:
            loaded = self.store.get(*_spec_args(request.model_spec))
        except RequestError as exc:
            return _abort(context, exc)
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        for key, value in loaded.signature_defs.items():
            signature_map.signature_def[key].CopyFrom(value)
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = request.model_spec.name
        response.model_spec.version.value = loaded.version
        response.metadata["signature_def"].Pack(signature_map)
        return response


class ModelService(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, store: ModelStore) -> None:
        self.store = store

    def GetModelStatus(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        try:
            versions = self.store.status(*_spec_args(request.model_spec))
        except RequestError as exc:
            return _abort(context, exc)
        response = get_model_status_pb2.GetModelStatusResponse()
        for loaded in versions:
            status = response.model_version_status.add()
            status.version = loaded.version
            status.state = get_model_status_pb2.ModelVersionStatus.State.Value(loaded.state)
            status.status.error_message = loaded.error
        return response


def make_server(
    store: ModelStore, host: str, port: int, threads: int = 8
) -> tuple[grpc.Server, int]:
    """The server (not started) and the port it bound (``port`` 0 picks a free one)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionService(store), server
    )
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelService(store), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if not bound:
        raise OSError(f"cannot listen on {host}:{port} for gRPC")
    return server, bound
