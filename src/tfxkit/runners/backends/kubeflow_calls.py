"""Calling ``kfp.Client`` quietly, a page at a time, with failures as one-paragraph errors.

``kfp.Client`` surfaces urllib3 retry errors and ``kfp_server_api.ApiException`` tracebacks
with the raw HTTP body, logs a traceback for each failed health check and prints links to
stdout. :func:`kfp_call` turns every expected failure into a :class:`KfpError` naming the host
and the operation, and moves the noise to debug logging, so the CLI decides what users see.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kfp_server_api
import urllib3

from tfxkit.errors import RemoteError
from tfxkit.runners.backends.base import one_paragraph

log = logging.getLogger(__name__)

PORT_FORWARD = "kubectl port-forward -n kubeflow svc/ml-pipeline-ui 8080:80"
_MAX_PAGES = 1000
_EQUALS = 1  # KFP's filter operation for string equality (kfp.client.client._FILTER_OPERATIONS)


class KfpError(RemoteError):
    """A Kubeflow Pipelines operation failed; the message is one paragraph naming host and step."""


def all_pages(fetch: Callable[[str], Any], items_attr: str) -> list[Any]:
    """Every item of a paginated KFP list call."""
    items: list[Any] = []
    token = ""
    for _ in range(_MAX_PAGES):
        response = fetch(token)
        items.extend(getattr(response, items_attr, None) or [])
        token = getattr(response, "next_page_token", None) or ""
        if not token:
            return items
    raise ValueError(f"more than {_MAX_PAGES} pages of {items_attr}")


def name_filter(name: str) -> str:
    return json.dumps(
        {"predicates": [{"operation": _EQUALS, "key": "display_name", "stringValue": name}]}
    )


class _ThirdPartyToDebug(logging.Filter):
    """Re-log kfp's root-logger records and urllib3's retry warnings at debug level.

    kfp logs a full traceback (``logging.exception``) for each failed healthz attempt and
    urllib3 warns on each connection retry; the failure itself reaches the user as a KfpError.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from_kfp = record.name == "root" and "kfp" in Path(record.pathname).parts
        if from_kfp or record.name.startswith("urllib3"):
            log.debug("%s: %s", record.name, record.getMessage())
            return False
        return True


_QUIET = _ThirdPartyToDebug()
_QUIETED_LOGGERS = ("", "urllib3.connectionpool")


@contextlib.contextmanager
def kfp_call(host: str, what: str) -> Iterator[None]:
    """Run kfp client calls quietly and turn their failures into :class:`KfpError`."""
    captured = io.StringIO()
    loggers = [logging.getLogger(name) for name in _QUIETED_LOGGERS]
    for logger in loggers:
        logger.addFilter(_QUIET)
    try:
        with contextlib.redirect_stdout(captured):
            yield
    except KfpError:
        raise
    except urllib3.exceptions.HTTPError as exc:
        raise KfpError(_unreachable(host, what, _urllib3_reason(exc))) from exc
    except kfp_server_api.ApiException as exc:
        if not exc.status:  # status 0: kfp_server_api's wrapper for SSL/connection errors
            raise KfpError(_unreachable(host, what, one_paragraph(exc.reason))) from exc
        raise KfpError(_http_error(host, what, exc)) from exc
    except TimeoutError as exc:  # kfp.Client's healthz retry loop gave up
        raise KfpError(
            f"Kubeflow Pipelines at {host} did not answer its health check while {what} "
            f"({one_paragraph(exc)}); check that the URL points at a KFP 2.x API or UI."
        ) from exc
    except (ValueError, kfp_server_api.exceptions.OpenApiException) as exc:
        raise KfpError(
            f"{what} on Kubeflow Pipelines at {host} failed: {one_paragraph(exc)}"
        ) from exc
    finally:
        for logger in loggers:
            logger.removeFilter(_QUIET)
        for line in captured.getvalue().splitlines():
            log.debug("kfp: %s", line)


def _unreachable(host: str, what: str, reason: str) -> str:
    return (
        f"cannot reach Kubeflow Pipelines at {host} while {what}: {reason}. Check the URL "
        f"(scheme and port) and that the cluster is up; for a local cluster run `{PORT_FORWARD}` "
        "and use http://localhost:8080."
    )


def _http_error(host: str, what: str, exc: kfp_server_api.ApiException) -> str:
    detail = _api_error_detail(exc)
    text = f"Kubeflow Pipelines at {host} refused {what}: HTTP {exc.status} {exc.reason or ''}"
    text = text.rstrip() + (f": {detail}" if detail else "") + "."
    if exc.status in (401, 403):
        text += (
            " The endpoint requires authentication that tfxkit does not send; reach the API "
            "through `kubectl port-forward -n kubeflow svc/ml-pipeline 8888:8888` instead."
        )
    elif exc.status == 404:
        text += " Check that the URL is a KFP 2.x API or UI (tfxkit uses /apis/v2beta1)."
    return text


def _api_error_detail(exc: kfp_server_api.ApiException) -> str:
    """The human part of a KFP error body (grpc-gateway JSON with ``message``/``error``)."""
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body:
        return ""
    try:
        parsed = json.loads(body)
    except ValueError:
        return one_paragraph(body)
    if isinstance(parsed, dict):
        for field in ("message", "error"):
            if parsed.get(field):
                return one_paragraph(parsed[field])
    return one_paragraph(body)


def _urllib3_reason(exc: urllib3.exceptions.HTTPError) -> str:
    text = str(getattr(exc, "reason", None) or exc)
    # "HTTPConnection(host=..., port=...): Failed to establish a new connection: [Errno 111] ..."
    if "): " in text:
        text = text.split("): ", 1)[1]
    return one_paragraph(text)
