"""Vertex AI Pipelines client: submit a compiled pipeline, and keep its schedules in step.

Why a layer of our own over ``google.cloud.aiplatform``: the CLI needs a handful of operations
with *declarative* semantics the SDK does not have, and one error type it can print as a
single paragraph.

* ``submit_job`` creates a ``PipelineJob`` from the file ``runners.kubeflow`` writes (TFX's
  ``KubeflowV2DagRunner`` PipelineJob JSON: ``displayName``, ``labels``, ``pipelineSpec``,
  ``runtimeConfig``; a bare PipelineSpec works too), which the SDK accepts as
  ``template_path``. The package is checked first, so a wrong file fails here and not as an
  API error. The SDK ignores the file's own ``labels`` (TFX version and runner); they are
  merged under the target's labels here. Run ids get a random suffix: the SDK's default
  (pipeline name + time in seconds) collides when the same pipeline is submitted twice quickly.
* Schedules are keyed by ``(pipeline_name, schedule_name)`` through the schedule's display name
  ``"pipeline:schedule"``. ``apply_schedule`` stores a fingerprint of everything that defines
  the schedule (cron, caching, concurrency, service account, pipeline root, labels and the
  package bytes) as the label ``tfxkit-fingerprint`` on the schedule's
  ``createPipelineJobRequest.pipelineJob``, a field that a GET returns. Applying the same thing
  again changes nothing; applying something different creates the new schedule, then deletes
  the old one (a paused schedule stays paused), so one key never leaves two schedules behind.
* Every SDK, HTTP and auth failure becomes a ``VertexError`` naming the operation, project,
  region and endpoint, with a hint for the usual causes.

Transport: calls go over REST (``api_transport="rest"``), so ``VertexTarget.api_endpoint`` may
be a full URL: the generated REST transport keeps an explicit ``http://`` or ``https://``
scheme, which is how tests point this module at a local stand-in. The SDK keeps its settings
in a process-wide ``aiplatform.init`` config in which unset values never reset, so each call
passes project, region, credentials and endpoint explicitly (the regional Google endpoint when
none is given) instead of relying on what an earlier call left behind.

Note that ``PipelineJob.submit`` (the SDK, not this module) first checks through Cloud Storage
that the pipeline root's bucket exists and creates it if it does not; that check is
best-effort (failures are logged, not raised).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import google.auth
import requests
import yaml
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions
from google.cloud import aiplatform
from google.cloud.aiplatform import utils as aiplatform_utils

FINGERPRINT_LABEL = "tfxkit-fingerprint"
_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
_SCHEDULE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_PAUSED = "PAUSED"
_ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class VertexTarget:
    """Where and as whom to talk to Vertex AI Pipelines."""

    project: str
    region: str
    pipeline_root: str
    service_account: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    api_endpoint: str | None = None  # e.g. "http://127.0.0.1:PORT" for tests; None = Google's
    credentials: Any = None  # None = application default credentials

    @property
    def endpoint(self) -> str:
        """The API host actually used: the given one, else Google's for the region."""
        if self.api_endpoint:
            return self.api_endpoint
        region = self.region.lower()
        if region == "global":
            return "aiplatform.googleapis.com"
        if aiplatform_utils.is_mrep_location(region):
            return aiplatform_utils.mrep_endpoint("aiplatform.googleapis.com", region)
        return f"{region}-aiplatform.googleapis.com"


@dataclass(frozen=True)
class SubmittedJob:
    name: str  # full resource name projects/.../locations/.../pipelineJobs/...
    console_url: str


@dataclass(frozen=True)
class ScheduleInfo:
    name: str  # full resource name projects/.../locations/.../schedules/...
    display_name: str
    pipeline_name: str
    schedule_name: str
    cron: str
    state: str  # ACTIVE | PAUSED | COMPLETED
    fingerprint: str  # "" for schedules not created by apply_schedule


@dataclass(frozen=True)
class ScheduleResult:
    action: str  # "created" | "unchanged" | "replaced"
    name: str  # resource name of the schedule in place afterwards


class VertexError(RuntimeError):
    """A Vertex AI call failed; the message is one paragraph naming operation and place."""


# --------------------------------------------------------------------------- public API


def submit_job(
    target: VertexTarget,
    package_path: Path,
    pipeline_name: str,
    *,
    enable_caching: bool = True,
    display_name: str | None = None,
) -> SubmittedJob:
    """Create one pipeline run from the compiled package; returns its name and console URL."""
    operation = f"submit pipeline '{pipeline_name}'"
    package = _load_package(target, operation, package_path)
    _check_pipeline_root(target, operation)
    with _vertex_errors(target, operation):
        credentials = _configure(target)
        job = aiplatform.PipelineJob(
            display_name=display_name or pipeline_name,
            template_path=str(package_path),
            job_id=_job_id(pipeline_name),
            pipeline_root=target.pipeline_root,
            enable_caching=enable_caching,
            labels=_labels(target, operation, package),
            credentials=credentials,
            project=target.project,
            location=target.region,
        )
        job.submit(service_account=target.service_account)
        name = job.resource_name
    job_id = name.rsplit("/", 1)[-1]
    return SubmittedJob(name=name, console_url=console_url(target, job_id))


def console_url(target: VertexTarget, job_id: str) -> str:
    """The Cloud Console page of one pipeline run."""
    return (
        f"https://console.cloud.google.com/vertex-ai/locations/{target.region}"
        f"/pipelines/runs/{job_id}?project={target.project}"
    )


def apply_schedule(
    target: VertexTarget,
    package_path: Path,
    pipeline_name: str,
    schedule_name: str,
    cron: str,
    *,
    enable_caching: bool = True,
    max_concurrent_run_count: int = 1,
) -> ScheduleResult:
    """Make the schedule ``pipeline_name:schedule_name`` run this package on ``cron``.

    Idempotent: "unchanged" when an identical schedule exists, "created" when none did,
    "replaced" when one existed with other settings (the new one is created before the old one
    is deleted; a paused schedule's replacement is paused too).
    """
    key = _schedule_key(target, pipeline_name, schedule_name, "apply")
    operation = f"apply schedule '{key}'"
    cron = validate_cron(cron, target=target, operation=operation)
    if max_concurrent_run_count < 1:
        raise _error(target, operation, "max_concurrent_run_count must be at least 1.")
    package_bytes = _read_package_bytes(target, operation, package_path)
    package = _parse_package(target, operation, package_path, package_bytes)
    _check_pipeline_root(target, operation)
    fingerprint = schedule_fingerprint(
        target,
        cron,
        package_bytes,
        enable_caching=enable_caching,
        max_concurrent_run_count=max_concurrent_run_count,
    )
    labels = {**_labels(target, operation, package), FINGERPRINT_LABEL: fingerprint}
    with _vertex_errors(target, operation):
        credentials = _configure(target)
        existing = _find_schedules(target, credentials, key)
        keep = next((s for s in existing if _fingerprint_of(s) == fingerprint), None)
        if keep is not None and len(existing) == 1:
            return ScheduleResult(action="unchanged", name=keep.resource_name)
        if keep is None:
            was_paused = any(_state_of(s) == _PAUSED for s in existing)
            job = aiplatform.PipelineJob(
                display_name=pipeline_name,
                template_path=str(package_path),
                pipeline_root=target.pipeline_root,
                enable_caching=enable_caching,
                labels=labels,
                credentials=credentials,
                project=target.project,
                location=target.region,
            )
            keep = aiplatform.PipelineJobSchedule(
                pipeline_job=job,
                display_name=key,
                credentials=credentials,
                project=target.project,
                location=target.region,
            )
            keep.create(
                cron=cron,
                max_concurrent_run_count=max_concurrent_run_count,
                service_account=target.service_account,
            )
            if was_paused:
                keep.pause()
    stale = [s for s in existing if s.resource_name != keep.resource_name]
    for schedule in stale:
        with _vertex_errors(
            target,
            f"delete the replaced schedule {schedule.resource_name} of '{key}' (its replacement "
            f"{keep.resource_name} is in place; applying again finishes the cleanup)",
        ):
            schedule.delete()
    return ScheduleResult(action="replaced" if existing else "created", name=keep.resource_name)


def list_schedules(target: VertexTarget, pipeline_name: str | None = None) -> list[ScheduleInfo]:
    """Schedules keyed ``pipeline:schedule`` in the target's project and region, by key."""
    operation = "list schedules" + (f" of pipeline '{pipeline_name}'" if pipeline_name else "")
    with _vertex_errors(target, operation):
        credentials = _configure(target)
        schedules = aiplatform.PipelineJobSchedule.list(
            project=target.project, location=target.region, credentials=credentials
        )
        infos = [_info(s) for s in schedules if ":" in (s.display_name or "")]
    if pipeline_name is not None:
        infos = [i for i in infos if i.pipeline_name == pipeline_name]
    return sorted(infos, key=lambda i: (i.pipeline_name, i.schedule_name, i.name))


def pause_schedule(target: VertexTarget, pipeline_name: str, schedule_name: str) -> ScheduleInfo:
    """Stop new runs of the schedule (a no-op when it is already paused)."""
    return _set_state(target, pipeline_name, schedule_name, pause=True)


def resume_schedule(target: VertexTarget, pipeline_name: str, schedule_name: str) -> ScheduleInfo:
    """Start new runs of a paused schedule again (a no-op when it is already active)."""
    return _set_state(target, pipeline_name, schedule_name, pause=False)


def delete_schedule(target: VertexTarget, pipeline_name: str, schedule_name: str) -> None:
    """Delete the schedule (and any duplicates of its key); runs it started are kept."""
    key = _schedule_key(target, pipeline_name, schedule_name, "delete")
    operation = f"delete schedule '{key}'"
    with _vertex_errors(target, operation):
        schedules = _require_schedules(target, _configure(target), key, operation)
        for schedule in schedules:
            schedule.delete()


# ------------------------------------------------------------------------------ cron

_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    (
        "month",
        1,
        12,
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    ),
    ("day of week", 0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)
_CRON_ITEM = re.compile(r"^(?:(?P<star>\*)|(?P<lo>\w+)(?:-(?P<hi>\w+))?)(?:/(?P<step>\d+))?$")
_CRON_TZ = re.compile(r"^(?P<prefix>(?:CRON_)?TZ)=(?P<zone>\S+)\s+(?P<rest>.*)$")


def validate_cron(
    cron: str, *, target: VertexTarget | None = None, operation: str = "validate a cron"
) -> str:
    """Check a standard 5-field cron (optionally ``TZ=Zone`` first); returns it normalized.

    Vertex AI uses unix-cron: minute hour day-of-month month day-of-week, each ``*``, a value,
    a range ``a-b``, any of those with ``/step``, or a comma-separated list of them; months and
    weekdays may be named (JAN, MON). Six-field (seconds) and ``@daily``-style forms are not
    accepted by Vertex and are rejected here, before anything is sent.
    """
    text = " ".join(str(cron).split())
    prefix = ""
    tz_match = _CRON_TZ.match(text)
    if tz_match:
        zone = tz_match["zone"]
        if not _known_time_zone(zone):
            raise _cron_error(target, operation, cron, f"unknown time zone '{zone}'")
        prefix = f"{tz_match['prefix']}={zone} "
        text = tz_match["rest"]
    parts = text.split(" ") if text else []
    if len(parts) != len(_CRON_FIELDS):
        raise _cron_error(
            target,
            operation,
            cron,
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}",
        )
    for part, (label, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        problem = _cron_field_problem(part, low, high, names)
        if problem:
            raise _cron_error(target, operation, cron, f"{label} field '{part}': {problem}")
    return prefix + " ".join(parts)


def _cron_field_problem(part: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    for item in part.split(","):
        match = _CRON_ITEM.match(item)
        if not match:
            return f"'{item}' is not *, a value, a range or a step"
        if match["step"] is not None and int(match["step"]) < 1:
            return "a step must be at least 1"
        if match["star"]:
            continue
        values = []
        for token in (match["lo"], match["hi"]):
            if token is None:
                continue
            if token.isdigit():
                value = int(token)
            elif token.upper() in names:
                value = names.index(token.upper()) + low
            else:
                return f"'{token}' is not a number" + (" or a name" if names else "")
            if not low <= value <= high:
                return f"{value} is outside {low}-{high}"
            values.append(value)
        if len(values) == 2 and values[0] > values[1]:
            return f"range '{item}' runs backwards"
    return None


def _known_time_zone(zone: str) -> bool:
    available = zoneinfo.available_timezones()
    if available:
        return zone in available
    # No tz database on this machine: accept anything shaped like an IANA name.
    return re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*", zone) is not None


def _cron_error(
    target: VertexTarget | None, operation: str, cron: str, problem: str
) -> VertexError:
    detail = (
        f"invalid cron {cron!r}: {problem}. Vertex AI takes a standard 5-field cron such as "
        "'0 3 * * *' (03:00 daily), optionally prefixed with a time zone: 'TZ=Europe/Paris 0 3 "
        "* * *'."
    )
    if target is None:
        return VertexError(detail)
    return _error(target, operation, detail)


# ----------------------------------------------------------------------------- internals


def schedule_fingerprint(
    target: VertexTarget,
    cron: str,
    package_bytes: bytes,
    *,
    enable_caching: bool,
    max_concurrent_run_count: int,
) -> str:
    """sha256 of what defines a schedule, as a label value (63 lowercase hex characters)."""
    settings = {
        "cron": " ".join(cron.split()),
        "enable_caching": bool(enable_caching),
        "max_concurrent_run_count": max_concurrent_run_count,
        "service_account": target.service_account,
        "pipeline_root": target.pipeline_root,
        "labels": dict(sorted(target.labels.items())),
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    digest.update(b"\0")
    digest.update(package_bytes)
    return digest.hexdigest()[:63]


def _configure(target: VertexTarget) -> Any:
    """Point the SDK's process-wide config at this target; returns the credentials to use."""
    credentials = target.credentials
    if credentials is None:
        credentials, _ = google.auth.default(scopes=list(_SCOPES))
    aiplatform.init(
        project=target.project,
        location=target.region,
        credentials=credentials,
        api_endpoint=target.endpoint,
        api_transport="rest",
    )
    return credentials


_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


def _labels(target: VertexTarget, operation: str, package: dict[str, Any]) -> dict[str, str]:
    """The package's labels under the target's, checked against Google Cloud's label rules."""
    labels = {str(k): str(v) for k, v in (package.get("labels") or {}).items()}
    labels.update(target.labels)
    bad = [
        f"{k}={v}" for k, v in labels.items() if not (_LABEL_KEY.match(k) and _LABEL_VALUE.match(v))
    ]
    if bad:
        raise _error(
            target,
            operation,
            f"invalid labels {', '.join(sorted(bad))}: keys must start with a lowercase letter, "
            "and keys and values may hold only lowercase letters, digits, '_' and '-' (at most "
            "63 characters).",
        )
    return labels


def _job_id(pipeline_name: str) -> str:
    """A unique run id: the SDK's default (name + seconds) collides on quick resubmits."""
    slug = re.sub(r"[^a-z0-9-]+", "-", pipeline_name.lower()).strip("-") or "pipeline"
    if not slug[0].isalpha():
        slug = f"p-{slug}"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    return f"{slug[:100].rstrip('-')}-{stamp}-{secrets.token_hex(3)}"


def _schedule_key(target: VertexTarget, pipeline_name: str, schedule_name: str, verb: str) -> str:
    if (
        not pipeline_name
        or any(c in pipeline_name for c in ':"')
        or pipeline_name != pipeline_name.strip()
    ):
        raise _error(
            target,
            f"{verb} a schedule",
            f"pipeline name {pipeline_name!r} must be non-empty and contain no ':' or '\"'.",
        )
    if not _SCHEDULE_NAME.match(schedule_name or ""):
        raise _error(
            target,
            f"{verb} schedule of pipeline '{pipeline_name}'",
            f"schedule name {schedule_name!r} must be 1-63 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit.",
        )
    return f"{pipeline_name}:{schedule_name}"


def _find_schedules(target: VertexTarget, credentials: Any, key: str) -> list[Any]:
    """All schedules whose display name is ``key`` (normally zero or one)."""
    found = aiplatform.PipelineJobSchedule.list(
        filter=f'display_name="{key}"',
        project=target.project,
        location=target.region,
        credentials=credentials,
    )
    return [s for s in found if s.display_name == key]


def _require_schedules(
    target: VertexTarget, credentials: Any, key: str, operation: str
) -> list[Any]:
    found = _find_schedules(target, credentials, key)
    if not found:
        raise _error(
            target,
            operation,
            f"no schedule named '{key}' exists there. `tfxkit schedule list` shows the "
            "schedules that do.",
        )
    return found


def _set_state(
    target: VertexTarget, pipeline_name: str, schedule_name: str, *, pause: bool
) -> ScheduleInfo:
    verb = "pause" if pause else "resume"
    key = _schedule_key(target, pipeline_name, schedule_name, verb)
    operation = f"{verb} schedule '{key}'"
    with _vertex_errors(target, operation):
        credentials = _configure(target)
        schedules = _require_schedules(target, credentials, key, operation)
        for schedule in schedules:
            state = _state_of(schedule)
            if pause and state == _ACTIVE:
                schedule.pause()
            elif not pause and state == _PAUSED:
                schedule.resume()
            elif state not in (_ACTIVE, _PAUSED):
                raise _error(target, operation, f"schedule {schedule.resource_name} is {state}.")
        fresh = aiplatform.PipelineJobSchedule.get(
            schedules[0].resource_name,
            project=target.project,
            location=target.region,
            credentials=credentials,
        )
        return _info(fresh)


def _state_of(schedule: Any) -> str:
    state = schedule.gca_resource.state
    return getattr(state, "name", str(state))


def _fingerprint_of(schedule: Any) -> str:
    job = schedule.gca_resource.create_pipeline_job_request.pipeline_job
    return str(job.labels.get(FINGERPRINT_LABEL, ""))


def _info(schedule: Any) -> ScheduleInfo:
    resource = schedule.gca_resource
    pipeline_name, _, schedule_name = resource.display_name.partition(":")
    return ScheduleInfo(
        name=resource.name,
        display_name=resource.display_name,
        pipeline_name=pipeline_name,
        schedule_name=schedule_name,
        cron=resource.cron,
        state=_state_of(schedule),
        fingerprint=_fingerprint_of(schedule),
    )


def _read_package_bytes(target: VertexTarget, operation: str, package_path: Path) -> bytes:
    try:
        return Path(package_path).read_bytes()
    except OSError as exc:
        raise _error(
            target,
            operation,
            f"cannot read the compiled package {package_path}: {exc.strerror or exc}. "
            "Compile it first (`tfxkit run --runner vertex --compile-only`).",
        ) from exc


def _parse_package(
    target: VertexTarget, operation: str, package_path: Path, data: bytes
) -> dict[str, Any]:
    """The compiled package, checked for what the SDK and Vertex need before anything is sent.

    Like the SDK's ``template_path``, this takes TFX's PipelineJob JSON (``pipelineSpec`` plus
    ``runtimeConfig``) or a bare PipelineSpec (JSON or YAML, as written for Kubeflow).
    """
    problem = None
    package: Any = None
    try:
        package = yaml.safe_load(data)  # JSON is YAML; the SDK reads both the same way
    except yaml.YAMLError as exc:
        problem = f"it is neither JSON nor YAML ({_one_line(exc, 200)})"
    if problem is None and not isinstance(package, dict):
        problem = "it is not a JSON/YAML object"
    if problem is None:
        wrapped = "pipelineSpec" in package
        spec = package["pipelineSpec"] if wrapped else package
        required = ("pipelineInfo", "root", "deploymentSpec", "components", "schemaVersion")
        if not isinstance(spec, dict):
            problem = "pipelineSpec is not an object"
        elif not wrapped and not any(key in spec for key in required):
            problem = "it has no pipelineSpec and is not a bare PipelineSpec either"
        else:
            missing = [key for key in required if key not in spec]
            if not missing and not (spec.get("pipelineInfo") or {}).get("name"):
                missing.append("pipelineInfo.name")
            if wrapped and not isinstance(package.get("runtimeConfig"), dict):
                missing.append("runtimeConfig (top level)")
            if missing:
                problem = f"the pipeline spec lacks {', '.join(missing)}"
    if problem:
        raise _error(
            target,
            operation,
            f"{package_path} is not a compiled pipeline package: {problem}. Compile it with "
            "`tfxkit run --runner vertex --compile-only`.",
        )
    return package


def _load_package(target: VertexTarget, operation: str, package_path: Path) -> dict[str, Any]:
    data = _read_package_bytes(target, operation, package_path)
    return _parse_package(target, operation, package_path, data)


def _check_pipeline_root(target: VertexTarget, operation: str) -> None:
    if not target.pipeline_root.startswith("gs://"):
        raise _error(
            target,
            operation,
            f"pipeline root {target.pipeline_root!r} must be a Cloud Storage URI (gs://bucket/"
            "path) that the pipeline's service account can write.",
        )


def _where(target: VertexTarget) -> str:
    where = f"project '{target.project}', region '{target.region}'"
    if target.api_endpoint:
        where += f", endpoint {target.api_endpoint}"
    return where


def _error(target: VertexTarget, operation: str, detail: str) -> VertexError:
    return VertexError(f"Vertex AI: could not {operation} ({_where(target)}): {detail}")


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


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


@contextmanager
def _vertex_errors(target: VertexTarget, operation: str) -> Iterator[None]:
    """Turn SDK, HTTP and auth failures into one-paragraph VertexErrors."""
    try:
        yield
    except VertexError:
        raise
    except api_exceptions.GoogleAPICallError as exc:
        code = getattr(exc, "code", None)
        status = getattr(exc, "grpc_status_code", None)
        label = f"{code} {status.name}" if status is not None else str(code or "error")
        hint = next((h for kind, h in _HINTS if isinstance(exc, kind)), "")
        detail = f"the API answered {label}: {_one_line(exc.message or exc)}."
        raise _error(target, operation, f"{detail} {hint}".strip()) from exc
    except api_exceptions.GoogleAPIError as exc:  # RetryError, timeouts of long operations
        raise _error(target, operation, f"{_one_line(exc)}.") from exc
    except auth_exceptions.DefaultCredentialsError as exc:
        raise _error(
            target,
            operation,
            "no Google credentials were found. Run `gcloud auth application-default login` or "
            "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file.",
        ) from exc
    except (
        requests.exceptions.RequestException,
        auth_exceptions.TransportError,
        ConnectionError,
    ) as exc:
        raise _error(
            target,
            operation,
            f"cannot reach {target.endpoint} ({type(exc).__name__}: {_one_line(exc, 200)}). "
            "Check the network, proxy settings and the endpoint.",
        ) from exc
    except auth_exceptions.GoogleAuthError as exc:
        raise _error(
            target, operation, f"authentication failed: {_one_line(exc)}. Refresh the credentials."
        ) from exc
    except ValueError as exc:  # the SDK's own argument checks (region, labels, names)
        raise _error(target, operation, f"invalid argument: {_one_line(exc)}.") from exc
