"""Alert sinks: a generic JSON webhook, a Slack incoming webhook and a JSON-lines file.

Webhook URLs are secrets: the config names the environment variable (``url_env``); the URL is
read when sending and appears in no file, log or message (errors name the variable). Sending is
retried with exponential back-off (tenacity, pinned) on connection errors, timeouts, 429 and
5xx; a sink that still fails is reported, and never changes the verdict or the exit code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from tfxkit.config.monitoring import AlertSink

_ORDER = {"ok": 0, "warn": 1, "alert": 2}


class _Retry(Exception):
    """A refusal worth another try (429, 5xx)."""


@dataclass
class Delivery:
    sink: str
    delivered: bool
    message: str


def slack_text(report: dict[str, Any]) -> str:
    head = f"*tfxkit monitor: {report['verdict'].upper()}* for {report['model']} "
    head += f"(version {report.get('model_version')}), window {Path(report['window']).name}"
    return "\n".join([head, *(f"• {r}" for r in report["reasons"][:10])])


def _post(url: str, payload: dict, timeout: float) -> None:
    response = requests.post(url, json=payload, timeout=timeout)
    if response.status_code == 429 or response.status_code >= 500:
        raise _Retry(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise RuntimeError(f"HTTP {response.status_code}")


def send(
    sink: AlertSink,
    report: dict[str, Any],
    *,
    attempts: int = 4,
    backoff: float = 0.5,
    timeout: float = 10.0,
) -> Delivery | None:
    """Send ``report`` to one sink if its verdict reaches ``sink.on``; None if not sent."""
    if _ORDER[report["verdict"]] < _ORDER[sink.on]:
        return None
    if sink.type == "file":
        path = Path(sink.path or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(report) + "\n")
        return Delivery(f"file {path}", True, "appended")
    name = f"{sink.type} (${sink.url_env})"
    url = os.environ.get(sink.url_env or "")
    if not url:
        return Delivery(name, False, f"environment variable {sink.url_env} is not set")
    payload = {"text": slack_text(report)} if sink.type == "slack" else report
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=backoff, max=30),
        retry=retry_if_exception_type((_Retry, requests.ConnectionError, requests.Timeout)),
        reraise=True,
    )
    try:
        retrying(_post, url, payload, timeout)
    except (requests.RequestException, _Retry, RuntimeError) as exc:
        # requests' messages quote the URL: say only what kind of failure it was
        reason = str(exc) if isinstance(exc, _Retry | RuntimeError) else type(exc).__name__
        return Delivery(name, False, f"not delivered after {attempts} tries: {reason}")
    return Delivery(name, True, "delivered")
