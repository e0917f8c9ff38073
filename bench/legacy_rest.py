"""LEGACY BASELINE, for ``bench/serving.py`` only: the REST front end ``tfxkit serve`` had
before issue 28 #3, kept verbatim so one bench run can compare it with the current one.

http.server's ``ThreadingHTTPServer``: listen backlog 5 (``request_queue_size``), one thread
per connection, no timeouts, ``Content-Length`` trusted as sent. The routing core is the
current ``tfxkit.serving.rest.handle``, so only the HTTP server differs. Do not use it to serve.

    .venv/bin/python bench/legacy_rest.py --base workspace/serving --port 8601
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tfxkit.serving import layout  # noqa: E402 - after the path above
from tfxkit.serving.models import ModelStore  # noqa: E402
from tfxkit.serving.rest import handle  # noqa: E402


class _Handler(BaseHTTPRequestHandler):
    store: ModelStore
    counters: Counter
    protocol_version = "HTTP/1.1"
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
        pass


def make_server(store: ModelStore, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"store": store, "counters": Counter()})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    store = ModelStore(args.base)
    store.refresh()  # loads every labelled version once; no polling (the bench pushes nothing)
    server = make_server(store, args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
