"""TF Serving's REST API (port 8501 by convention) over a ``ModelStore``.

Routes, as documented for TF Serving 2.x:

* ``GET  /v1/models/{m}[/versions/{v}|/labels/{l}]``            model status
* ``GET  /v1/models/{m}[/versions/{v}|/labels/{l}]/metadata``   signature defs
* ``POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict|classify|regress``
* ``GET  /monitoring/prometheus/metrics``                        request counters

Errors answer ``{"error": "..."}`` with the HTTP status TF Serving maps from the gRPC code
(400 invalid argument, 404 not found, ...).

``handle`` is the routing core, independent of any HTTP server. ``RestServer`` serves it as a
WSGI app on waitress: http.server's ``ThreadingHTTPServer`` (listen backlog 5, a thread per
connection, no timeouts) reset a sixth of the requests of 50 concurrent clients and hung a
thread on a body shorter than its ``Content-Length``. Waitress reads each request, body
included, on one event loop before a bounded pool of worker threads runs it; a malformed or
over-limit ``Content-Length`` is answered (400, 413) as soon as the headers arrive.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2
from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask

from tfxkit.serving import inference, layout
from tfxkit.serving.models import ModelStore, RequestError
from tfxkit.serving.request_log import HEADER, RequestLogger

_MODEL_PATH = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)"
    r"(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
    r"(?P<rest>/metadata|:predict|:classify|:regress)?/?$"
)


MIB = 1024 * 1024


@dataclass(frozen=True)
class RestSettings:
    """Limits of the REST front end; ``tfxkit serve`` options set them (docs/serving.md)."""

    max_body_bytes: int = 32 * MIB  # a larger request gets 413 once its headers arrive
    max_batch_rows: int = 10_000  # rows (instances, examples) in one request; more gets 400
    threads: int = 4  # worker threads running requests; the rest wait in a queue
    backlog: int = 1024  # listen queue of the socket (the old server's was 5)
    connection_limit: int = 1000  # open connections; past it new ones wait in the backlog
    idle_timeout: float = 30.0  # seconds a kept-alive or stalled connection may stay silent


def batch_rows(request: dict) -> int:
    """Rows in a predict/classify/regress body: ``instances``, ``examples`` or the longest
    column of ``inputs``."""
    for key in ("instances", "examples"):
        if isinstance(request.get(key), list):
            return len(request[key])
    inputs = request.get("inputs")
    if isinstance(inputs, dict):
        return max((len(v) for v in inputs.values() if isinstance(v, list)), default=1)
    return len(inputs) if isinstance(inputs, list) else 0


def status_json(versions: list) -> dict:
    return {
        "model_version_status": [
            {
                "version": str(v.version),
                "state": v.state,
                "status": {
                    "error_code": "OK" if not v.error else "UNKNOWN",
                    "error_message": v.error,
                },
            }
            for v in versions
        ]
    }


def metadata_json(name: str, loaded: Any) -> dict:
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    for key, value in loaded.signature_defs.items():
        signature_map.signature_def[key].CopyFrom(value)
    return {
        "model_spec": {"name": name, "signature_name": "", "version": str(loaded.version)},
        "metadata": {
            "signature_def": json_format.MessageToDict(
                signature_map, preserving_proto_field_name=True
            )
        },
    }


def handle(
    store: ModelStore, method: str, path: str, body: bytes, *, max_batch_rows: int | None = None
) -> tuple[int, dict]:
    """One request -> (HTTP status, JSON answer); independent of the HTTP server for tests."""
    match = _MODEL_PATH.match(path)
    if not match:
        return 404, {"error": f"Malformed request: {method} {path}"}
    name, label, rest = match["name"], match["label"], match["rest"] or ""
    try:
        version = None
        if match["version"] is not None:
            if not match["version"].isdigit():
                raise RequestError(
                    "INVALID_ARGUMENT", f"Failed to convert version: {match['version']}"
                )
            version = int(match["version"])
        if method == "GET" and rest == "":
            return 200, status_json(store.status(name, version, label))
        if method == "GET" and rest == "/metadata":
            return 200, metadata_json(name, store.get(name, version, label))
        if method != "POST" or not rest.startswith(":"):
            return 404, {"error": f"Malformed request: {method} {path}"}
        try:
            request = json.loads(body or b"null")
        except ValueError as exc:
            raise RequestError("INVALID_ARGUMENT", f"JSON Parse error: {exc}") from None
        if not isinstance(request, dict):
            raise RequestError("INVALID_ARGUMENT", "JSON Value: the request must be an object")
        rows = batch_rows(request)
        if max_batch_rows is not None and rows > max_batch_rows:
            raise RequestError(
                "INVALID_ARGUMENT",
                f"The request has {rows} rows; this server takes at most {max_batch_rows} in "
                "one request (tfxkit serve --max-batch-rows). Split it into smaller requests.",
            )
        loaded = store.get(name, version, label)
        if rest == ":predict":
            return 200, inference.predict_json(loaded, request)
        examples = inference.examples_from_json(request)
        signature_name = request.get("signature_name")
        if rest == ":classify":
            results = inference.classify(loaded, signature_name, examples)
            return 200, {"results": [[list(pair) for pair in row] for row in results]}
        return 200, {"results": inference.regress(loaded, signature_name, examples)}
    except RequestError as exc:
        return exc.status, {"error": exc.message}


_JSON = "application/json"
Respond = Callable[[str, list[tuple[str, str]]], Any]


class RestApp:
    """The WSGI app: ``handle`` plus the Prometheus counters and the 411 for a POST without a
    length (a body cannot be read without one: waitress has already decoded chunked ones)."""

    def __init__(self, store: ModelStore, settings: RestSettings) -> None:
        self.store, self.settings = store, settings
        self.counters: Counter = Counter()
        self._lock = threading.Lock()  # Counter's += is a read and a write: threads lose counts
        self.request_log: RequestLogger | None = None  # monitoring: set by EmbeddedServer

    def log_request(self, environ: dict, path: str, body: bytes, payload: dict) -> str | None:
        """Offer an answered predict/classify/regress to the request log; its request id (the
        client's ``X-Request-Id`` when it sent one)."""
        match = _MODEL_PATH.match(path)
        if self.request_log is None or match is None or not (match["rest"] or "").startswith(":"):
            return None
        version = match["version"]
        try:
            loaded = self.store.get(
                match["name"], int(version) if version else None, match["label"]
            )
        except RequestError:  # unloaded since it answered: log nothing rather than guess
            return None
        return self.request_log.offer(
            match["name"],
            loaded.version,
            match["rest"][1:],
            body,
            payload,
            environ.get("HTTP_X_REQUEST_ID"),
        )

    def count(self, kind: str, status: int) -> None:
        with self._lock:
            self.counters[(kind, status)] += 1

    def metrics(self) -> str:
        with self._lock:
            counts = sorted(self.counters.items())
        lines = [f'tfxkit_requests_total{{path="{p}",code="{c}"}} {n}' for (p, c), n in counts]
        return "\n".join(lines) + "\n"

    def __call__(self, environ: dict, start_response: Respond) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if method == "GET" and path == layout.PROMETHEUS_PATH:
            return _answer(start_response, 200, self.metrics(), "text/plain; version=0.0.4")
        if method == "POST" and "CONTENT_LENGTH" not in environ:
            status, payload = 411, {"error": "A POST needs a Content-Length header"}
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)  # waitress checked it: digits
            body = environ["wsgi.input"].read(length) if length else b""
            status, payload = handle(
                self.store, method, path, body, max_batch_rows=self.settings.max_batch_rows
            )
        self.count(path.rsplit(":", 1)[-1] if ":" in path else "status", status)
        extra = []
        if status == 200 and method == "POST" and self.request_log is not None:
            request_id = self.log_request(environ, path, body, payload)
            extra = [(HEADER, request_id)] if request_id else []
        return _answer(start_response, status, json.dumps(payload), _JSON, extra)


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 411: "Length Required",
            413: "Request Entity Too Large", 500: "Internal Server Error",
            501: "Not Implemented", 503: "Service Unavailable"}  # fmt: skip


def _answer(
    start_response: Respond,
    status: int,
    text: str,
    content_type: str,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    data = text.encode()
    reason = _REASONS.get(status, "Error")
    headers = [("Content-Type", content_type), ("Content-Length", str(len(data)))]
    start_response(f"{status} {reason}", headers + (extra or []))
    return [data]


class _JsonErrorTask(ErrorTask):
    """Waitress's own refusals (bad or over-limit Content-Length, oversized headers) as TF
    Serving's ``{"error": ...}``, so clients parse them like any other refusal."""

    def execute(self) -> None:
        server: _Server = self.channel.server
        error, declared = self.request.error, self.request.content_length
        if error.code == 413:
            size = f"of {declared} bytes " if declared else ""
            message = (
                f"The request body {size}is over this server's limit of "
                f"{server.settings.max_body_bytes} bytes (tfxkit serve --max-body-mb)"
            )
        elif "Content-Length" in error.body:
            message = "Content-Length is invalid: it must be the body's size in bytes, in digits"
        else:
            message = f"{error.reason}: {error.body}"
        server.app.count("refused", error.code)
        body = json.dumps({"error": message}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", _JSON))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    error_task_class = _JsonErrorTask


class _Server(TcpWSGIServer):
    channel_class = _Channel
    app: RestApp
    settings: RestSettings


class RestServer:
    """The REST API on waitress, run by one thread's event loop that ``stop`` ends cleanly
    (waitress's own ``run`` only ends on Ctrl-C)."""

    def __init__(
        self, store: ModelStore, host: str, port: int, settings: RestSettings | None = None
    ) -> None:
        self.settings = settings or RestSettings()
        self.app = RestApp(store, self.settings)
        # Under load requests queue for the worker threads by design; waitress would log a
        # warning for each one queued.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        adjustments = Adjustments(
            host=host,
            port=port,
            threads=self.settings.threads,
            backlog=self.settings.backlog,
            connection_limit=self.settings.connection_limit,
            channel_timeout=self.settings.idle_timeout,
            cleanup_interval=max(1, min(30, int(self.settings.idle_timeout / 2))),
            # waitress refuses a body of max_request_body_size bytes and more
            max_request_body_size=self.settings.max_body_bytes + 1,
            asyncore_use_poll=True,  # select() stops at 1024 descriptors
            ident="tfxkit",
        )
        # The first address only: "localhost" would otherwise bind ::1 and 127.0.0.1, each
        # on its own free port when port is 0.
        self._server = _Server(self.app, adj=adjustments, sockinfo=adjustments.listen[0])
        self._server.app, self._server.settings = self.app, self.settings
        self.port: int = self._server.effective_port
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> RestServer:
        self._thread = threading.Thread(target=self._loop, name="tfxkit-rest", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        timeout = self._server.adj.asyncore_loop_timeout
        while not self._stopping.is_set():
            wasyncore.loop(timeout=timeout, map=self._server._map, use_poll=True, count=1)

    def stop(self) -> None:
        """Close the listening socket and every connection; wait for the worker threads."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._thread is not None:
            self._server.pull_trigger()  # wakes the loop out of poll(); closed only below
            self._thread.join(timeout=10)
        wasyncore.close_all(self._server._map)
        self._server.task_dispatcher.shutdown(timeout=5)
