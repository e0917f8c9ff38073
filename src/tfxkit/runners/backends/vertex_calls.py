"""Vertex AI failures as one-paragraph errors that name the operation and the place.

``google-cloud-aiplatform`` raises ``google.api_core`` exceptions for API answers, ``requests``
or ``google.auth`` errors for transport and credentials, and ``ValueError`` for its own
argument checks. :func:`vertex_errors` turns each into a :class:`VertexError` with a hint for
the usual cause, so the CLI prints one paragraph instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions

from tfxkit.errors import RemoteError
from tfxkit.runners.backends.base import one_paragraph


class VertexError(RemoteError):
    """A Vertex AI call failed; the message is one paragraph naming operation and place."""


def vertex_error(location: str, operation: str, detail: str) -> VertexError:
    """``location``: the project and region (and endpoint) the operation was aimed at."""
    return VertexError(f"Vertex AI: could not {operation} ({location}): {detail}")


@contextmanager
def vertex_errors(location: str, endpoint: str, operation: str) -> Iterator[None]:
    """Turn SDK, HTTP and auth failures inside the block into one-paragraph VertexErrors."""
    try:
        yield
    except VertexError:
        raise
    except api_exceptions.GoogleAPICallError as exc:
        status = getattr(exc, "grpc_status_code", None)
        label = f"{exc.code} {status.name}" if status is not None else str(exc.code or "error")
        hint = next((h for kind, h in _HINTS if isinstance(exc, kind)), "")
        detail = f"the API answered {label}: {one_paragraph(exc.message or exc, 400)}."
        raise vertex_error(location, operation, f"{detail} {hint}".strip()) from exc
    except api_exceptions.GoogleAPIError as exc:  # RetryError, timeouts of long operations
        raise vertex_error(location, operation, f"{one_paragraph(exc, 400)}.") from exc
    except auth_exceptions.DefaultCredentialsError as exc:
        raise vertex_error(
            location,
            operation,
            "no Google credentials were found. Run `gcloud auth application-default login` "
            "or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file.",
        ) from exc
    except (
        requests.exceptions.RequestException,
        auth_exceptions.TransportError,
        ConnectionError,
    ) as exc:
        raise vertex_error(
            location,
            operation,
            f"cannot reach {endpoint} ({type(exc).__name__}: {one_paragraph(exc, 200)}). "
            "Check the network, proxy settings and the endpoint.",
        ) from exc
    except auth_exceptions.GoogleAuthError as exc:
        detail = f"authentication failed: {one_paragraph(exc)}. Refresh the credentials."
        raise vertex_error(location, operation, detail) from exc
    except ValueError as exc:  # the SDK's own argument checks (region, labels, names)
        detail = f"invalid argument: {one_paragraph(exc, 400)}."
        raise vertex_error(location, operation, detail) from exc


_HINTS: tuple[tuple[type[BaseException], str], ...] = (
    (
        api_exceptions.Unauthenticated,
        "Check the credentials (`gcloud auth application-default login`, or "
        "GOOGLE_APPLICATION_CREDENTIALS).",
    ),
    (
        api_exceptions.PermissionDenied,
        "Check that the Vertex AI API is enabled in the project and that the caller has "
        "roles/aiplatform.user (and iam.serviceAccountUser on the pipeline's service account).",
    ),
    (
        api_exceptions.NotFound,
        "Check the project id and region, and that the resource still exists.",
    ),
    (
        api_exceptions.InvalidArgument,
        "Vertex rejected the request; recompiling the package or fixing the named field "
        "usually helps.",
    ),
    (
        api_exceptions.AlreadyExists,
        "A resource with that id already exists; submit again for a fresh run id.",
    ),
    (
        api_exceptions.ResourceExhausted,
        "A quota was exceeded; wait or raise the quota in the Cloud Console.",
    ),
)
