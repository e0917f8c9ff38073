"""A local HTTP server that STANDS IN for Vertex AI, which cannot be reached from these tests.

Vertex AI Pipelines is a Google Cloud service; the test environment has no network access and
no GCP project, so the client layer (``tfxkit.runners.vertex_client``) is exercised against
this in-memory stand-in instead. It implements only the documented Vertex AI v1 REST endpoints
that the client actually calls (https://cloud.google.com/vertex-ai/docs/reference/rest):

* ``POST   /v1/projects/{p}/locations/{l}/pipelineJobs?pipelineJobId=ID``  (create)
* ``GET    /v1/projects/{p}/locations/{l}/pipelineJobs/{id}``              (get; the SDK's
  submit takes the job from the create response, so this serves tests and later callers)
* ``POST   /v1/projects/{p}/locations/{l}/schedules``                      (create)
* ``GET    /v1/projects/{p}/locations/{l}/schedules?filter=...``           (list)
* ``GET    /v1/projects/{p}/locations/{l}/schedules/{id}``                 (get)
* ``POST   /v1/projects/{p}/locations/{l}/schedules/{id}:pause``           (pause)
* ``POST   /v1/projects/{p}/locations/{l}/schedules/{id}:resume``          (resume)
* ``DELETE /v1/projects/{p}/locations/{l}/schedules/{id}``                 (delete, an LRO)
* ``GET    /ui/projects/{p}/locations/{l}/schedules/{id}/operations/{op}`` (LRO polling; the
  SDK's REST operations client picks the ``/ui/`` binding first; ``/v1/`` is served too)

plus one Cloud Storage JSON API call, ``GET /storage/v1/b/{bucket}``: ``PipelineJob.submit``
in google-cloud-aiplatform always checks that the pipeline root's bucket exists and belongs to
the project (``projectNumber``), and the tests point that check here through the storage
client's documented ``STORAGE_EMULATOR_HOST``. ``VertexStandIn.project_number`` supplies the
matching Resource Manager answer, which the tests substitute for the SDK's lookup.

It is deliberately small: no auth, no IAM, no real scheduling or pipeline execution; list
filters support only ``display_name="..."`` equality (the one the client sends); everything
else answers 404/400 in Google's JSON error format. Every request is recorded (method, path,
query, JSON body) so tests can assert on what the client actually sent.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_LOCATION = r"(?P<parent>projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+))"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(rf"^/v1/{_LOCATION}/pipelineJobs$"), "create_pipeline_job"),
    ("GET", re.compile(rf"^/v1/(?P<name>{_LOCATION}/pipelineJobs/[^/:]+)$"), "get_pipeline_job"),
    ("POST", re.compile(rf"^/v1/{_LOCATION}/schedules$"), "create_schedule"),
    ("GET", re.compile(rf"^/v1/{_LOCATION}/schedules$"), "list_schedules"),
    ("GET", re.compile(rf"^/v1/(?P<name>{_LOCATION}/schedules/[^/:]+)$"), "get_schedule"),
    ("POST", re.compile(rf"^/v1/(?P<name>{_LOCATION}/schedules/[^/:]+):pause$"), "pause"),
    ("POST", re.compile(rf"^/v1/(?P<name>{_LOCATION}/schedules/[^/:]+):resume$"), "resume"),
    ("DELETE", re.compile(rf"^/v1/(?P<name>{_LOCATION}/schedules/[^/:]+)$"), "delete_schedule"),
    (
        "GET",
        re.compile(rf"^/(?:v1|ui)/(?P<name>{_LOCATION}/schedules/[^/:]+/operations/[^/:]+)$"),
        "get_operation",
    ),
    ("GET", re.compile(r"^/storage/v1/b/(?P<bucket>[^/]+)$"), "get_bucket"),
]
_DISPLAY_NAME_FILTER = re.compile(r'^\s*(?:display_name|displayName)\s*=\s*"(?P<value>[^"]*)"\s*$')
_JOB_ID = re.compile(r"^[a-z][-a-z0-9]{0,127}$")
PROJECT_NUMBER = "123456789012"  # every project's number, as far as the stand-in knows


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the stand-in received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


class ApiError(Exception):
    """Answered to the client in Google's JSON error format."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


@dataclass
class VertexState:
    """In-memory resources plus the request log; all access goes through ``lock``."""

    pipeline_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # When False, DELETE answers a not-yet-done operation that completes on the first poll,
    # so the client's long-running-operation polling path is exercised too.
    complete_deletes_immediately: bool = True
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    def next_id(self) -> str:
        return str(next(self._ids))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _require_pipeline_spec(pipeline_job: Any, where: str) -> None:
    """Vertex rejects jobs without a compiled pipeline spec; so does the stand-in."""
    if not isinstance(pipeline_job, dict):
        raise ApiError(400, "INVALID_ARGUMENT", f"{where} must be an object")
    spec = pipeline_job.get("pipelineSpec")
    if not isinstance(spec, dict):
        raise ApiError(400, "INVALID_ARGUMENT", f"{where}.pipelineSpec is required")
    for key in ("root", "deploymentSpec"):
        if not isinstance(spec.get(key), dict):
            raise ApiError(400, "INVALID_ARGUMENT", f"{where}.pipelineSpec.{key} is required")


class _Api:
    """Route handlers; each returns a JSON-able response body or raises ApiError."""

    def __init__(self, state: VertexState) -> None:
        self.state = state

    def create_pipeline_job(self, match: re.Match[str], query: dict, body: Any) -> Any:
        parent = match["parent"]
        job_id = (query.get("pipelineJobId") or [""])[0] or f"job-{self.state.next_id()}"
        if not _JOB_ID.match(job_id):
            raise ApiError(400, "INVALID_ARGUMENT", f"invalid pipelineJobId {job_id!r}")
        _require_pipeline_spec(body, "pipelineJob")
        runtime = body.get("runtimeConfig") or {}
        if not str(runtime.get("gcsOutputDirectory", "")).startswith("gs://"):
            raise ApiError(400, "INVALID_ARGUMENT", "runtimeConfig.gcsOutputDirectory required")
        name = f"{parent}/pipelineJobs/{job_id}"
        if name in self.state.pipeline_jobs:
            raise ApiError(409, "ALREADY_EXISTS", f"PipelineJob {name} already exists")
        job = copy.deepcopy(body)
        job.update(name=name, state="PIPELINE_STATE_PENDING", createTime=_now())
        self.state.pipeline_jobs[name] = job
        return job

    def get_pipeline_job(self, match: re.Match[str], query: dict, body: Any) -> Any:
        job = self.state.pipeline_jobs.get(match["name"])
        if job is None:
            raise ApiError(404, "NOT_FOUND", f"PipelineJob {match['name']} not found")
        return job

    def create_schedule(self, match: re.Match[str], query: dict, body: Any) -> Any:
        if not isinstance(body, dict) or not body.get("displayName"):
            raise ApiError(400, "INVALID_ARGUMENT", "schedule.displayName is required")
        if not body.get("cron"):
            raise ApiError(400, "INVALID_ARGUMENT", "schedule.cron is required")
        if int(body.get("maxConcurrentRunCount", 0)) <= 0:
            raise ApiError(400, "INVALID_ARGUMENT", "schedule.maxConcurrentRunCount must be > 0")
        request = body.get("createPipelineJobRequest")
        if not isinstance(request, dict):
            raise ApiError(400, "INVALID_ARGUMENT", "schedule.createPipelineJobRequest required")
        _require_pipeline_spec(request.get("pipelineJob"), "createPipelineJobRequest.pipelineJob")
        name = f"{match['parent']}/schedules/{self.state.next_id()}"
        schedule = copy.deepcopy(body)
        schedule.update(name=name, state="ACTIVE", createTime=_now(), updateTime=_now())
        self.state.schedules[name] = schedule
        return schedule

    def list_schedules(self, match: re.Match[str], query: dict, body: Any) -> Any:
        prefix = match["parent"] + "/schedules/"
        found = [s for n, s in self.state.schedules.items() if n.startswith(prefix)]
        filter_text = (query.get("filter") or [""])[0]
        if filter_text:
            wanted = _DISPLAY_NAME_FILTER.match(filter_text)
            if wanted is None:
                raise ApiError(
                    400, "INVALID_ARGUMENT", f"stand-in does not support filter {filter_text!r}"
                )
            found = [s for s in found if s.get("displayName") == wanted["value"]]
        return {"schedules": found} if found else {}

    def _schedule(self, name: str) -> dict[str, Any]:
        schedule = self.state.schedules.get(name)
        if schedule is None:
            raise ApiError(404, "NOT_FOUND", f"Schedule {name} not found")
        return schedule

    def get_schedule(self, match: re.Match[str], query: dict, body: Any) -> Any:
        return self._schedule(match["name"])

    def pause(self, match: re.Match[str], query: dict, body: Any) -> Any:
        schedule = self._schedule(match["name"])
        if schedule["state"] != "ACTIVE":
            raise ApiError(400, "FAILED_PRECONDITION", f"Schedule is {schedule['state']}")
        schedule.update(state="PAUSED", updateTime=_now())
        return {}

    def resume(self, match: re.Match[str], query: dict, body: Any) -> Any:
        schedule = self._schedule(match["name"])
        if schedule["state"] != "PAUSED":
            raise ApiError(400, "FAILED_PRECONDITION", f"Schedule is {schedule['state']}")
        schedule.update(state="ACTIVE", updateTime=_now())
        return {}

    def delete_schedule(self, match: re.Match[str], query: dict, body: Any) -> Any:
        name = match["name"]
        self._schedule(name)
        del self.state.schedules[name]
        done = self.state.complete_deletes_immediately
        operation = {
            "name": f"{name}/operations/{self.state.next_id()}",
            "done": done,
        }
        if done:
            operation["response"] = {"@type": "type.googleapis.com/google.protobuf.Empty"}
        self.state.operations[operation["name"]] = operation
        return operation

    def get_operation(self, match: re.Match[str], query: dict, body: Any) -> Any:
        operation = self.state.operations.get(match["name"])
        if operation is None:
            raise ApiError(404, "NOT_FOUND", f"Operation {match['name']} not found")
        # Every operation the stand-in starts has finished by the time it is polled.
        operation.update(done=True, response={"@type": "type.googleapis.com/google.protobuf.Empty"})
        return operation

    def get_bucket(self, match: re.Match[str], query: dict, body: Any) -> Any:
        # Every bucket "exists" and belongs to the project the SDK checks it against, so its
        # get-or-create check neither creates a bucket nor reports a foreign one.
        return {
            "kind": "storage#bucket",
            "name": match["bucket"],
            "id": match["bucket"],
            "projectNumber": PROJECT_NUMBER,
        }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw.strip() else None
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        state = self.server.state
        with state.lock:
            # The log keeps its own copy: tests may edit what they read without touching state.
            state.requests.append(
                RecordedRequest(self.command, parts.path, query, copy.deepcopy(body))
            )
            try:
                if isinstance(body, str):
                    raise ApiError(400, "INVALID_ARGUMENT", "request body is not JSON")
                status, payload = 200, self._dispatch(parts.path, query, body)
            except ApiError as exc:
                status = exc.code
                payload = {
                    "error": {"code": exc.code, "message": exc.message, "status": exc.status}
                }
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, path: str, query: dict, body: Any) -> Any:
        for method, pattern, handler in _ROUTES:
            match = pattern.match(path)
            if match and method == self.command:
                return getattr(self.server.api, handler)(match, query, body)
        raise ApiError(
            404, "NOT_FOUND", f"the Vertex AI stand-in does not implement {self.command} {path}"
        )

    do_GET = do_POST = do_DELETE = do_PATCH = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: VertexState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.api = _Api(state)


@dataclass
class VertexStandIn:
    """Handle on a running stand-in: its URL, its state and the requests it has seen."""

    url: str
    state: VertexState

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.requests)

    def requests_to(self, method: str, path_pattern: str) -> list[RecordedRequest]:
        """Recorded requests with this method whose path fully matches ``path_pattern``."""
        pattern = re.compile(path_pattern)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def project_number(self, project_id: str) -> str:
        """What Resource Manager would answer for ``project_id`` (see ``get_bucket``)."""
        return PROJECT_NUMBER

    def clear_requests(self) -> None:
        with self.state.lock:
            self.state.requests.clear()

    @property
    def schedules(self) -> dict[str, dict[str, Any]]:
        with self.state.lock:
            return json.loads(json.dumps(self.state.schedules))

    @property
    def pipeline_jobs(self) -> dict[str, dict[str, Any]]:
        with self.state.lock:
            return json.loads(json.dumps(self.state.pipeline_jobs))


@contextmanager
def running_vertex_server() -> Iterator[VertexStandIn]:
    """Serve the stand-in on 127.0.0.1 (a free port) for the duration of the block."""
    state = VertexState()
    server = _Server(state)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="vertex-stand-in",
        daemon=True,
    )
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield VertexStandIn(url=f"http://{host}:{port}", state=state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
