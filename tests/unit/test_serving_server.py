"""``tfxkit serve`` against TF Serving's documented REST and gRPC behaviour, on a toy SavedModel.

The toy model (``tests/serving_toy.py``) is a ``tf.Module`` saved without any pipeline; version
k answers with its own constant k so each answer says which version served it. Requests go through
``rest.handle`` (no sockets) and through a real ``EmbeddedServer`` with ``tfxkit.serving.Client``.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.serving_toy import MODEL, ROWS, new_base, push, save_toy
from tfxkit.serving import Client, ServingRequestError, layout, rest, rollout
from tfxkit.serving.server import EmbeddedServer


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("toy-models")
    for version in (1, 2, 3):
        save_toy(root / str(version), float(version))
    return root


@pytest.fixture(scope="module")
def server(templates: Path, tmp_path_factory: pytest.TempPathFactory):
    base = new_base(templates, tmp_path_factory.mktemp("base"))
    with EmbeddedServer(
        str(base), rest_port=0, grpc_port=0, poll_seconds=0.2, log=lambda _: None
    ) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server: EmbeddedServer) -> Client:
    return Client("127.0.0.1", server.rest_port, server.grpc_port, timeout=10, retries=0)


def _call(server: EmbeddedServer, method: str, path: str, body: object = None) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode() if body else b""
    return rest.handle(server.store, method, f"/v1/models/{path}", data)


# ------------------------------------------------------------------ status and metadata


def test_status_has_tf_servings_shape(server: EmbeddedServer, client: Client) -> None:
    ok = {"state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
    two, one = {"version": "2", **ok}, {"version": "1", **ok}
    assert _call(server, "GET", MODEL) == (200, {"model_version_status": [two, one]})
    assert _call(server, "GET", f"{MODEL}/versions/1") == (200, {"model_version_status": [one]})
    assert client.status(MODEL) == [two, one]
    assert client.status(MODEL, label="stable") == [one]


def test_metadata_holds_the_signature_defs(server: EmbeddedServer) -> None:
    status, answer = _call(server, "GET", f"{MODEL}/labels/stable/metadata")
    assert status == 200
    assert answer["model_spec"] == {"name": MODEL, "signature_name": "", "version": "1"}
    defs = answer["metadata"]["signature_def"]["signature_def"]
    assert set(defs) >= {"serving_default", "double", "classification", "regression"}
    assert set(defs["serving_default"]["inputs"]) == {"x", "y", "s"}
    assert defs["serving_default"]["inputs"]["s"]["dtype"] == "DT_STRING"
    assert defs["classification"]["method_name"] == "tensorflow/serving/classify"


# ------------------------------------------------------------------ predict, classify, regress


def test_predict_row_format(server: EmbeddedServer, client: Client) -> None:
    status, answer = _call(server, "POST", f"{MODEL}:predict", {"instances": ROWS})
    assert status == 200
    # No version named: the latest loaded one (2) answers, as in TF Serving.
    assert answer == {"predictions": [{"sum": 5.0, "label": "a"}, {"sum": 9.0, "label": "b"}]}
    assert client.predict(MODEL, ROWS, label="stable") == [
        {"sum": 4.0, "label": "a"},
        {"sum": 8.0, "label": "b"},
    ]


def test_predict_single_output_is_a_list_of_values(server: EmbeddedServer) -> None:
    rows, columns = {"instances": [1.5, 2]}, {"inputs": [1.5, 2]}
    path = f"{MODEL}/versions/1:predict"
    assert _call(server, "POST", path, {**rows, "signature_name": "double"})[1] == {
        "predictions": [3.0, 4.0]
    }
    path = f"{MODEL}/versions/2:predict"
    assert _call(server, "POST", path, {**columns, "signature_name": "double"})[1] == {
        "outputs": [6.0, 8.0]
    }


def test_predict_columnar_and_b64(server: EmbeddedServer) -> None:
    b64 = base64.b64encode(b"caf\xc3\xa9").decode()
    body = {"inputs": {"x": [1.0], "y": [1], "s": [{"b64": b64}]}}
    status, answer = _call(server, "POST", f"{MODEL}/labels/canary:predict", body)
    assert (status, answer) == (200, {"outputs": {"sum": [4.0], "label": ["café"]}})
    rows = [{"x": 0.0, "y": 0.0, "s": {"b64": b64}}]
    status, answer = _call(server, "POST", f"{MODEL}:predict", {"instances": rows})
    assert answer == {"predictions": [{"sum": 2.0, "label": "café"}]}


def test_labels_and_versions_route_to_their_version(client: Client) -> None:
    row = [{"x": 0.0, "y": 0.0, "s": ""}]
    assert client.predict(MODEL, row, label="canary")[0]["sum"] == 2.0
    assert client.predict(MODEL, row, label="stable")[0]["sum"] == 1.0
    assert client.predict(MODEL, row, version=1)[0]["sum"] == 1.0


def test_classify_and_regress(server: EmbeddedServer, client: Client) -> None:
    examples = [{"x": 0.5}, {"x": 2.0}]
    body = {"examples": examples, "signature_name": "classification"}
    status, answer = _call(server, "POST", f"{MODEL}/versions/2:classify", body)
    assert (status, answer) == (
        200,
        {"results": [[["neg", -1.0], ["pos", 1.0]], [["neg", -4.0], ["pos", 4.0]]]},
    )
    assert client.classify(
        MODEL, [{"x": 1.0}], label="stable", signature_name="classification"
    ) == [[["neg", -1.0], ["pos", 1.0]]]
    regress = {"context": {"x": 3.0}, "version": 1, "signature_name": "regression"}
    assert client.regress(MODEL, [{}], **regress) == [3.0]
    body = {"examples": examples, "signature_name": "regression"}
    assert _call(server, "POST", f"{MODEL}/labels/canary:regress", body)[1] == {
        "results": [1.0, 4.0]
    }


def test_classify_needs_a_classification_signature(server: EmbeddedServer) -> None:
    body = {"examples": [{"x": 1.0}], "signature_name": "serving_default"}
    assert _call(server, "POST", f"{MODEL}:classify", body) == (
        400,
        {
            "error": "Expected classification signature method_name to be "
            "tensorflow/serving/classify. Was: tensorflow/serving/predict"
        },
    )
    body["signature_name"] = "classification"
    status, answer = _call(server, "POST", f"{MODEL}:regress", body)
    assert status == 400 and answer["error"].startswith("Expected regression signature")


# ------------------------------------------------------------------ refused requests


PREDICT = f"{MODEL}:predict"
ONE_ROW = {"instances": ROWS[:1]}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("POST", PREDICT, b"{nope", 400, "JSON Parse error"),
        ("POST", PREDICT, b"[1]", 400, "the request must be an object"),
        ("POST", "nope:predict", ONE_ROW, 404, "Servable not found for request: Latest(nope)"),
        ("POST", f"{MODEL}/labels/beta:predict", ONE_ROW, 400, "version label: beta"),
        ("POST", f"{MODEL}/versions/7:predict", ONE_ROW, 404, "Specific(toy, 7)"),
        ("POST", PREDICT, {**ONE_ROW, "signature_name": "nah"}, 400, '"nah" not found'),
        ("POST", PREDICT, {"instances": [{"x": 1.0, "s": "a"}]}, 400, "missing input(s) y"),
        ("POST", PREDICT, {"inputs": {"x": [1.0], "s": ["a"]}}, 400, "missing input(s) y"),
        ("POST", PREDICT, {"inputs": {"x": [1.0]}, "instances": []}, 400, "only one of 'inputs'"),
        ("POST", PREDICT, {"signature_name": "double"}, 400, "Missing 'inputs' or 'instances' key"),
        ("GET", "nope", None, 404, "Could not find any versions of model nope"),
        ("GET", f"{MODEL}/versions/7", None, 404, "Could not find version 7 of model toy"),
        ("GET", f"{MODEL}/labels/beta", None, 400, "Unrecognized servable version label: beta"),
    ],
)
def test_refused_requests(
    server: EmbeddedServer, method: str, path: str, body: object, status: int, error: str
) -> None:
    code, answer = _call(server, method, path, body)
    assert code == status
    assert list(answer) == ["error"] and error in answer["error"]


def test_client_raises_tf_servings_message(client: Client) -> None:
    with pytest.raises(ServingRequestError) as err:
        client.predict("nope", ROWS)
    assert err.value.status == 404
    assert err.value.message == "Servable not found for request: Latest(nope)"


# ------------------------------------------------------------------ gRPC


def test_grpc_predict_equals_rest(client: Client) -> None:
    columns = {"x": [1.0, 3.0], "y": [2.0, 4.0], "s": ["a", "b"]}
    for label in ("stable", "canary"):
        rest_answer = client.predict(MODEL, inputs=columns, label=label)
        grpc_answer = client.predict_grpc(MODEL, columns, label=label)
        assert set(grpc_answer) == {"sum", "label"}
        np.testing.assert_array_equal(grpc_answer["sum"], rest_answer["sum"])
        assert [b.decode() for b in grpc_answer["label"]] == rest_answer["label"]
    doubled = client.predict_grpc(
        MODEL, {"v": np.float32([1, 2])}, version=1, signature_name="double"
    )
    np.testing.assert_array_equal(doubled["doubled"], [2.0, 4.0])


def test_grpc_status_and_not_found(client: Client) -> None:
    assert client.status_grpc(MODEL) == [(2, "AVAILABLE"), (1, "AVAILABLE")]
    assert client.status_grpc(MODEL, version=1) == [(1, "AVAILABLE")]
    with pytest.raises(ServingRequestError) as err:
        client.predict_grpc("nope", {"x": [1.0]})
    assert err.value.status == "NOT_FOUND"
    assert "Servable not found for request: Latest(nope)" in err.value.message


def test_grpc_classify_regress_and_metadata(client: Client) -> None:
    # Through TF Serving's own stub, as a client written for TF Serving would call it.
    from tensorflow_serving.apis import classification_pb2, get_model_metadata_pb2, regression_pb2

    stub = client._stub("predict")
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name, request.model_spec.signature_name = MODEL, "classification"
    request.model_spec.version_label = "stable"
    with_context = request.input.example_list_with_context
    with_context.context.features.feature["x"].float_list.value.append(2.0)
    with_context.examples.add()  # takes x from the context
    with_context.examples.add().features.feature["x"].float_list.value.append(0.5)
    classes = stub.Classify(request, timeout=10).result.classifications
    assert [[(c.label, c.score) for c in row.classes] for row in classes] == [
        [("neg", -2.0), ("pos", 2.0)],
        [("neg", -0.5), ("pos", 0.5)],
    ]
    request = regression_pb2.RegressionRequest()
    request.model_spec.name, request.model_spec.signature_name = MODEL, "regression"
    request.input.example_list.examples.add().features.feature["x"].float_list.value.append(1.5)
    response = stub.Regress(request, timeout=10)
    assert response.model_spec.version.value == 2
    assert [r.value for r in response.result.regressions] == [3.0]
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = MODEL
    request.metadata_field.append("signature_def")
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    stub.GetModelMetadata(request, timeout=10).metadata["signature_def"].Unpack(signature_map)
    assert set(signature_map.signature_def["serving_default"].inputs) == {"x", "y", "s"}


# ------------------------------------------------------------------ metrics, reload, retries


def _metric(client: Client, kind: str, code: int) -> int:
    text = client._session.get(client.rest_url + layout.PROMETHEUS_PATH, timeout=5).text
    line = f'tfxkit_requests_total{{path="{kind}",code="{code}"}} '
    return sum(int(row[len(line) :]) for row in text.splitlines() if row.startswith(line))


def test_prometheus_endpoint_counts_requests(client: Client) -> None:
    before_ok, before_404 = _metric(client, "predict", 200), _metric(client, "predict", 404)
    client.predict(MODEL, ROWS)
    client.predict(MODEL, ROWS, label="stable")
    with pytest.raises(ServingRequestError):
        client.predict("nope", ROWS)
    assert _metric(client, "predict", 200) == before_ok + 2
    assert _metric(client, "predict", 404) == before_404 + 1


def test_hot_reload_follows_a_promote(templates: Path, tmp_path: Path) -> None:
    base = new_base(templates, tmp_path)
    row = [{"x": 0.0, "y": 0.0, "s": ""}]
    with EmbeddedServer(
        str(base), rest_port=0, grpc_port=None, poll_seconds=0.2, log=lambda _: None
    ) as srv:
        client = Client("127.0.0.1", srv.rest_port, None, retries=0)
        assert client.predict(MODEL, row, label="canary")[0]["sum"] == 2.0
        push(templates, base, 3)
        rollout.promote(str(base), MODEL, 3, "canary")
        deadline = time.monotonic() + 15
        while client.predict(MODEL, row, label="canary")[0]["sum"] != 3.0:
            assert time.monotonic() < deadline, "the server never picked up version 3"
            time.sleep(0.1)
        assert [s["version"] for s in client.status(MODEL)] == ["3", "1"]  # 2 is unloaded
        assert client.predict(MODEL, row, label="stable")[0]["sum"] == 1.0
        with pytest.raises(ServingRequestError) as err:
            client.predict(MODEL, row, version=2)
        assert err.value.status == 404


def _counting(client: Client) -> list[str]:
    calls: list[str] = []
    request = client._session.request

    def counted(method: str, url: str, **kwargs: object):
        calls.append(url)
        return request(method, url, **kwargs)

    client._session.request = counted  # type: ignore[method-assign]
    return calls


def test_client_retries_until_the_server_listens(server: EmbeddedServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    late: list[rest.RestServer] = []

    def start_late() -> None:
        late.append(rest.RestServer(server.store, "127.0.0.1", port).start())

    timer = threading.Timer(0.5, start_late)
    timer.start()
    client = Client("127.0.0.1", port, None, retries=5, backoff=0.2)
    calls = _counting(client)
    try:
        assert client.predict(MODEL, ROWS, version=1)[0]["sum"] == 4.0
    finally:
        timer.join()
        for httpd in late:
            httpd.stop()
    assert len(calls) >= 2  # refused at first, then served


def test_client_does_not_retry_a_refused_request(server: EmbeddedServer) -> None:
    client = Client("127.0.0.1", server.rest_port, None, retries=3, backoff=5.0)
    calls = _counting(client)
    started = time.monotonic()
    with pytest.raises(ServingRequestError) as err:
        client.status("nope")
    assert err.value.status == 404
    assert len(calls) == 1 and time.monotonic() - started < 2.0
