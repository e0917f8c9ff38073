"""Submit compiled pipelines to Kubeflow Pipelines (KFP v2) and keep recurring schedules in sync.

Why this layer exists rather than calling ``kfp.Client`` from the CLI directly:

* Errors. ``kfp.Client`` surfaces urllib3 retry errors and ``kfp_server_api.ApiException``
  tracebacks with the raw HTTP body. Here every expected failure (host unreachable, HTTP error,
  bad package, bad cron, missing schedule) becomes one :class:`KfpError` paragraph that names the
  host and the operation.
* The package. tfxkit's Kubeflow target writes TFX's ``PipelineJob`` JSON (``pipelineSpec`` plus
  ``runtimeConfig``). The KFP API server accepts only a bare ``PipelineSpec`` (it rejects the
  wrapper as "unknown template format", and KFP releases before JSON support reject a ``.json``
  file name), so the spec is unwrapped and uploaded as YAML; ``runtimeConfig``'s pipeline root
  and parameter values go on each run and recurring run instead.
* Caching. The v2beta1 run API has no caching field: ``kfp.Client.run_pipeline(enable_caching=)``
  takes effect only for inline packages and is silently dropped for a ``pipeline_id`` /
  ``version_id`` run. tfxkit therefore writes ``enable_caching`` into every root task's
  ``cachingOptions`` of the uploaded version (what ``kfp.Client`` does for inline packages), so
  the flag reaches the run through the version it starts.
* Idempotent schedules. KFP recurring runs have no "apply". Here a schedule is keyed by its
  display name ``<pipeline>:<schedule>`` and carries a fingerprint of what defines it in its
  description, so re-applying an unchanged schedule does nothing and a changed one is replaced
  (new one created first, then the old one deleted) without ever leaving two under one key.
* Quiet. ``kfp.Client`` prints "Experiment details: ..." links to stdout; they are captured and
  logged at debug level so the CLI decides what the user sees.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import logging
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import kfp
import kfp_server_api
import urllib3
import yaml

log = logging.getLogger(__name__)

ClientFactory = Callable[..., Any]

_FINGERPRINT_RE = re.compile(r"tfxkit-fingerprint=([0-9a-f]{64})")
_CRON_FIELD_RE = re.compile(r"^[0-9A-Za-z*/,?#-]+$")
_PAGE_SIZE = 100
_MAX_PAGES = 1000
# KFP's filter proto operation for string equality (kfp.client.client._FILTER_OPERATIONS).
_EQUALS = 1


class KfpError(RuntimeError):
    """A Kubeflow Pipelines operation failed; the message is one paragraph naming host and step."""


@dataclass(frozen=True)
class SubmittedRun:
    """A run started on KFP, with the ids of everything it was created from."""

    run_id: str
    url: str
    experiment_id: str
    pipeline_id: str
    version_id: str


@dataclass(frozen=True)
class ScheduleInfo:
    """A tfxkit-managed KFP recurring run."""

    schedule_id: str
    pipeline_name: str
    schedule_name: str
    cron: str
    enabled: bool
    fingerprint: str


@dataclass(frozen=True)
class ScheduleResult:
    """What :func:`apply_schedule` did: ``created``, ``unchanged`` or ``replaced``."""

    action: str
    schedule_id: str


@dataclass(frozen=True)
class _Package:
    """A compiled pipeline read from disk, split into what KFP stores and what each run gets."""

    path: Path
    raw: bytes
    spec: dict[str, Any]
    extra_docs: list[dict[str, Any]]
    pipeline_root: str | None
    parameters: dict[str, Any]

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


# --------------------------------------------------------------------------------------------
# Public API


def submit_run(
    host: str,
    package_path: Path,
    pipeline_name: str,
    *,
    experiment: str,
    enable_caching: bool = True,
    namespace: str | None = None,
    run_name: str | None = None,
    client_factory: ClientFactory = kfp.Client,
) -> SubmittedRun:
    """Upload ``package_path`` as a new version of ``pipeline_name`` and start one run of it.

    The experiment is created if absent; the pipeline is uploaded if absent, otherwise a new
    version is added to it.
    """
    package = _load_package(Path(package_path), host)
    client = _connect(host, namespace, client_factory)
    experiment_id = _ensure_experiment(client, host, experiment, namespace)
    pipeline_id, version_id = _upload_version(
        client, host, package, pipeline_name, enable_caching, namespace
    )
    name = run_name or f"{pipeline_name}-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}"
    with _kfp_call(host, f"starting run '{name}' of pipeline '{pipeline_name}'"):
        run = client.run_pipeline(
            experiment_id=experiment_id,
            job_name=name,
            params=package.parameters,
            pipeline_id=pipeline_id,
            version_id=version_id,
            pipeline_root=package.pipeline_root,
            enable_caching=enable_caching,
        )
    run_id = run.run_id
    return SubmittedRun(
        run_id=run_id,
        url=f"{host.rstrip('/')}/#/runs/details/{run_id}",
        experiment_id=experiment_id,
        pipeline_id=pipeline_id,
        version_id=version_id,
    )


def apply_schedule(
    host: str,
    package_path: Path,
    pipeline_name: str,
    schedule_name: str,
    cron: str,
    *,
    experiment: str,
    enable_caching: bool = True,
    namespace: str | None = None,
    client_factory: ClientFactory = kfp.Client,
) -> ScheduleResult:
    """Make the recurring run ``<pipeline_name>:<schedule_name>`` match the given definition.

    Unchanged fingerprint: nothing is uploaded or created. Changed: a new pipeline version and
    recurring run are created, then the old recurring run is deleted (a paused schedule stays
    paused). ``cron`` takes 5 standard fields or KFP's 6 (seconds first).
    """
    key = _schedule_key(pipeline_name, schedule_name)
    cron6 = _normalize_cron(cron, host, key)
    package = _load_package(Path(package_path), host)
    fingerprint = _fingerprint(cron6, enable_caching, experiment, package.raw)
    client = _connect(host, namespace, client_factory)

    existing = _find_schedules(client, host, key, namespace)
    current = next((s for s in existing if _fingerprint_of(s) == fingerprint), None)
    if current is not None:
        stale = [s for s in existing if s is not current]
        _delete_all(client, host, key, stale)
        return ScheduleResult(action="unchanged", schedule_id=current.recurring_run_id)

    experiment_id = _ensure_experiment(client, host, experiment, namespace)
    pipeline_id, version_id = _upload_version(
        client, host, package, pipeline_name, enable_caching, namespace
    )
    enabled = all(_is_enabled(s) for s in existing)
    with _kfp_call(host, f"creating recurring run '{key}'"):
        created = client.create_recurring_run(
            experiment_id=experiment_id,
            job_name=key,
            description=f"Managed by tfxkit. tfxkit-fingerprint={fingerprint}",
            cron_expression=cron6,
            max_concurrency=1,
            no_catchup=True,
            params=package.parameters,
            pipeline_id=pipeline_id,
            version_id=version_id,
            enabled=enabled,
            pipeline_root=package.pipeline_root,
            enable_caching=enable_caching,
        )
    try:
        _delete_all(client, host, key, existing)
    except KfpError as exc:
        raise KfpError(
            f"{exc} The new recurring run {created.recurring_run_id} was created; run the same "
            "apply again to remove the old one."
        ) from exc
    action = "replaced" if existing else "created"
    return ScheduleResult(action=action, schedule_id=created.recurring_run_id)


def list_schedules(
    host: str,
    pipeline_name: str | None = None,
    *,
    namespace: str | None = None,
    client_factory: ClientFactory = kfp.Client,
) -> list[ScheduleInfo]:
    """The tfxkit-managed schedules on ``host`` (optionally of one pipeline), sorted by key."""
    client = _connect(host, namespace, client_factory)
    with _kfp_call(host, "listing recurring runs"):
        runs = _all_pages(
            lambda token: client.list_recurring_runs(
                page_token=token, page_size=_PAGE_SIZE, namespace=namespace
            ),
            "recurring_runs",
        )
    infos = [_to_info(r) for r in runs if _fingerprint_of(r) and ":" in (r.display_name or "")]
    if pipeline_name is not None:
        infos = [i for i in infos if i.pipeline_name == pipeline_name]
    return sorted(infos, key=lambda i: (i.pipeline_name, i.schedule_name, i.schedule_id))


def pause_schedule(
    host: str,
    pipeline_name: str,
    schedule_name: str,
    *,
    namespace: str | None = None,
    client_factory: ClientFactory = kfp.Client,
) -> ScheduleInfo:
    """Disable the schedule's recurring run; it keeps its definition and can be resumed."""
    return _set_enabled(host, pipeline_name, schedule_name, False, namespace, client_factory)


def resume_schedule(
    host: str,
    pipeline_name: str,
    schedule_name: str,
    *,
    namespace: str | None = None,
    client_factory: ClientFactory = kfp.Client,
) -> ScheduleInfo:
    """Enable the schedule's recurring run again."""
    return _set_enabled(host, pipeline_name, schedule_name, True, namespace, client_factory)


def delete_schedule(
    host: str,
    pipeline_name: str,
    schedule_name: str,
    *,
    namespace: str | None = None,
    client_factory: ClientFactory = kfp.Client,
) -> None:
    """Delete the schedule's recurring run (runs it already started are kept)."""
    key = _schedule_key(pipeline_name, schedule_name)
    client = _connect(host, namespace, client_factory)
    _delete_all(client, host, key, _require_schedules(client, host, key, namespace))


# --------------------------------------------------------------------------------------------
# Connection and error translation


def _connect(host: str, namespace: str | None, client_factory: ClientFactory) -> Any:
    """A KFP client for ``host``; construction calls GET /apis/v2beta1/healthz (no namespace)."""
    if not host or not host.strip():
        raise KfpError(
            "no Kubeflow Pipelines host given: pass the KFP API or UI URL, e.g. "
            "http://localhost:8080 after `kubectl port-forward -n kubeflow svc/ml-pipeline-ui "
            "8080:80`"
        )
    kwargs: dict[str, Any] = {"host": host}
    if namespace:
        # A namespace other than kfp's default also skips kfp.Client's healthz probe.
        kwargs["namespace"] = namespace
    with _kfp_call(host, "connecting to the KFP API"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "only works with KFP v2.0.0-beta.2+"
        return client_factory(**kwargs)


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
def _kfp_call(host: str, what: str) -> Iterator[None]:
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
        raise KfpError(_unreachable_message(host, what, _urllib3_reason(exc))) from exc
    except kfp_server_api.ApiException as exc:
        if not exc.status:  # status 0: kfp_server_api's wrapper for SSL/connection errors
            raise KfpError(_unreachable_message(host, what, _one_line(exc.reason))) from exc
        raise KfpError(_http_error_message(host, what, exc)) from exc
    except TimeoutError as exc:  # kfp.Client's healthz retry loop gave up
        raise KfpError(
            f"Kubeflow Pipelines at {host} did not answer its health check while {what} "
            f"({_one_line(exc)}); check that the URL points at a KFP 2.x API or UI."
        ) from exc
    except (ValueError, kfp_server_api.exceptions.OpenApiException) as exc:
        raise KfpError(f"{what} on Kubeflow Pipelines at {host} failed: {_one_line(exc)}") from exc
    finally:
        for logger in loggers:
            logger.removeFilter(_QUIET)
        for line in captured.getvalue().splitlines():
            log.debug("kfp: %s", line)


def _unreachable_message(host: str, what: str, reason: str) -> str:
    return (
        f"cannot reach Kubeflow Pipelines at {host} while {what}: {reason}. Check the URL "
        "(scheme and port) and that the cluster is up; for a local cluster run "
        "`kubectl port-forward -n kubeflow svc/ml-pipeline-ui 8080:80` and use "
        "http://localhost:8080."
    )


def _http_error_message(host: str, what: str, exc: kfp_server_api.ApiException) -> str:
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
        return _one_line(body)
    if isinstance(parsed, dict):
        for field in ("message", "error"):
            if parsed.get(field):
                return _one_line(parsed[field])
    return _one_line(body)


def _urllib3_reason(exc: urllib3.exceptions.HTTPError) -> str:
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    # "HTTPConnection(host=..., port=...): Failed to establish a new connection: [Errno 111] ..."
    if "): " in text:
        text = text.split("): ", 1)[1]
    return _one_line(text)


def _one_line(value: object, limit: int = 300) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _all_pages(fetch: Callable[[str], Any], items_attr: str) -> list[Any]:
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


def _name_filter(name: str) -> str:
    return json.dumps(
        {"predicates": [{"operation": _EQUALS, "key": "display_name", "stringValue": name}]}
    )


# --------------------------------------------------------------------------------------------
# Package handling


def _load_package(path: Path, host: str) -> _Package:
    """Read a compiled pipeline: TFX PipelineJob JSON, or a bare PipelineSpec (JSON or YAML)."""
    what = f"reading pipeline package {path} for {host}"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KfpError(f"{what} failed: {exc.strerror or exc}.") from exc
    try:
        docs = [d for d in yaml.safe_load_all(raw.decode("utf-8")) if d is not None]
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KfpError(f"{what} failed: not JSON or YAML ({_one_line(exc)}).") from exc
    first = docs[0] if docs else None
    if not isinstance(first, dict):
        raise KfpError(f"{what} failed: the file holds no pipeline (expected a JSON/YAML object).")

    pipeline_root: str | None = None
    parameters: dict[str, Any] = {}
    if "pipelineSpec" in first:  # TFX KubeflowV2DagRunner's PipelineJob
        spec = first["pipelineSpec"]
        runtime = first.get("runtimeConfig") or {}
        pipeline_root = runtime.get("gcsOutputDirectory") or None
        parameters = dict(runtime.get("parameterValues") or {})
        for name, value in (runtime.get("parameters") or {}).items():  # legacy typed values
            if isinstance(value, dict) and len(value) == 1:
                parameters.setdefault(name, next(iter(value.values())))
        extra_docs: list[dict[str, Any]] = []
    else:
        spec = first
        extra_docs = [d for d in docs[1:] if isinstance(d, dict)]  # e.g. a PlatformSpec
    if (
        not isinstance(spec, dict)
        or not isinstance(spec.get("root"), dict)
        or not (spec.get("pipelineInfo") or {}).get("name")
    ):
        raise KfpError(
            f"{what} failed: no pipeline spec found (need a PipelineJob with 'pipelineSpec', "
            "or a PipelineSpec with 'pipelineInfo.name' and 'root'); pass the file the Kubeflow "
            "compile step wrote."
        )
    return _Package(path, raw, spec, extra_docs, pipeline_root, parameters)


def _spec_for_upload(package: _Package, enable_caching: bool) -> dict[str, Any]:
    """The PipelineSpec with ``enable_caching`` written into every root task's caching options."""
    spec = copy.deepcopy(package.spec)
    tasks = ((spec.get("root") or {}).get("dag") or {}).get("tasks") or {}
    for task in tasks.values():
        task.setdefault("cachingOptions", {})["enableCache"] = enable_caching
    return spec


def _upload_version(
    client: Any,
    host: str,
    package: _Package,
    pipeline_name: str,
    enable_caching: bool,
    namespace: str | None,
) -> tuple[str, str]:
    """Upload the package as pipeline ``pipeline_name`` (new) or a new version of it."""
    spec = _spec_for_upload(package, enable_caching)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    version_name = f"{pipeline_name}-{stamp}-{package.digest[:12]}"
    description = f"tfxkit package {package.path.name} sha256={package.digest}"
    with tempfile.TemporaryDirectory(prefix="tfxkit-kfp-") as tmp:
        upload_path = Path(tmp) / "pipeline.yaml"
        with upload_path.open("w", encoding="utf-8") as f:
            yaml.safe_dump_all([spec, *package.extra_docs], f, sort_keys=False)
        pipeline_id = _find_pipeline_id(client, host, pipeline_name, namespace)
        if pipeline_id is None:
            with _kfp_call(host, f"uploading pipeline '{pipeline_name}'"):
                pipeline = client.upload_pipeline(
                    pipeline_package_path=str(upload_path),
                    pipeline_name=pipeline_name,
                    description=description,
                    namespace=namespace,
                )
                versions = client.list_pipeline_versions(
                    pipeline_id=pipeline.pipeline_id, page_size=1, sort_by="created_at desc"
                )
            if not versions.pipeline_versions:
                raise KfpError(
                    f"Kubeflow Pipelines at {host} stored pipeline '{pipeline_name}' "
                    f"({pipeline.pipeline_id}) without a version; re-run the command."
                )
            return pipeline.pipeline_id, versions.pipeline_versions[0].pipeline_version_id
        with _kfp_call(host, f"uploading version '{version_name}' of pipeline '{pipeline_name}'"):
            version = client.upload_pipeline_version(
                pipeline_package_path=str(upload_path),
                pipeline_version_name=version_name,
                pipeline_id=pipeline_id,
                description=description,
            )
        return pipeline_id, version.pipeline_version_id


def _find_pipeline_id(
    client: Any, host: str, pipeline_name: str, namespace: str | None
) -> str | None:
    with _kfp_call(host, f"looking up pipeline '{pipeline_name}'"):
        found = _all_pages(
            lambda token: client.list_pipelines(
                page_token=token,
                page_size=_PAGE_SIZE,
                filter=_name_filter(pipeline_name),
                namespace=namespace,
            ),
            "pipelines",
        )
    matches = [p for p in found if p.display_name == pipeline_name]
    if len(matches) > 1:
        ids = ", ".join(p.pipeline_id for p in matches)
        raise KfpError(
            f"Kubeflow Pipelines at {host} has {len(matches)} pipelines named "
            f"'{pipeline_name}' ({ids}); delete the extra ones so the name is unique."
        )
    return matches[0].pipeline_id if matches else None


def _ensure_experiment(client: Any, host: str, experiment: str, namespace: str | None) -> str:
    """The id of experiment ``experiment``, created if absent."""
    with _kfp_call(host, f"creating or finding experiment '{experiment}'"):
        return client.create_experiment(name=experiment, namespace=namespace).experiment_id


# --------------------------------------------------------------------------------------------
# Schedules


def _schedule_key(pipeline_name: str, schedule_name: str) -> str:
    return f"{pipeline_name}:{schedule_name}"


def _normalize_cron(cron: str, host: str, key: str) -> str:
    """KFP's 6-field cron (seconds first); a standard 5-field cron gets ``0`` seconds."""
    fields = cron.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise KfpError(
            f"invalid cron expression '{cron}' for schedule '{key}' on {host}: expected 5 fields "
            "(minute hour day-of-month month day-of-week, e.g. '0 3 * * *') or KFP's 6 fields "
            f"with seconds first (e.g. '0 0 3 * * *'), got {len(fields)}."
        )
    bad = [f for f in fields if not _CRON_FIELD_RE.match(f)]
    if bad:
        raise KfpError(
            f"invalid cron expression '{cron}' for schedule '{key}' on {host}: field "
            f"'{bad[0]}' may hold only digits, month or weekday names, and * / , - ? #"
        )
    return " ".join(fields)


def _fingerprint(cron6: str, enable_caching: bool, experiment: str, raw: bytes) -> str:
    """What defines a schedule: its cron, caching, experiment and the exact package bytes."""
    h = hashlib.sha256()
    h.update(f"cron={cron6}\ncaching={enable_caching}\nexperiment={experiment}\n".encode())
    h.update(raw)
    return h.hexdigest()


def _fingerprint_of(recurring_run: Any) -> str:
    match = _FINGERPRINT_RE.search(recurring_run.description or "")
    return match.group(1) if match else ""


def _is_enabled(recurring_run: Any) -> bool:
    return str(recurring_run.mode or "") != "DISABLE"


def _to_info(recurring_run: Any) -> ScheduleInfo:
    pipeline_name, _, schedule_name = (recurring_run.display_name or "").partition(":")
    trigger = recurring_run.trigger
    cron_schedule = getattr(trigger, "cron_schedule", None) if trigger else None
    return ScheduleInfo(
        schedule_id=recurring_run.recurring_run_id,
        pipeline_name=pipeline_name,
        schedule_name=schedule_name,
        cron=(cron_schedule.cron if cron_schedule else "") or "",
        enabled=_is_enabled(recurring_run),
        fingerprint=_fingerprint_of(recurring_run),
    )


def _find_schedules(client: Any, host: str, key: str, namespace: str | None) -> list[Any]:
    """Every recurring run whose display name is ``key`` (normally zero or one)."""
    with _kfp_call(host, f"looking up recurring run '{key}'"):
        runs = _all_pages(
            lambda token: client.list_recurring_runs(
                page_token=token,
                page_size=_PAGE_SIZE,
                namespace=namespace,
                filter=_name_filter(key),
            ),
            "recurring_runs",
        )
    return [r for r in runs if r.display_name == key]


def _require_schedules(client: Any, host: str, key: str, namespace: str | None) -> list[Any]:
    found = _find_schedules(client, host, key, namespace)
    if not found:
        raise KfpError(f"no schedule '{key}' on {host}")
    return found


def _delete_all(client: Any, host: str, key: str, recurring_runs: list[Any]) -> None:
    for run in recurring_runs:
        with _kfp_call(host, f"deleting recurring run '{key}' ({run.recurring_run_id})"):
            client.delete_recurring_run(recurring_run_id=run.recurring_run_id)


def _set_enabled(
    host: str,
    pipeline_name: str,
    schedule_name: str,
    enabled: bool,
    namespace: str | None,
    client_factory: ClientFactory,
) -> ScheduleInfo:
    key = _schedule_key(pipeline_name, schedule_name)
    client = _connect(host, namespace, client_factory)
    found = _require_schedules(client, host, key, namespace)
    verb = "resuming" if enabled else "pausing"
    for run in found:
        with _kfp_call(host, f"{verb} recurring run '{key}' ({run.recurring_run_id})"):
            if enabled:
                client.enable_recurring_run(recurring_run_id=run.recurring_run_id)
            else:
                client.disable_recurring_run(recurring_run_id=run.recurring_run_id)
    with _kfp_call(host, f"reading recurring run '{key}'"):
        updated = client.get_recurring_run(recurring_run_id=found[0].recurring_run_id)
    return _to_info(updated)
