"""TF Serving's REST API (port 8501 by convention) over a ``ModelStore``.

Routes, as documented for TF Serving 2.x:

* ``GET  /v1/models/{m}[/versions/{v}|/labels/{l}]``            model status
* ``GET  /v1/models/{m}[/versions/{v}|/labels/{l}]/metadata``   signature defs
* ``POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict|classify|regress``
* ``GET  /monitoring/prometheus/metrics``                        request counters

Errors answer ``{"error": "..."}`` with the HTTP status TF Serving maps from the gRPC code
(400 invalid argument, 404 not found, ...).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2

from tfxkit.serving import inference, layout
from tfxkit.serving.models import ModelStore, RequestError

_MODEL_PATH = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)"
    r"(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
    r"(?P<rest>/metadata|:predict|:classify|:regress)?/?$"
)


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


def handle(store: ModelStore, method: str, path: str, body: bytes) -> tuple[int, dict]:
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


class _Handler(BaseHTTPRequestHandler):
    store: ModelStore
    counters: Counter
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, a kept-alive connection waits for
    # the client's delayed ACK (~40 ms) before the body: every answer took 47 ms.
    disable_nagle_algorithm = True

    def _answer(self, status: int, payload: dict | str, content_type: str) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if method == "GET" and self.path == layout.PROMETHEUS_PATH:
            lines = [
                f'tfxkit_requests_total{{path="{p}",code="{c}"}} {n}'
                for (p, c), n in sorted(self.counters.items())
            ]
            self._answer(200, "\n".join(lines) + "\n", "text/plain; version=0.0.4")
            return
        status, payload = handle(self.store, method, self.path, body)
        kind = self.path.rsplit(":", 1)[-1] if ":" in self.path else "status"
        self.counters[(kind, status)] += 1
        self._answer(status, payload, "application/json")

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # per-request lines would drown the server's own output


def make_server(store: ModelStore, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"store": store, "counters": Counter()})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="tfxkit-rest", daemon=True)
    thread.start()
    return thread
