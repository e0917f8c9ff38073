"""A local HTTP server that STANDS IN for a real Kubeflow Pipelines (KFP v2) cluster in tests.

It is not Kubeflow Pipelines: a real KFP cluster cannot run here (no Kubernetes, no network),
so this server implements only the documented KFP v2beta1 REST endpoints (``_ROUTES`` below:
healthz, experiments, pipelines and versions with multipart ``uploadfile`` uploads, runs, and
recurring runs with ``:enable``/``:disable``) that ``kfp.Client`` (through its generated
``kfp_server_api`` client) calls for tfxkit's Kubeflow backend.

State lives in memory. ``http_base`` records every request (method, path, query, JSON body,
uploaded files) so tests can assert what the client actually sent, and injects errors
(:meth:`~tests.standins.http_base.StandIn.fail_next`). Nothing executes: runs stay ``PENDING``
and recurring runs never fire. There is no auth and no multi-user authorization; ``namespace``
is only stored and used to filter lists.

Where it matters for the client, it behaves like the real API server (backend/src/apiserver):
JSON field names as in the v2beta1 OpenAPI spec (including ``recurringRuns``), list filters on
``display_name`` and paging with ``next_page_token``, 409 for a duplicate pipeline or version
name, 404 for unknown ids, 400 for a cron without KFP's 6 fields, and the upload check of
``template.New``: the file name must end in ``.yaml``/``.yml``/``.json`` and the first document
must be a bare PipelineSpec (``pipelineInfo.name`` and ``root``, no foreign top-level keys). A
TFX ``PipelineJob`` wrapper (top-level ``pipelineSpec``) is rejected with 400 as the real
server does ("unknown template format"), so a passing test shows the compiled spec itself was
uploaded. Errors use grpc-gateway's JSON shape (``error``, ``code``, ``message``).

Start one with ``with running_kfp_server() as kfp:`` and point the backend at ``kfp.url``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import yaml

from tests.standins.http_base import HttpError, RecordedRequest, StandIn

API = "/apis/v2beta1"

# Top-level fields of pipeline_spec.proto's PipelineSpec, in JSON and proto spelling.
_PIPELINE_SPEC_FIELDS = {"components", "root"} | {
    spelling
    for camel, snake in [
        ("pipelineInfo", "pipeline_info"),
        ("deploymentSpec", "deployment_spec"),
        ("sdkVersion", "sdk_version"),
        ("schemaVersion", "schema_version"),
        ("defaultPipelineRoot", "default_pipeline_root"),
    ]
    for spelling in (camel, snake)
}
# Filter proto operations (kfp.client.client._FILTER_OPERATIONS) by number and by name.
_FILTER_OPS = {1: "EQUALS", 2: "NOT_EQUALS", 9: "IS_SUBSTRING"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class KfpStandIn(StandIn):
    """In-memory KFP state; serving, request log and failure injection come from StandIn."""

    name = "kfp-stand-in"

    def __init__(self) -> None:
        super().__init__()
        self.experiments: dict[str, dict[str, Any]] = {}
        self.pipelines: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.recurring_runs: dict[str, dict[str, Any]] = {}
        self._seq = 0

    # ----------------------------------------------------------------- helpers for tests

    def uploaded_spec(self, version_id: str) -> dict[str, Any]:
        """The PipelineSpec stored for pipeline version ``version_id``."""
        return self.versions[version_id]["pipeline_spec"]

    def recurring_runs_named(self, display_name: str) -> list[dict[str, Any]]:
        return [r for r in self.recurring_runs.values() if r["display_name"] == display_name]

    # ----------------------------------------------------------------------- dispatch

    def route(self, request: RecordedRequest) -> tuple[int, Any]:
        for method, pattern, name in _ROUTES:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                payload = getattr(self, name)(request, *match.groups())
                return 200, _public(payload) if isinstance(payload, dict) else payload
        if any(p.fullmatch(request.path) for _, p, _ in _ROUTES):
            raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, "Method Not Allowed")
        raise HttpError(HTTPStatus.NOT_FOUND, "Not Found")

    def error_body(self, error: HttpError) -> Any:
        """grpc-gateway's error JSON, as the real API server answers."""
        codes = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 500: 13, 503: 14}
        return {
            "error": error.message,
            "code": codes.get(error.status, 2),
            "message": error.message,
        }

    def next_seq(self) -> int:
        """A creation counter that orders lists like the server's created_at; hold ``lock``."""
        self._seq += 1
        return self._seq

    def _add(self, table: dict[str, dict[str, Any]], id_key: str, **fields: Any) -> Any:
        """Store a new resource under a fresh id, stamped like the server stamps it."""
        item = {**fields, id_key: str(uuid.uuid4()), "created_at": _now(), "_seq": self.next_seq()}
        table[item[id_key]] = item
        return item

    # --------------------------------------------------------------------- endpoints

    def healthz(self, request: RecordedRequest) -> Any:
        return {"commit_sha": "stand-in", "tag_name": "2.x-stand-in", "multi_user": False}

    def create_experiment(self, request: RecordedRequest) -> Any:
        body = request.body or {}
        name = body.get("display_name") or ""
        if not name:
            raise HttpError(HTTPStatus.BAD_REQUEST, "Experiment display name is empty")
        namespace = body.get("namespace") or ""
        _unique(self.experiments, "Experiment", name, namespace=namespace)
        return self._add(
            self.experiments,
            "experiment_id",
            display_name=name,
            description=body.get("description") or "",
            namespace=namespace,
            storage_state="AVAILABLE",
        )

    def list_experiments(self, request: RecordedRequest) -> Any:
        return _page(request, list(self.experiments.values()), "experiments")

    def get_experiment(self, request: RecordedRequest, experiment_id: str) -> Any:
        return _get(self.experiments, experiment_id, "Experiment")

    def upload_pipeline(self, request: RecordedRequest) -> Any:
        filename, spec = _read_upload(request)
        name = request.param("name") or filename
        namespace = request.param("namespace") or ""
        _unique(self.pipelines, "Pipeline", name, namespace=namespace)
        pipeline = self._add(
            self.pipelines,
            "pipeline_id",
            display_name=name,
            description=request.param("description"),
            namespace=namespace,
        )
        # Like the real server, the first upload also creates a version named after the pipeline.
        self._add_version(pipeline["pipeline_id"], name, pipeline["description"], spec)
        return pipeline

    def upload_pipeline_version(self, request: RecordedRequest) -> Any:
        filename, spec = _read_upload(request)
        pipeline_id = request.param("pipelineid") or ""
        _get(self.pipelines, pipeline_id, "Pipeline")
        name = request.param("name") or filename
        _unique(self.versions, "Pipeline version", name, pipeline_id=pipeline_id)
        return self._add_version(pipeline_id, name, request.param("description") or "", spec)

    def _add_version(self, pipeline_id: str, name: str, description: str, spec: Any) -> Any:
        return self._add(
            self.versions,
            "pipeline_version_id",
            pipeline_id=pipeline_id,
            display_name=name,
            description=description,
            pipeline_spec=spec,
        )

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
            raise HttpError(HTTPStatus.NOT_FOUND, f"Pipeline version {vid} not found")
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
                message = "pipeline ID should be parent of pipeline version"
                raise HttpError(HTTPStatus.BAD_REQUEST, message)
        elif not body.get("pipeline_spec"):
            raise HttpError(
                HTTPStatus.BAD_REQUEST,
                "Please specify a pipeline by providing a pipeline spec or a pipeline version",
            )
        return namespace

    def create_run(self, request: RecordedRequest) -> Any:
        body = copy.deepcopy(request.body or {})
        if not body.get("display_name"):
            raise HttpError(HTTPStatus.BAD_REQUEST, "Run display name is empty")
        fields = {**body, "namespace": self._check_job(body), "storage_state": "AVAILABLE"}
        return self._add(self.runs, "run_id", **fields, state="PENDING")

    def list_runs(self, request: RecordedRequest) -> Any:
        return _page(request, _of_experiment(request, self.runs), "runs")

    def get_run(self, request: RecordedRequest, run_id: str) -> Any:
        return _get(self.runs, run_id, "Run")

    def create_recurring_run(self, request: RecordedRequest) -> Any:
        body = copy.deepcopy(request.body or {})
        if not body.get("display_name"):
            raise HttpError(HTTPStatus.BAD_REQUEST, "Recurring run display name is empty")
        trigger = body.get("trigger") or {}
        cron = (trigger.get("cron_schedule") or {}).get("cron")
        interval = (trigger.get("periodic_schedule") or {}).get("interval_second")
        if cron is None and not interval:
            raise HttpError(HTTPStatus.BAD_REQUEST, "Recurring run has no trigger")
        if cron is not None and len(cron.split()) != 6:
            message = f"Invalid cron schedule {cron!r}: expected 6 fields (seconds first)"
            raise HttpError(HTTPStatus.BAD_REQUEST, message)
        namespace = self._check_job(body)
        mode = body.get("mode") or "ENABLE"
        fields = {
            **body,
            "namespace": namespace,
            "mode": mode,
            "status": "DISABLED" if mode == "DISABLE" else "ENABLED",
            "max_concurrency": str(body.get("max_concurrency") or "1"),
            "updated_at": _now(),
        }
        return self._add(self.recurring_runs, "recurring_run_id", **fields)

    def list_recurring_runs(self, request: RecordedRequest) -> Any:
        return _page(request, _of_experiment(request, self.recurring_runs), "recurringRuns")

    def get_recurring_run(self, request: RecordedRequest, recurring_run_id: str) -> Any:
        return _get(self.recurring_runs, recurring_run_id, "Recurring run")

    def delete_recurring_run(self, request: RecordedRequest, recurring_run_id: str) -> Any:
        _get(self.recurring_runs, recurring_run_id, "Recurring run")
        del self.recurring_runs[recurring_run_id]
        return {}

    def set_recurring_run_mode(self, request: RecordedRequest, run_id: str, verb: str) -> Any:
        run = _get(self.recurring_runs, run_id, "Recurring run")
        run.update(mode=verb.upper(), status=f"{verb.upper()}D", updated_at=_now())
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
        ("POST", f"/recurringruns/{_ID}:(enable|disable)", "set_recurring_run_mode"),
    ]
]


def _get(table: dict[str, dict[str, Any]], key: str, kind: str) -> dict[str, Any]:
    if key not in table:
        raise HttpError(HTTPStatus.NOT_FOUND, f"{kind} {key} not found")
    return table[key]


def _unique(table: dict[str, dict[str, Any]], kind: str, name: str, **scope: str) -> None:
    """409 when ``table`` already holds ``name`` in the same scope (namespace or pipeline)."""
    for item in table.values():
        if item["display_name"] == name and all(item[k] == v for k, v in scope.items()):
            raise HttpError(HTTPStatus.CONFLICT, f"{kind} {name!r} already exists")


def _of_experiment(request: RecordedRequest, table: dict[str, dict[str, Any]]) -> list[Any]:
    wanted = request.param("experiment_id")
    return [r for r in table.values() if not wanted or r.get("experiment_id") == wanted]


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _matches(item: dict[str, Any], predicate: dict[str, Any]) -> bool:
    op = predicate.get("operation") or predicate.get("op")
    op = _FILTER_OPS.get(op, op) if isinstance(op, int) else op
    key = predicate.get("key")
    if key not in item:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"Invalid filter: unknown key {key!r}")
    want = predicate.get("stringValue", predicate.get("string_value"))
    have = item[key]
    if op == "EQUALS":
        return have == want
    if op == "NOT_EQUALS":
        return have != want
    if op == "IS_SUBSTRING":
        return str(want) in str(have)
    raise HttpError(HTTPStatus.BAD_REQUEST, f"Invalid filter: unsupported operation {op!r}")


def _page(request: RecordedRequest, items: list[dict[str, Any]], field_name: str) -> Any:
    """Filter, namespace, sort and paginate a list the way the v2beta1 list calls do."""
    namespace, filter_text = request.param("namespace"), request.param("filter")
    if namespace:
        items = [i for i in items if i.get("namespace", "") == namespace]
    if filter_text:
        try:
            predicates = json.loads(filter_text).get("predicates") or []
        except (ValueError, AttributeError) as exc:
            raise HttpError(HTTPStatus.BAD_REQUEST, f"Invalid filter: {exc}") from exc
        items = [i for i in items if all(_matches(i, p) for p in predicates)]
    sort_by = request.param("sort_by").split()
    if sort_by and sort_by[0] not in ("created_at", "display_name"):
        raise HttpError(HTTPStatus.BAD_REQUEST, f"Invalid sorting field {sort_by[0]!r}")
    field_key = sort_by[0] if sort_by else "created_at"
    items = sorted(items, key=lambda i: (i.get(field_key, ""), i["_seq"]))
    if len(sort_by) > 1 and sort_by[1] == "desc":
        items.reverse()
    size = int(request.param("page_size") or 20) or 20
    start = int(request.param("page_token") or 0)
    page = items[start : start + size]
    response: dict[str, Any] = {field_name: [_public(i) for i in page], "total_size": len(items)}
    if start + size < len(items):
        response["next_page_token"] = str(start + size)
    return response


def _read_upload(request: RecordedRequest) -> tuple[str, Any]:
    """The uploaded file's name and parsed PipelineSpec, checked like the real API server."""
    if "uploadfile" not in request.files:
        raise HttpError(HTTPStatus.BAD_REQUEST, "Failed to read pipeline from file: no uploadfile")
    filename, content = request.files["uploadfile"]
    if not filename.endswith((".yaml", ".yml", ".json")):
        raise HttpError(
            HTTPStatus.BAD_REQUEST,
            "Unexpected pipeline file format. Support .zip, .tar.gz, .json or YAML "
            "(the stand-in reads only .yaml/.yml/.json)",
        )
    try:
        docs = [d for d in yaml.safe_load_all(content.decode("utf-8")) if d is not None]
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"failed to parse pipeline spec: {exc}") from exc
    spec = docs[0] if docs else None
    if not isinstance(spec, dict):
        raise HttpError(HTTPStatus.BAD_REQUEST, "pipeline spec is invalid: unknown template format")
    if "pipelineSpec" in spec:
        raise HttpError(
            HTTPStatus.BAD_REQUEST,
            "pipeline spec is invalid: unknown template format (this is a PipelineJob with a "
            "top-level 'pipelineSpec'; the API server accepts a bare PipelineSpec)",
        )
    foreign = sorted(set(spec) - _PIPELINE_SPEC_FIELDS)
    info = spec.get("pipelineInfo") or spec.get("pipeline_info") or {}
    if foreign or not info.get("name") or not isinstance(spec.get("root"), dict):
        detail = f"unknown fields {foreign}" if foreign else "needs pipelineInfo.name and root"
        raise HttpError(
            HTTPStatus.BAD_REQUEST,
            f"pipeline spec is invalid: unknown template format ({detail})",
        )
    return filename, spec


def running_kfp_server() -> contextlib.AbstractContextManager[KfpStandIn]:
    """Start a stand-in KFP API server on 127.0.0.1 (a free port); stop it on exit."""
    return KfpStandIn().running()
