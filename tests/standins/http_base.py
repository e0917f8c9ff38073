"""What every local stand-in HTTP server shares: serving, recording, failing and replying.

The stand-ins (``kfp_server``, ``vertex_server``) stand in for remote services the tests
cannot reach. Each one is a :class:`StandIn` subclass that implements :meth:`StandIn.route`
(its endpoints) and :meth:`StandIn.error_body` (its service's JSON error shape); this module
serves it on 127.0.0.1 at a free port from a thread, records every request, and can make
chosen requests fail (:meth:`StandIn.fail_next`).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

_S = TypeVar("_S", bound="StandIn")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as a stand-in received it (the body is a copy: tests may edit it)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any = None  # parsed JSON, or the raw text when it is not JSON
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # multipart uploads

    def param(self, name: str, default: str = "") -> str:
        """The last value of query parameter ``name``."""
        values = self.query.get(name)
        return values[-1] if values else default


class HttpError(Exception):
    """Raised by a route; answered with ``status`` and the stand-in's :meth:`error_body`."""

    def __init__(self, status: int, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason  # a service-specific status word, e.g. Google's "NOT_FOUND"


@dataclass
class _Failure:
    method: str
    path: re.Pattern[str]
    status: int
    message: str
    times: int


class StandIn:
    """In-memory state behind one local HTTP server; subclasses add endpoints and state."""

    name = "stand-in"

    def __init__(self) -> None:
        self.url = ""
        self.lock = threading.RLock()  # held while a request is handled; hold it to edit state
        self._requests: list[RecordedRequest] = []
        self._failures: list[_Failure] = []

    # ------------------------------------------------------------------- for subclasses

    def route(self, request: RecordedRequest) -> tuple[int, Any]:
        """Status and JSON body for ``request``; raise :class:`HttpError` to refuse it."""
        raise NotImplementedError

    def error_body(self, error: HttpError) -> Any:
        """The JSON body of an error reply, in the shape the real service uses."""
        return {"error": error.message}

    # ---------------------------------------------------------------------- for tests

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, oldest first (a copy)."""
        with self.lock:
            return list(self._requests)

    def calls(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, optionally only those with ``method`` and a path fully matching
        the regular expression ``path``."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method)
            and (path is None or re.fullmatch(path, r.path))
        ]

    def clear_requests(self) -> None:
        with self.lock:
            self._requests.clear()

    def fail_next(
        self, method: str, path: str, status: int = 500, message: str = "", times: int = 1
    ) -> None:
        """Make the next ``times`` ``method`` requests whose path fully matches ``path`` (a
        regular expression) fail with ``status`` and an error body carrying ``message``."""
        with self.lock:
            self._failures.append(
                _Failure(method, re.compile(path), status, message or "injected failure", times)
            )

    @contextmanager
    def running(self: _S) -> Iterator[_S]:
        """Serve on 127.0.0.1 at a free port for the duration of the block."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.name,
            daemon=True,
        )
        thread.start()
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    # ----------------------------------------------------------------------- serving

    def _answer(self, request: RecordedRequest) -> tuple[int, Any]:
        with self.lock:
            self._requests.append(request)
            try:
                for failure in self._failures:
                    if failure.method == request.method and failure.path.fullmatch(request.path):
                        failure.times -= 1
                        if failure.times <= 0:
                            self._failures.remove(failure)
                        raise HttpError(failure.status, failure.message)
                # The route gets its own copy of the body: the log keeps what was sent.
                return self.route(dataclasses.replace(request, body=copy.deepcopy(request.body)))
            except HttpError as exc:
                return exc.status, self.error_body(exc)


def _parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    files: dict[str, tuple[str, bytes]] = {}
    if message.is_multipart():
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                files[str(name)] = (part.get_filename() or "", part.get_payload(decode=True) or b"")
    return files


def _handler_for(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = stand_in.name

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type") or ""
            body: Any = None
            files: dict[str, tuple[str, bytes]] = {}
            if content_type.startswith("multipart/form-data"):
                files = _parse_multipart(content_type, raw)
            elif raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
            query = parse_qs(url.query, keep_blank_values=True)
            request = RecordedRequest(self.command, url.path, query, body, files)
            status, payload = stand_in._answer(request)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    return Handler
