"""Alert sinks of ``tfxkit monitor`` (issue 24) against a local HTTP receiver the test starts:
retried with back-off, Slack's format, the URL read from the environment and never shown."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tfxkit.config.monitoring import AlertSink
from tfxkit.monitoring import alerts

REPORT = {
    "verdict": "alert",
    "model": "shop",
    "model_version": 3,
    "window": "/logs/shop/20261207T101010.000-00001.tfrecord",
    "reasons": ["skew of x vs training (PSI+KS): PSI 1.2 >= 0.25"],
}


class Receiver:
    """Answers the first ``failures`` POSTs with 503, then 200; keeps what it was sent."""

    def __init__(self, failures: int = 0, status: int = 503) -> None:
        self.failures, self.status, self.bodies = failures, status, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append(json.loads(body))
                failing = len(receiver.bodies) <= receiver.failures
                self.send_response(receiver.status if failing else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=SECRET"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def start(**kwargs: object) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield start
    for r in made:
        r.close()


def test_webhook_is_retried_until_delivered(receiver, monkeypatch) -> None:
    hook = receiver(failures=2)
    monkeypatch.setenv("SHOP_WEBHOOK", hook.url)
    sink = AlertSink(type="webhook", url_env="SHOP_WEBHOOK")
    delivery = alerts.send(sink, REPORT, backoff=0.01)
    assert delivery is not None and delivery.delivered
    assert hook.bodies == [REPORT, REPORT, REPORT]  # two 503s, then delivered


def test_slack_gets_its_text_format(receiver, monkeypatch) -> None:
    hook = receiver()
    monkeypatch.setenv("SHOP_SLACK", hook.url)
    alerts.send(AlertSink(type="slack", url_env="SHOP_SLACK"), REPORT, backoff=0.01)
    [body] = hook.bodies
    assert set(body) == {"text"}
    assert body["text"].startswith("*tfxkit monitor: ALERT* for shop (version 3)")
    assert "PSI+KS" in body["text"]


def test_a_sink_that_keeps_failing_is_reported_without_its_url(receiver, monkeypatch) -> None:
    hook = receiver(failures=99)
    monkeypatch.setenv("SHOP_WEBHOOK", hook.url)
    delivery = alerts.send(
        AlertSink(type="webhook", url_env="SHOP_WEBHOOK"), REPORT, attempts=3, backoff=0.01
    )
    assert delivery is not None and not delivery.delivered
    assert len(hook.bodies) == 3
    assert "SECRET" not in f"{delivery.sink} {delivery.message}"
    assert "$SHOP_WEBHOOK" in delivery.sink and "HTTP 503" in delivery.message


def test_a_refusal_is_not_retried_and_a_dead_host_names_only_the_variable(
    receiver, monkeypatch
) -> None:
    hook = receiver(failures=99, status=400)
    monkeypatch.setenv("SHOP_WEBHOOK", hook.url)
    sink = AlertSink(type="webhook", url_env="SHOP_WEBHOOK")
    assert not alerts.send(sink, REPORT, backoff=0.01).delivered
    assert len(hook.bodies) == 1  # 400 is final
    monkeypatch.setenv("SHOP_WEBHOOK", "http://127.0.0.1:9/SECRET")  # nothing listens
    delivery = alerts.send(sink, REPORT, attempts=2, backoff=0.01)
    assert not delivery.delivered and "SECRET" not in delivery.message
    assert "ConnectionError" in delivery.message


def test_unset_variable_and_threshold(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NOT_SET_HOOK", raising=False)
    delivery = alerts.send(AlertSink(type="webhook", url_env="NOT_SET_HOOK"), REPORT)
    assert delivery.message == "environment variable NOT_SET_HOOK is not set"
    sink = AlertSink(type="file", path=str(tmp_path / "a.jsonl"), on="alert")
    assert alerts.send(sink, {**REPORT, "verdict": "warn"}) is None  # below the sink's level
    assert alerts.send(sink, REPORT).delivered
    assert json.loads((tmp_path / "a.jsonl").read_text()) == REPORT


def test_a_webhook_needs_a_variable_not_a_url() -> None:
    with pytest.raises(ValueError, match="url_env"):
        AlertSink(type="slack")
