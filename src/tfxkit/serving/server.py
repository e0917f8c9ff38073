"""``tfxkit serve``: TF Serving's REST and gRPC APIs over a serving base, for local use.

Production serves with the TF Serving image (``docker/serving/``); its binary cannot be
installed here, so this in-process server stands in for it on a laptop, in tests and in CI. It
reads the same base and ``models.config``, honours versions and labels, and polls the base so
a new push or a ``serving promote`` is picked up without a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tfxkit.errors import ServingError
from tfxkit.serving import grpc_service, rest
from tfxkit.serving.models import ModelStore, base_exists
from tfxkit.serving.request_log import LogSettings, RequestLogger


class EmbeddedServer:
    """REST (``rest.RestServer``, limits in ``rest_settings``) and gRPC over one ``ModelStore``,
    and a thread that polls the base for new versions and labels."""

    def __init__(
        self,
        base: str,
        *,
        host: str = "127.0.0.1",
        rest_port: int = 8501,
        grpc_port: int | None = 8500,
        poll_seconds: float = 2.0,
        log: Callable[[str], None] = print,
        rest_settings: rest.RestSettings | None = None,
        request_log: LogSettings | None = None,
    ) -> None:
        if not base_exists(base):
            raise ServingError(
                f"serving base {base} does not exist: run a pipeline that pushes a model first "
                "(push.destination, default workspace/serving)"
            )
        self.base, self.host, self.poll_seconds, self.log = base, host, poll_seconds, log
        self.store = ModelStore(base)
        self._stop = threading.Event()
        # Monitoring (docs/monitoring.md): sampled requests and answers to TFRecord windows.
        self.request_log = RequestLogger(request_log) if request_log else None
        try:
            self._rest = rest.RestServer(self.store, host, rest_port, rest_settings)
            try:
                self._grpc, self.grpc_port = (
                    grpc_service.make_server(
                        self.store, host, grpc_port, request_log=self.request_log
                    )
                    if grpc_port is not None
                    else (None, None)
                )
            except OSError:
                self._rest.stop()  # its port stays free for the next try
                raise
        except OSError as exc:
            raise ServingError(
                f"cannot listen on {host}:{rest_port}/{grpc_port}: {exc}; pick other ports "
                "with --rest-port / --grpc-port"
            ) from None
        self.rest_port = self._rest.port
        self._poller: threading.Thread | None = None
        self._rest.app.request_log = self.request_log

    def refresh(self) -> None:
        for change in self.store.refresh():
            self.log(f"[tfxkit serve] {change}")

    def start(self) -> EmbeddedServer:
        self.refresh()
        if self.request_log is not None:
            self.request_log.start()
        self._rest.start()
        if self._grpc is not None:
            self._grpc.start()
        self._poller = threading.Thread(target=self._poll, name="tfxkit-poll", daemon=True)
        self._poller.start()
        return self

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.refresh()
            except Exception as exc:  # noqa: BLE001 - a bad edit must not kill the server
                self.log(f"[tfxkit serve] could not read {self.base}: {exc}")

    def stop(self) -> None:
        self._stop.set()
        self._rest.stop()
        if self._grpc is not None:
            self._grpc.stop(grace=None)
        if self.request_log is not None:
            self.request_log.stop()  # after the front ends: every answered request is queued

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        # The banner comes before the first answer: a client that got one knows it was said
        # (a test that stopped the server right after a status answer missed it under load).
        self.refresh()
        models = ", ".join(self.store.model_names()) or "none yet"
        grpc_text = f", gRPC on {self.host}:{self.grpc_port}" if self._grpc else ""
        limits = self._rest.settings
        self.log(
            f"[tfxkit serve] {self.base}: models {models}; REST on "
            f"http://{self.host}:{self.rest_port}/v1/models/<name>{grpc_text} (requests up to "
            f"{limits.max_body_bytes / rest.MIB:g} MiB and {limits.max_batch_rows} rows, "
            f"{limits.threads} threads). Local use only: production runs the TF Serving image "
            "(docker/serving/). Ctrl-C stops."
        )
        if self.request_log is not None:
            log = self.request_log.settings
            self.log(
                f"[tfxkit serve] logging {log.sample_rate:.0%} of requests (REST; gRPC Predict) to "
                f"{log.directory}/<model>/ (windows of {log.rotate_seconds:g} s or "
                f"{log.rotate_records} rows; docs/monitoring.md)"
            )
        self.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stop()
