"""A local HTTP server that STANDS IN for a Kubeflow Pipelines (KFP v2) cluster in tests.

A real KFP cluster cannot run here (no Kubernetes, no network), so this server implements only
the documented KFP v2beta1 REST endpoints that ``kfp.Client`` (through its generated
``kfp_server_api`` client) calls for tfxkit's client layer:

* ``GET  /apis/v2beta1/healthz``
* ``POST/GET /apis/v2beta1/experiments``, ``GET /apis/v2beta1/experiments/{id}``
* ``POST /apis/v2beta1/pipelines/upload`` and ``/pipelines/upload_version`` (multipart
  ``uploadfile``), ``GET /apis/v2beta1/pipelines``, ``/pipelines/{id}``,
  ``/pipelines/{id}/versions``, ``/pipelines/{id}/versions/{version_id}``
* ``POST/GET /apis/v2beta1/runs``, ``GET /apis/v2beta1/runs/{id}``
* ``POST/GET /apis/v2beta1/recurringruns``, ``GET/DELETE /apis/v2beta1/recurringruns/{id}``,
  ``POST /apis/v2beta1/recurringruns/{id}:enable`` and ``:disable``

State lives in memory; every request is recorded (method, path, query, JSON body, uploaded
files) in :attr:`KfpStandIn.requests` so tests can assert what the client actually sent.
Nothing executes: runs stay ``PENDING`` and recurring runs never fire. There is no auth and no
multi-user authorization; ``namespace`` is only stored and used to filter lists.

Where it matters for the client, it behaves like the real API server (backend/src/apiserver):
JSON field names as in the v2beta1 OpenAPI spec (including ``recurringRuns``), list filters on
``display_name`` and paging with ``next_page_token``, 409 for a duplicate pipeline or version
name, 404 for unknown ids, 400 for a cron without KFP's 6 fields, and the upload check of
``template.New``: the file name must end in ``.yaml``/``.yml``/``.json`` and the first document
must be a bare PipelineSpec (``pipelineInfo.name`` and ``root``, no foreign top-level keys). A
TFX ``PipelineJob`` wrapper (top-level ``pipelineSpec``) is rejected with 400 as the real
server does ("unknown template format"), so a passing test shows the compiled spec itself was
uploaded. Errors use grpc-gateway's JSON shape (``error``, ``code``, ``message``).

Use :func:`running_kfp_server` (a context manager) to start and stop one::

    with running_kfp_server() as kfp:
        submit_run(kfp.url, ...)
        assert kfp.calls("POST", "/apis/v2beta1/runs")
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

API = "/apis/v2beta1"

# Top-level fields of pipeline_spec.proto's PipelineSpec, in JSON and proto spelling.
_PIPELINE_SPEC_FIELDS = {
    "pipelineInfo",
    "pipeline_info",
    "deploymentSpec",
    "deployment_spec",
    "sdkVersion",
    "sdk_version",
    "schemaVersion",
    "schema_version",
    "components",
    "root",
    "defaultPipelineRoot",
    "default_pipeline_root",
}
# Filter proto operations (kfp.client.client._FILTER_OPERATIONS) by number and by name.
_FILTER_OPS = {1: "EQUALS", 2: "NOT_EQUALS", 9: "IS_SUBSTRING"}


class ApiError(Exception):
    """An error response, rendered like grpc-gateway does."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any = None
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass
class _Failure:
    method: str
    path: re.Pattern[str]
    status: int
    message: str
    times: int


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class KfpStandIn:
    """In-memory KFP state, the recorded requests, and the URL the server listens on."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[RecordedRequest] = []
        self.experiments: dict[str, dict[str, Any]] = {}
        self.pipelines: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.recurring_runs: dict[str, dict[str, Any]] = {}
        self._failures: list[_Failure] = []
        self._seq = 0
        self._lock = threading.RLock()

    # ----------------------------------------------------------------- helpers for tests

    def calls(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, optionally only those with ``method`` and a path matching ``path``
        (a regular expression matched against the whole path)."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method)
                and (path is None or re.fullmatch(path, r.path))
            ]

    def fail_next(
        self, method: str, path: str, status: int = 500, message: str = "", times: int = 1
    ) -> None:
        """Make the next ``times`` ``method`` requests whose path fully matches ``path`` (a
        regular expression) fail with ``status`` and a grpc-gateway error body with ``message``."""
        with self._lock:
            self._failures.append(
                _Failure(method, re.compile(path), status, message or "injected failure", times)
            )

    def uploaded_spec(self, version_id: str) -> dict[str, Any]:
        """The PipelineSpec stored for pipeline version ``version_id``."""
        return self.versions[version_id]["pipeline_spec"]

    def recurring_runs_named(self, display_name: str) -> list[dict[str, Any]]:
        return [r for r in self.recurring_runs.values() if r["display_name"] == display_name]

    # ----------------------------------------------------------------------- dispatch

    def handle(self, request: RecordedRequest) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(request)
            for failure in self._failures:
                if failure.method == request.method and failure.path.fullmatch(request.path):
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    raise ApiError(HTTPStatus(failure.status), failure.message)
            for method, pattern, name in _ROUTES:
                match = pattern.fullmatch(request.path)
                if match and method == request.method:
                    return 200, getattr(self, name)(request, *match.groups())
            if any(p.fullmatch(request.path) for _, p, _ in _ROUTES):
                raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, "Method Not Allowed")
            raise ApiError(HTTPStatus.NOT_FOUND, "Not Found")

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    # --------------------------------------------------------------------- endpoints

    def healthz(self, request: RecordedRequest) -> Any:
        return {"commit_sha": "stand-in", "tag_name": "2.x-stand-in", "multi_user": False}

    def create_experiment(self, request: RecordedRequest) -> Any:
        body = request.body or {}
        name = body.get("display_name") or ""
        if not name:
            raise ApiError(HTTPStatus.BAD_REQUEST, "Experiment display name is empty")
        namespace = body.get("namespace") or ""
        if any(
            e["display_name"] == name and e["namespace"] == namespace
            for e in self.experiments.values()
        ):
            raise ApiError(HTTPStatus.CONFLICT, f"Experiment {name!r} already exists")
        experiment = {
            "experiment_id": str(uuid.uuid4()),
            "display_name": name,
            "description": body.get("description") or "",
            "created_at": _now(),
            "namespace": namespace,
            "storage_state": "AVAILABLE",
            "_seq": self._next(),
        }
        self.experiments[experiment["experiment_id"]] = experiment
        return experiment

    def list_experiments(self, request: RecordedRequest) -> Any:
        return _page(request, list(self.experiments.values()), "experiments")

    def get_experiment(self, request: RecordedRequest, experiment_id: str) -> Any:
        return _get(self.experiments, experiment_id, "Experiment")

    def upload_pipeline(self, request: RecordedRequest) -> Any:
        filename, spec = _read_upload(request)
        name = request.query.get("name") or filename
        namespace = request.query.get("namespace") or ""
        if any(
            p["display_name"] == name and p["namespace"] == namespace
            for p in self.pipelines.values()
        ):
            raise ApiError(HTTPStatus.CONFLICT, f"Pipeline {name!r} already exists")
        pipeline = {
            "pipeline_id": str(uuid.uuid4()),
            "display_name": name,
            "description": request.query.get("description") or "",
            "created_at": _now(),
            "namespace": namespace,
            "_seq": self._next(),
        }
        self.pipelines[pipeline["pipeline_id"]] = pipeline
        # Like the real server, the first upload also creates a version named after the pipeline.
        self._add_version(pipeline["pipeline_id"], name, pipeline["description"], spec)
        return pipeline

    def upload_pipeline_version(self, request: RecordedRequest) -> Any:
        filename, spec = _read_upload(request)
        pipeline_id = request.query.get("pipelineid") or ""
        _get(self.pipelines, pipeline_id, "Pipeline")
        name = request.query.get("name") or filename
        if any(
            v["display_name"] == name and v["pipeline_id"] == pipeline_id
            for v in self.versions.values()
        ):
            raise ApiError(HTTPStatus.CONFLICT, f"Pipeline version {name!r} already exists")
        return self._add_version(pipeline_id, name, request.query.get("description") or "", spec)

    def _add_version(self, pipeline_id: str, name: str, description: str, spec: Any) -> Any:
        version = {
            "pipeline_id": pipeline_id,
            "pipeline_version_id": str(uuid.uuid4()),
            "display_name": name,
            "description": description,
            "created_at": _now(),
            "pipeline_spec": spec,
            "_seq": self._next(),
        }
        self.versions[version["pipeline_version_id"]] = version
        return version

    def list_pipelines(self, request: RecordedRequest) -> Any:
        return _page(request, list(self.pipelines.values()), "pipelines")

    def get_pipeline(self, request: RecordedRequest, pipeline_id: str) -> Any:
        return _get(self.pipelines, pipeline_id, "Pipeline")

    def list_pipeline_versions(self, request: RecordedRequest, pipeline_id: str) -> Any:
        _get(self.pipelines, pipeline_id, "Pipeline")
        versions = [v for v in self.versions.values() if v["pipeline_id"] == pipeline_id]
        return _page(request, versions, "pipeline_versions")

    def get_pipeline_version(self, request: RecordedRequest, pipeline_id: str, vid: str) -> Any:
        version = _get(self.versions, vid, "Pipeline version")
        if version["pipeline_id"] != pipeline_id:
            raise ApiError(HTTPStatus.NOT_FOUND, f"Pipeline version {vid} not found")
        return version

    def _check_job(self, body: dict[str, Any]) -> str:
        """Validate a run/recurring run's experiment and pipeline reference; its namespace."""
        namespace = ""
        if body.get("experiment_id"):
            namespace = _get(self.experiments, body["experiment_id"], "Experiment")["namespace"]
        reference = body.get("pipeline_version_reference") or {}
        if reference:
            version = _get(self.versions, reference.get("pipeline_version_id") or "", "Version")
            if reference.get("pipeline_id") and reference["pipeline_id"] != version["pipeline_id"]:
                raise ApiError(
                    HTTPStatus.BAD_REQUEST, "pipeline ID should be parent of pipeline version"
                )
        elif not body.get("pipeline_spec"):
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "Please specify a pipeline by providing a pipeline spec or a pipeline version",
            )
        return namespace

    def create_run(self, request: RecordedRequest) -> Any:
        body = copy.deepcopy(request.body or {})
        if not body.get("display_name"):
            raise ApiError(HTTPStatus.BAD_REQUEST, "Run display name is empty")
        namespace = self._check_job(body)
        run = {
            **body,
            "run_id": str(uuid.uuid4()),
            "namespace": namespace,
            "storage_state": "AVAILABLE",
            "state": "PENDING",
            "created_at": _now(),
            "_seq": self._next(),
        }
        self.runs[run["run_id"]] = run
        return run

    def list_runs(self, request: RecordedRequest) -> Any:
        runs = list(self.runs.values())
        if request.query.get("experiment_id"):
            runs = [r for r in runs if r.get("experiment_id") == request.query["experiment_id"]]
        return _page(request, runs, "runs")

    def get_run(self, request: RecordedRequest, run_id: str) -> Any:
        return _get(self.runs, run_id, "Run")

    def create_recurring_run(self, request: RecordedRequest) -> Any:
        body = copy.deepcopy(request.body or {})
        if not body.get("display_name"):
            raise ApiError(HTTPStatus.BAD_REQUEST, "Recurring run display name is empty")
        trigger = body.get("trigger") or {}
        cron = (trigger.get("cron_schedule") or {}).get("cron")
        interval = (trigger.get("periodic_schedule") or {}).get("interval_second")
        if cron is None and not interval:
            raise ApiError(HTTPStatus.BAD_REQUEST, "Recurring run has no trigger")
        if cron is not None and len(cron.split()) != 6:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                f"Invalid cron schedule {cron!r}: expected 6 fields (seconds first)",
            )
        namespace = self._check_job(body)
        mode = body.get("mode") or "ENABLE"
        recurring_run = {
            **body,
            "recurring_run_id": str(uuid.uuid4()),
            "namespace": namespace,
            "mode": mode,
            "status": "DISABLED" if mode == "DISABLE" else "ENABLED",
            "max_concurrency": str(body.get("max_concurrency") or "1"),
            "created_at": _now(),
            "updated_at": _now(),
            "_seq": self._next(),
        }
        self.recurring_runs[recurring_run["recurring_run_id"]] = recurring_run
        return recurring_run

    def list_recurring_runs(self, request: RecordedRequest) -> Any:
        runs = list(self.recurring_runs.values())
        if request.query.get("experiment_id"):
            runs = [r for r in runs if r.get("experiment_id") == request.query["experiment_id"]]
        return _page(request, runs, "recurringRuns")

    def get_recurring_run(self, request: RecordedRequest, recurring_run_id: str) -> Any:
        return _get(self.recurring_runs, recurring_run_id, "Recurring run")

    def delete_recurring_run(self, request: RecordedRequest, recurring_run_id: str) -> Any:
        _get(self.recurring_runs, recurring_run_id, "Recurring run")
        del self.recurring_runs[recurring_run_id]
        return {}

    def enable_recurring_run(self, request: RecordedRequest, recurring_run_id: str) -> Any:
        run = _get(self.recurring_runs, recurring_run_id, "Recurring run")
        run.update(mode="ENABLE", status="ENABLED", updated_at=_now())
        return {}

    def disable_recurring_run(self, request: RecordedRequest, recurring_run_id: str) -> Any:
        run = _get(self.recurring_runs, recurring_run_id, "Recurring run")
        run.update(mode="DISABLE", status="DISABLED", updated_at=_now())
        return {}


_ID = r"([^/:]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(API + p), name)
    for m, p, name in [
        ("GET", "/healthz", "healthz"),
        ("POST", "/experiments", "create_experiment"),
        ("GET", "/experiments", "list_experiments"),
        ("GET", f"/experiments/{_ID}", "get_experiment"),
        ("POST", "/pipelines/upload", "upload_pipeline"),
        ("POST", "/pipelines/upload_version", "upload_pipeline_version"),
        ("GET", "/pipelines", "list_pipelines"),
        ("GET", f"/pipelines/{_ID}", "get_pipeline"),
        ("GET", f"/pipelines/{_ID}/versions", "list_pipeline_versions"),
        ("GET", f"/pipelines/{_ID}/versions/{_ID}", "get_pipeline_version"),
        ("POST", "/runs", "create_run"),
        ("GET", "/runs", "list_runs"),
        ("GET", f"/runs/{_ID}", "get_run"),
        ("POST", "/recurringruns", "create_recurring_run"),
        ("GET", "/recurringruns", "list_recurring_runs"),
        ("GET", f"/recurringruns/{_ID}", "get_recurring_run"),
        ("DELETE", f"/recurringruns/{_ID}", "delete_recurring_run"),
        ("POST", f"/recurringruns/{_ID}:enable", "enable_recurring_run"),
        ("POST", f"/recurringruns/{_ID}:disable", "disable_recurring_run"),
    ]
]


def _get(table: dict[str, dict[str, Any]], key: str, kind: str) -> dict[str, Any]:
    if key not in table:
        raise ApiError(HTTPStatus.NOT_FOUND, f"{kind} {key} not found")
    return table[key]


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _matches(item: dict[str, Any], predicate: dict[str, Any]) -> bool:
    op = predicate.get("operation") or predicate.get("op")
    op = _FILTER_OPS.get(op, op) if isinstance(op, int) else op
    key = predicate.get("key")
    if key not in item:
        raise ApiError(HTTPStatus.BAD_REQUEST, f"Invalid filter: unknown key {key!r}")
    want = predicate.get("stringValue", predicate.get("string_value"))
    have = item[key]
    if op == "EQUALS":
        return have == want
    if op == "NOT_EQUALS":
        return have != want
    if op == "IS_SUBSTRING":
        return str(want) in str(have)
    raise ApiError(HTTPStatus.BAD_REQUEST, f"Invalid filter: unsupported operation {op!r}")


def _page(request: RecordedRequest, items: list[dict[str, Any]], field_name: str) -> Any:
    """Filter, namespace, sort and paginate a list the way the v2beta1 list calls do."""
    query = request.query
    if query.get("namespace"):
        items = [i for i in items if i.get("namespace", "") == query["namespace"]]
    if query.get("filter"):
        try:
            predicates = json.loads(query["filter"]).get("predicates") or []
        except (ValueError, AttributeError) as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"Invalid filter: {exc}") from exc
        items = [i for i in items if all(_matches(i, p) for p in predicates)]
    sort_by = (query.get("sort_by") or "").split()
    if sort_by and sort_by[0] not in ("created_at", "display_name"):
        raise ApiError(HTTPStatus.BAD_REQUEST, f"Invalid sorting field {sort_by[0]!r}")
    field_key = sort_by[0] if sort_by else "created_at"
    items = sorted(items, key=lambda i: (i.get(field_key, ""), i["_seq"]))
    if len(sort_by) > 1 and sort_by[1] == "desc":
        items.reverse()
    size = int(query.get("page_size") or 20) or 20
    start = int(query.get("page_token") or 0)
    page = items[start : start + size]
    response: dict[str, Any] = {field_name: [_public(i) for i in page], "total_size": len(items)}
    if start + size < len(items):
        response["next_page_token"] = str(start + size)
    return response


def _read_upload(request: RecordedRequest) -> tuple[str, Any]:
    """The uploaded file's name and parsed PipelineSpec, checked like the real API server."""
    if "uploadfile" not in request.files:
        raise ApiError(HTTPStatus.BAD_REQUEST, "Failed to read pipeline from file: no uploadfile")
    filename, content = request.files["uploadfile"]
    if not filename.endswith((".yaml", ".yml", ".json")):
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "Unexpected pipeline file format. Support .zip, .tar.gz, .json or YAML "
            "(the stand-in reads only .yaml/.yml/.json)",
        )
    try:
        docs = [d for d in yaml.safe_load_all(content.decode("utf-8")) if d is not None]
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, f"failed to parse pipeline spec YAML: {exc}"
        ) from exc
    spec = docs[0] if docs else None
    if not isinstance(spec, dict):
        raise ApiError(HTTPStatus.BAD_REQUEST, "pipeline spec is invalid: unknown template format")
    if "pipelineSpec" in spec:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "pipeline spec is invalid: unknown template format (this is a PipelineJob with a "
            "top-level 'pipelineSpec'; the API server accepts a bare PipelineSpec)",
        )
    foreign = sorted(set(spec) - _PIPELINE_SPEC_FIELDS)
    info = spec.get("pipelineInfo") or spec.get("pipeline_info") or {}
    if foreign or not info.get("name") or not isinstance(spec.get("root"), dict):
        detail = f"unknown fields {foreign}" if foreign else "needs pipelineInfo.name and root"
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            f"pipeline spec is invalid: unknown template format ({detail})",
        )
    return filename, spec


def _parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    files: dict[str, tuple[str, bytes]] = {}
    if not message.is_multipart():
        return files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            files[str(name)] = (part.get_filename() or "", payload)
    return files


def _handler_for(state: KfpStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "kfp-stand-in"

        def _dispatch(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type") or ""
            body: Any = None
            files: dict[str, tuple[str, bytes]] = {}
            if content_type.startswith("multipart/form-data"):
                files = _parse_multipart(content_type, raw)
            elif raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
            request = RecordedRequest(self.command, url.path, query, body, files)
            try:
                status, payload = state.handle(request)
                payload = _public(payload) if isinstance(payload, dict) else payload
            except ApiError as exc:
                status = int(exc.status)
                payload = {"error": exc.message, "code": _grpc_code(status), "message": exc.message}
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _dispatch

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    return Handler


def _grpc_code(status: int) -> int:
    return {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 500: 13, 503: 14}.get(status, 2)


@contextlib.contextmanager
def running_kfp_server() -> Iterator[KfpStandIn]:
    """Start a stand-in KFP API server on 127.0.0.1 (a free port); stop it on exit."""
    state = KfpStandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="kfp-stand-in",
        daemon=True,
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
