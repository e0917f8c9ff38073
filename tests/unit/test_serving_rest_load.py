"""The REST front end of ``tfxkit serve`` under load and against malformed requests (issue 28 #3).

A real ``EmbeddedServer`` on a free port with the toy model (``tests/serving_toy.py``), spoken
to over raw sockets so each test controls exactly what goes on the wire: 200 clients at once,
lying ``Content-Length`` headers, over-limit bodies and batches, kept-alive connections and
bodies that stop short. Speed is measured in ``bench/serving.py``; the bounds here only tell
an answer from a hang.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.serving_toy import MODEL, ROWS, push, save_toy
from tfxkit import cli
from tfxkit.serving import Client, ServingRequestError, layout, rest, rollout
from tfxkit.serving.server import EmbeddedServer

PREDICT = f"/v1/models/{MODEL}:predict"
SMALL = rest.RestSettings(max_body_bytes=2000, max_batch_rows=3, threads=1, idle_timeout=2)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    templates = tmp_path_factory.mktemp("toy-models")
    save_toy(templates / "1", 1.0)
    base = tmp_path_factory.mktemp("base") / "serving"
    push(templates, base, 1)
    rollout.label_new_version(str(base), MODEL, 1)
    return base


def _server(base: Path, settings: rest.RestSettings | None = None) -> EmbeddedServer:
    return EmbeddedServer(
        str(base), rest_port=0, grpc_port=None, log=lambda _: None, rest_settings=settings
    )


@pytest.fixture(scope="module")
def server(base: Path):
    with _server(base) as srv:
        yield srv


@pytest.fixture(scope="module")
def small(base: Path):
    """Limits small enough to cross: 2000-byte bodies, 3 rows, one thread, 2 s idle."""
    with _server(base, SMALL) as srv:
        yield srv


def _request(path: str, body: bytes | None, *headers: str) -> bytes:
    lines = [f"{'GET' if body is None else 'POST'} {path} HTTP/1.1", "Host: test", *headers]
    if body is not None and not any(h.lower().startswith("content-length") for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def _read(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response: status, headers (lower-case names), body (by its Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a complete answer: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    return int(status_line.split()[1]), headers, body


def _exchange(port: int, data: bytes, timeout: float = 10) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return _read(sock)


def _predict_body(rows: list[dict]) -> bytes:
    return json.dumps({"instances": rows}).encode()


def _metric(port: int, kind: str, code: int) -> int:
    _, _, text = _exchange(port, _request(layout.PROMETHEUS_PATH, None, "Connection: close"))
    line = f'tfxkit_requests_total{{path="{kind}",code="{code}"}} '
    return sum(int(r[len(line) :]) for r in text.decode().splitlines() if r.startswith(line))


# ------------------------------------------------------------------ load


def test_200_concurrent_clients_are_all_answered(server: EmbeddedServer) -> None:
    clients = 200
    before = _metric(server.rest_port, "predict", 200)
    data = _request(PREDICT, _predict_body(ROWS), "Connection: close")
    barrier = threading.Barrier(clients)
    answers: list[object] = [None] * clients

    def client(i: int) -> None:
        barrier.wait()  # every client connects at the same moment
        try:
            status, _, body = _exchange(server.rest_port, data, timeout=60)
            answers[i] = (status, json.loads(body))
        except Exception as exc:  # noqa: BLE001 - a reset or timeout is the failure counted
            answers[i] = exc

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = {"predictions": [{"sum": 4.0, "label": "a"}, {"sum": 8.0, "label": "b"}]}
    failed = [a for a in answers if a != (200, expected)]
    assert failed == [], f"{len(failed)} of {clients} failed, e.g. {failed[:3]}"
    # The counters are shared by the worker threads: none of the 200 may be lost.
    assert _metric(server.rest_port, "predict", 200) == before + clients


def test_keep_alive_serves_two_requests_on_one_connection(server: EmbeddedServer) -> None:
    with socket.create_connection(("127.0.0.1", server.rest_port), timeout=10) as sock:
        sock.sendall(_request(PREDICT, _predict_body(ROWS[:1])))
        first = _read(sock)
        sock.sendall(_request(f"/v1/models/{MODEL}", None))
        second = _read(sock)
    assert first[0] == 200 and json.loads(first[2])["predictions"][0]["sum"] == 4.0
    assert first[1].get("connection") != "close"
    assert second[0] == 200 and json.loads(second[2])["model_version_status"][0]["version"] == "1"


# ------------------------------------------------------------------ malformed lengths


@pytest.mark.parametrize(
    ("length", "status", "error"),
    [
        ("-1", 400, "Content-Length is invalid: it must be the body's size in bytes"),
        ("abc", 400, "Content-Length is invalid: it must be the body's size in bytes"),
        (str(10 * 1024**3), 413, "request body of 10737418240 bytes is over this server's limit"),
    ],
)
def test_a_lying_content_length_is_answered_at_once(
    server: EmbeddedServer, length: str, status: int, error: str
) -> None:
    # The body is shorter than declared (or the length is no number): the old server read
    # until EOF and hung, or dropped the connection without an answer.
    data = _request(PREDICT, b'{"instances": [', f"Content-Length: {length}")
    started = time.monotonic()
    code, headers, body = _exchange(server.rest_port, data, timeout=5)
    assert time.monotonic() - started < 3.0, "answered only after a wait"
    assert code == status and headers["content-type"] == "application/json"
    assert error in json.loads(body)["error"]


def test_a_post_without_length_gets_411(server: EmbeddedServer) -> None:
    data = _request(PREDICT, None, "Connection: close").replace(b"GET", b"POST", 1)
    code, _, body = _exchange(server.rest_port, data, timeout=5)
    assert (code, json.loads(body)) == (411, {"error": "A POST needs a Content-Length header"})


def test_a_stalled_body_holds_no_worker_and_is_closed(small: EmbeddedServer) -> None:
    # One worker thread: were it waiting for the stalled bodies, the last request would hang.
    stalled = [socket.create_connection(("127.0.0.1", small.rest_port)) for _ in range(3)]
    try:
        for sock in stalled:
            sock.sendall(_request(PREDICT, b'{"inst', "Content-Length: 100"))
        status, _, body = _exchange(small.rest_port, _request(PREDICT, _predict_body(ROWS[:1])))
        assert status == 200 and json.loads(body)["predictions"][0]["sum"] == 4.0
        for sock in stalled:  # idle_timeout 2 s: the server closes them, answering nothing
            sock.settimeout(15)
            assert sock.recv(1024) == b""
    finally:
        for sock in stalled:
            sock.close()


# ------------------------------------------------------------------ limits


def test_a_body_over_the_limit_gets_413(small: EmbeddedServer) -> None:
    rows = ROWS[:1]
    fits = _predict_body(rows).ljust(SMALL.max_body_bytes)  # JSON allows trailing spaces
    assert _exchange(small.rest_port, _request(PREDICT, fits))[0] == 200
    over = fits + b" "
    code, _, body = _exchange(small.rest_port, _request(PREDICT, over))
    assert code == 413
    assert json.loads(body)["error"] == (
        "The request body of 2001 bytes is over this server's limit of 2000 bytes "
        "(tfxkit serve --max-body-mb)"
    )
    client = Client("127.0.0.1", small.rest_port, None, retries=0)
    with pytest.raises(ServingRequestError) as err:
        client.predict(MODEL, [{**ROWS[0], "s": "x" * 3000}])
    assert err.value.status == 413 and "limit of 2000 bytes" in err.value.message


def test_a_batch_over_the_limit_gets_400_naming_it(small: EmbeddedServer) -> None:
    client = Client("127.0.0.1", small.rest_port, None, retries=0)
    assert [p["sum"] for p in client.predict(MODEL, ROWS + ROWS[:1])] == [4.0, 8.0, 4.0]
    with pytest.raises(ServingRequestError) as err:
        client.predict(MODEL, ROWS * 2)
    assert err.value.status == 400
    assert err.value.message == (
        "The request has 4 rows; this server takes at most 3 in one request (tfxkit serve "
        "--max-batch-rows). Split it into smaller requests."
    )
    columns = {"x": [1.0] * 4, "y": [1.0] * 4, "s": ["a"] * 4}
    with pytest.raises(ServingRequestError, match="has 4 rows"):
        client.predict(MODEL, inputs=columns)
    with pytest.raises(ServingRequestError, match="has 5 rows"):
        client.classify(MODEL, [{"x": 1.0}] * 5, signature_name="classification")


@pytest.mark.parametrize(
    ("request_body", "rows"),
    [
        ({"instances": [1, 2]}, 2),
        ({"inputs": {"x": [1, 2, 3], "s": "a"}}, 3),
        ({"inputs": {"x": 1.0}}, 1),
        ({"inputs": [[1, 2], [3, 4]]}, 2),
        ({"examples": [{}, {}, {}, {}]}, 4),
        ({"signature_name": "x"}, 0),
    ],
)
def test_batch_rows_counts_each_request_format(request_body: dict, rows: int) -> None:
    assert rest.batch_rows(request_body) == rows


# ------------------------------------------------------------------ shutdown


def test_stop_closes_listener_and_open_connections(base: Path) -> None:
    srv = _server(base).start()
    port = srv.rest_port
    idle = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        idle.sendall(_request(f"/v1/models/{MODEL}", None))
        assert _read(idle)[0] == 200  # kept alive, now idle
        started = time.monotonic()
        srv.stop()
        assert time.monotonic() - started < 5.0
        assert idle.recv(1024) == b""  # the server closed it
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        idle.close()


def test_serve_options_set_the_limits(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[rest.RestSettings] = []

    def record(self: EmbeddedServer) -> None:  # instead of serving until Ctrl-C
        seen.append(self._rest.settings)
        self.stop()

    monkeypatch.setattr(EmbeddedServer, "serve_forever", record)
    code = cli.main(["serve", "--base", str(base), "--rest-port", "0", "--no-grpc",
                     "--max-body-mb", "0.5", "--max-batch-rows", "7", "--threads", "2",
                     "--idle-timeout", "5"])  # fmt: skip
    assert code == 0
    assert seen == [
        rest.RestSettings(max_body_bytes=512 * 1024, max_batch_rows=7, threads=2, idle_timeout=5)
    ]
