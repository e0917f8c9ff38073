"""A local HTTP server that STANDS IN for the real Vertex AI, which these tests cannot reach.

It is not Vertex AI: Vertex AI Pipelines is a Google Cloud service, the test environment has
no network access and no GCP project, so tfxkit's Vertex backend
(``tfxkit.runners.backends.vertex``) is exercised against this in-memory stand-in instead. It
implements only the documented Vertex AI v1 REST endpoints that the backend actually calls
(https://cloud.google.com/vertex-ai/docs/reference/rest):

* ``POST   /v1/projects/{p}/locations/{l}/pipelineJobs?pipelineJobId=ID``  (create)
* ``GET    /v1/projects/{p}/locations/{l}/pipelineJobs/{id}``              (get; the SDK's
  submit takes the job from the create response, so this serves tests and later callers)
* ``POST   /v1/projects/{p}/locations/{l}/customJobs``                     (create; what TFX's
  Vertex Trainer extension submits for a Trainer with worker pools)
* ``POST   /v1/projects/{p}/locations/{l}/schedules``                      (create)
* ``GET    /v1/projects/{p}/locations/{l}/schedules?filter=...``           (list)
* ``GET    /v1/projects/{p}/locations/{l}/schedules/{id}``                 (get)
* ``POST   /v1/projects/{p}/locations/{l}/schedules/{id}:pause``           (pause)
* ``POST   /v1/projects/{p}/locations/{l}/schedules/{id}:resume``          (resume)
* ``DELETE /v1/projects/{p}/locations/{l}/schedules/{id}``                 (delete, an LRO)
* ``POST   /v1/projects/{p}/locations/{l}/models:upload``                  (an LRO; with
  ``parentModel`` it adds a version to that registry model; answers ``UploadModelResponse``)
* ``GET    /v1/projects/{p}/locations/{l}/models?filter=...``              (list: the default
  version of each model)
* ``GET    /v1/projects/{p}/locations/{l}/models/{id}[@{version or alias}]`` (get one version;
  the default one without ``@``)
* ``POST   /v1/projects/{p}/locations/{l}/endpoints``                      (create, an LRO)
* ``GET    /v1/projects/{p}/locations/{l}/endpoints?filter=...``           (list)
* ``GET    /v1/projects/{p}/locations/{l}/endpoints/{id}``                 (get)
* ``POST   /v1/projects/{p}/locations/{l}/endpoints/{id}:deployModel``     (an LRO; the
  ``trafficSplit`` key ``"0"`` is the model being deployed, as Vertex documents)
* ``GET    /ui/projects/{p}/locations/{l}/{schedules|models|endpoints}/{id}/operations/{op}``
  (LRO polling; the SDK's REST operations client picks the ``/ui/`` binding first; ``/v1/``
  is served too)

plus one Cloud Storage JSON API call, ``GET /storage/v1/b/{bucket}``: ``PipelineJob.submit``
in google-cloud-aiplatform always checks that the pipeline root's bucket exists and belongs to
the project (``projectNumber``), and the tests point that check here through the storage
client's documented ``STORAGE_EMULATOR_HOST``. ``VertexStandIn.project_number`` supplies the
matching Resource Manager answer, which the tests substitute for the SDK's lookup.

It is deliberately small: no auth, no IAM, no real scheduling, pipeline execution or model
serving (a deployed model is a record; nothing pulls the image or reads the artifact); list
filters support only ``display_name="..."`` equality (the one the client sends); everything
else answers 404/400 in Google's JSON error format. ``http_base`` serves it, records every
request (method, path, query, JSON body) so tests can assert on what the client actually sent,
and injects errors (``fail_next``). :func:`vertex_sdk_stand_in` also points the SDK's side
calls (Cloud Storage, Resource Manager) at it for the length of a test.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest

from tests.standins.http_base import HttpError, RecordedRequest, StandIn

_LOCATION = r"(?P<parent>projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+))"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(rf"^/v1/{_LOCATION}/pipelineJobs$"), "create_pipeline_job"),
    ("GET", re.compile(rf"^/v1/(?P<name>{_LOCATION}/pipelineJobs/[^/:]+)$"), "get_pipeline_job"),
    ("POST", re.compile(rf"^/v1/{_LOCATION}/customJobs$"), "create_custom_job"),
    ("POST", re.compile(rf"^/v1/{_LOCATION}/schedules$"), "create_schedule"),
    ("GET", re.compile(rf"^/v1/{_LOCATION}/schedules$"), "list_schedules"),
    ("GET", re.compile(rf"^/v1/(?P<name>{_LOCATION}/schedules/[^/:]+)$"), "get_schedule"),
    ("POST", re.compile(rf"^/v1/(?P<name>{_LOCATION}/schedules/[^/:]+):pause$"), "pause"),
    ("POST", re.compile(rf"^/v1/(?P<name>{_LOCATION}/schedules/[^/:]+):resume$"), "resume"),
    ("DELETE", re.compile(rf"^/v1/(?P<name>{_LOCATION}/schedules/[^/:]+)$"), "delete_schedule"),
    ("POST", re.compile(rf"^/v1/{_LOCATION}/models:upload$"), "upload_model"),
    ("GET", re.compile(rf"^/v1/{_LOCATION}/models$"), "list_models"),
    (
        "GET",
        re.compile(rf"^/v1/(?P<name>{_LOCATION}/models/[^/:@]+)(?:@(?P<version>[^/:@]+))?$"),
        "get_model",
    ),
    ("POST", re.compile(rf"^/v1/{_LOCATION}/endpoints$"), "create_endpoint"),
    ("GET", re.compile(rf"^/v1/{_LOCATION}/endpoints$"), "list_endpoints"),
    ("GET", re.compile(rf"^/v1/(?P<name>{_LOCATION}/endpoints/[^/:]+)$"), "get_endpoint"),
    (
        "POST",
        re.compile(rf"^/v1/(?P<name>{_LOCATION}/endpoints/[^/:]+):deployModel$"),
        "deploy_model",
    ),
    (
        "GET",
        re.compile(
            rf"^/(?:v1|ui)/(?P<name>{_LOCATION}/(?:schedules|models|endpoints)/[^/:]+"
            r"/operations/[^/:]+)$"
        ),
        "get_operation",
    ),
    ("GET", re.compile(r"^/storage/v1/b/(?P<bucket>[^/]+)$"), "get_bucket"),
]
_DISPLAY_NAME_FILTER = re.compile(r'^\s*(?:display_name|displayName)\s*=\s*"(?P<value>[^"]*)"\s*$')
_JOB_ID = re.compile(r"^[a-z][-a-z0-9]{0,127}$")
PROJECT_NUMBER = "123456789012"  # every project's number, as far as the stand-in knows
_STATUS = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 409: "ALREADY_EXISTS", 503: "UNAVAILABLE"}


@dataclass
class VertexState:
    """In-memory resources; hold the stand-in's ``lock`` to read or change them."""

    pipeline_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    custom_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Registry models by resource name (no ``@``): every version, oldest first.
    models: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    # When False, DELETE answers a not-yet-done operation that completes on the first poll,
    # so the client's long-running-operation polling path is exercised too.
    complete_deletes_immediately: bool = True
    # The same for model upload, endpoint create and deployModel (the change itself is made
    # at once; only the operation's answer waits for the first poll).
    complete_model_operations_immediately: bool = True
    # What a not-yet-done operation answers once polled, by operation name.
    pending_responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    def next_id(self) -> str:
        return str(next(self._ids))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _require_pipeline_spec(pipeline_job: Any, where: str) -> None:
    """Vertex rejects jobs without a compiled pipeline spec; so does the stand-in."""
    if not isinstance(pipeline_job, dict):
        raise HttpError(400, f"{where} must be an object")
    spec = pipeline_job.get("pipelineSpec")
    if not isinstance(spec, dict):
        raise HttpError(400, f"{where}.pipelineSpec is required")
    for key in ("root", "deploymentSpec"):
        if not isinstance(spec.get(key), dict):
            raise HttpError(400, f"{where}.pipelineSpec.{key} is required")


class VertexStandIn(StandIn):
    """The stand-in's resources (``state``) and route handlers; serving comes from StandIn."""

    name = "vertex-stand-in"

    def __init__(self) -> None:
        super().__init__()
        self.state = VertexState()

    def route(self, request: RecordedRequest) -> tuple[int, Any]:
        if isinstance(request.body, str):
            raise HttpError(400, "request body is not JSON")
        path = unquote(request.path)  # the REST transport may send a version's "@" as %40
        for method, pattern, handler in _ROUTES:
            match = pattern.match(path)
            if match and method == request.method:
                return 200, getattr(self, handler)(match, request.query, request.body)
        message = f"the Vertex AI stand-in does not implement {request.method} {request.path}"
        raise HttpError(404, message)

    def error_body(self, error: HttpError) -> Any:
        """Google's JSON error format (``error.code``, ``error.message``, ``error.status``)."""
        status = error.reason or _STATUS.get(error.status, "UNKNOWN")
        return {"error": {"code": error.status, "message": error.message, "status": status}}

    # ---------------------------------------------------------------------- for tests

    def project_number(self, project_id: str) -> str:
        """What Resource Manager would answer for ``project_id`` (see ``get_bucket``)."""
        return PROJECT_NUMBER

    @property
    def schedules(self) -> dict[str, dict[str, Any]]:
        """A copy of every schedule by resource name."""
        with self.lock:
            return json.loads(json.dumps(self.state.schedules))

    @property
    def custom_jobs(self) -> dict[str, dict[str, Any]]:
        """A copy of every custom job by resource name."""
        with self.lock:
            return json.loads(json.dumps(self.state.custom_jobs))

    @property
    def pipeline_jobs(self) -> dict[str, dict[str, Any]]:
        """A copy of every pipeline job by resource name."""
        with self.lock:
            return json.loads(json.dumps(self.state.pipeline_jobs))

    @property
    def models(self) -> dict[str, list[dict[str, Any]]]:
        """A copy of every registry model's versions (oldest first) by resource name."""
        with self.lock:
            return json.loads(json.dumps(self.state.models))

    @property
    def endpoints(self) -> dict[str, dict[str, Any]]:
        """A copy of every endpoint by resource name."""
        with self.lock:
            return json.loads(json.dumps(self.state.endpoints))

    # --------------------------------------------------------------------- endpoints

    def create_pipeline_job(self, match: re.Match[str], query: dict, body: Any) -> Any:
        parent = match["parent"]
        job_id = (query.get("pipelineJobId") or [""])[0] or f"job-{self.state.next_id()}"
        if not _JOB_ID.match(job_id):
            raise HttpError(400, f"invalid pipelineJobId {job_id!r}")
        _require_pipeline_spec(body, "pipelineJob")
        runtime = body.get("runtimeConfig") or {}
        if not str(runtime.get("gcsOutputDirectory", "")).startswith("gs://"):
            raise HttpError(400, "runtimeConfig.gcsOutputDirectory required")
        name = f"{parent}/pipelineJobs/{job_id}"
        if name in self.state.pipeline_jobs:
            raise HttpError(409, f"PipelineJob {name} already exists")
        job = copy.deepcopy(body)
        job.update(name=name, state="PIPELINE_STATE_PENDING", createTime=_now())
        self.state.pipeline_jobs[name] = job
        return job

    def create_custom_job(self, match: re.Match[str], query: dict, body: Any) -> Any:
        """Vertex's documented requirements: a display name, worker pools with a machine type,
        a replica count and a container image, and exactly one replica in the first (chief)."""
        if not isinstance(body, dict) or not body.get("displayName"):
            raise HttpError(400, "customJob.displayName is required")
        pools = (body.get("jobSpec") or {}).get("workerPoolSpecs") or []
        if not pools:
            raise HttpError(400, "customJob.jobSpec.workerPoolSpecs is required")
        for index, pool in enumerate(pools):
            if not pool and index > 0:
                continue  # an empty pool keeps the workers' place before parameter servers
            where = f"customJob.jobSpec.workerPoolSpecs[{index}]"
            if not (pool.get("machineSpec") or {}).get("machineType"):
                raise HttpError(400, f"{where}.machineSpec.machineType is required")
            if int(pool.get("replicaCount", 0)) < 1:
                raise HttpError(400, f"{where}.replicaCount must be at least 1")
            if not (pool.get("containerSpec") or {}).get("imageUri"):
                raise HttpError(400, f"{where}.containerSpec.imageUri is required")
        if int(pools[0].get("replicaCount", 0)) != 1:
            raise HttpError(400, "the first worker pool (the chief) must have replicaCount 1")
        name = f"{match['parent']}/customJobs/{self.state.next_id()}"
        job = copy.deepcopy(body)
        job.update(name=name, state="JOB_STATE_PENDING", createTime=_now())
        self.state.custom_jobs[name] = job
        return job

    def get_pipeline_job(self, match: re.Match[str], query: dict, body: Any) -> Any:
        job = self.state.pipeline_jobs.get(match["name"])
        if job is None:
            raise HttpError(404, f"PipelineJob {match['name']} not found")
        return job

    def create_schedule(self, match: re.Match[str], query: dict, body: Any) -> Any:
        if not isinstance(body, dict) or not body.get("displayName"):
            raise HttpError(400, "schedule.displayName is required")
        if not body.get("cron"):
            raise HttpError(400, "schedule.cron is required")
        if int(body.get("maxConcurrentRunCount", 0)) <= 0:
            raise HttpError(400, "schedule.maxConcurrentRunCount must be > 0")
        request = body.get("createPipelineJobRequest")
        if not isinstance(request, dict):
            raise HttpError(400, "schedule.createPipelineJobRequest required")
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
                raise HttpError(400, f"stand-in does not support filter {filter_text!r}")
            found = [s for s in found if s.get("displayName") == wanted["value"]]
        return {"schedules": found} if found else {}

    def _schedule(self, name: str) -> dict[str, Any]:
        schedule = self.state.schedules.get(name)
        if schedule is None:
            raise HttpError(404, f"Schedule {name} not found")
        return schedule

    def get_schedule(self, match: re.Match[str], query: dict, body: Any) -> Any:
        return self._schedule(match["name"])

    def pause(self, match: re.Match[str], query: dict, body: Any) -> Any:
        schedule = self._schedule(match["name"])
        if schedule["state"] != "ACTIVE":
            raise HttpError(400, f"Schedule is {schedule['state']}", "FAILED_PRECONDITION")
        schedule.update(state="PAUSED", updateTime=_now())
        return {}

    def resume(self, match: re.Match[str], query: dict, body: Any) -> Any:
        schedule = self._schedule(match["name"])
        if schedule["state"] != "PAUSED":
            raise HttpError(400, f"Schedule is {schedule['state']}", "FAILED_PRECONDITION")
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
        name = match["name"]
        operation = self.state.operations.get(name)
        if operation is None:
            raise HttpError(404, f"Operation {name} not found")
        # Every operation the stand-in starts has finished by the time it is polled.
        if not operation["done"]:
            empty = {"@type": "type.googleapis.com/google.protobuf.Empty"}
            operation.update(done=True, response=self.state.pending_responses.pop(name, empty))
        return operation

    def _operation(self, resource: str, kind: str, response: dict[str, Any]) -> dict[str, Any]:
        """A long-running operation on ``resource`` answering ``response`` (a v1 message of
        type ``kind``), done now or on its first poll (``complete_model_operations_...``)."""
        name = f"{resource}/operations/{self.state.next_id()}"
        response = {"@type": f"type.googleapis.com/google.cloud.aiplatform.v1.{kind}", **response}
        done = self.state.complete_model_operations_immediately
        operation: dict[str, Any] = {"name": name, "done": done}
        if done:
            operation["response"] = response
        else:
            self.state.pending_responses[name] = response
        self.state.operations[name] = operation
        return copy.deepcopy(operation)

    # ------------------------------------------------------ Model Registry and endpoints

    def upload_model(self, match: re.Match[str], query: dict, body: Any) -> Any:
        """Vertex's documented rules: a display name, a serving container image, a Cloud
        Storage artifact directory; ``parentModel`` (an existing model of the same location)
        makes the upload its next version. The first version, and one aliased "default",
        becomes the default version."""
        model = (body or {}).get("model")
        if not isinstance(model, dict) or not model.get("displayName"):
            raise HttpError(400, "model.displayName is required")
        if not (model.get("containerSpec") or {}).get("imageUri"):
            raise HttpError(400, "model.containerSpec.imageUri is required")
        artifact = model.get("artifactUri", "")
        if artifact and not artifact.startswith("gs://"):
            raise HttpError(400, f"model.artifactUri {artifact!r} is not a Cloud Storage URI")
        parent = body.get("parentModel") or ""
        if parent:
            if parent not in self.state.models:
                raise HttpError(404, f"parent model {parent} not found")
            name, versions = parent, self.state.models[parent]
        else:
            name, versions = f"{match['parent']}/models/{self.state.next_id()}", []
        aliases = list(model.get("versionAliases") or [])
        if not versions and "default" not in aliases:
            aliases.insert(0, "default")
        if "default" in aliases:
            for old in versions:
                old["versionAliases"] = [a for a in old["versionAliases"] if a != "default"]
        version_id = str(len(versions) + 1)
        record = copy.deepcopy(model)
        record.update(
            name=name,
            versionId=version_id,
            versionAliases=aliases,
            createTime=versions[0]["createTime"] if versions else _now(),
            versionCreateTime=_now(),
            supportedDeploymentResourcesTypes=["DEDICATED_RESOURCES"],
        )
        versions.append(record)
        self.state.models[name] = versions
        response = {"model": name, "modelVersionId": version_id}
        return self._operation(name, "UploadModelResponse", response)

    def _model_version(self, name: str, version: str | None) -> dict[str, Any]:
        versions = self.state.models.get(name)
        if versions is None:
            raise HttpError(404, f"Model {name} not found")
        wanted = version or "default"
        for record in versions:
            if record["versionId"] == wanted or wanted in record["versionAliases"]:
                return record
        raise HttpError(404, f"Model {name}@{wanted} not found")

    def list_models(self, match: re.Match[str], query: dict, body: Any) -> Any:
        prefix = match["parent"] + "/models/"
        found = [
            self._model_version(name, None) for name in self.state.models if name.startswith(prefix)
        ]
        found = self._filtered(found, query)
        return {"models": found} if found else {}

    def get_model(self, match: re.Match[str], query: dict, body: Any) -> Any:
        return self._model_version(match["name"], match["version"])

    def _filtered(self, found: list[dict[str, Any]], query: dict) -> list[dict[str, Any]]:
        filter_text = (query.get("filter") or [""])[0]
        if not filter_text:
            return found
        wanted = _DISPLAY_NAME_FILTER.match(filter_text)
        if wanted is None:
            raise HttpError(400, f"stand-in does not support filter {filter_text!r}")
        return [r for r in found if r.get("displayName") == wanted["value"]]

    def create_endpoint(self, match: re.Match[str], query: dict, body: Any) -> Any:
        if not isinstance(body, dict) or not body.get("displayName"):
            raise HttpError(400, "endpoint.displayName is required")
        name = f"{match['parent']}/endpoints/{self.state.next_id()}"
        endpoint = copy.deepcopy(body)
        endpoint.update(
            name=name, deployedModels=[], trafficSplit={}, createTime=_now(), updateTime=_now()
        )
        self.state.endpoints[name] = endpoint
        return self._operation(name, "Endpoint", copy.deepcopy(endpoint))

    def list_endpoints(self, match: re.Match[str], query: dict, body: Any) -> Any:
        prefix = match["parent"] + "/endpoints/"
        found = [e for n, e in self.state.endpoints.items() if n.startswith(prefix)]
        found = self._filtered(found, query)
        return {"endpoints": found} if found else {}

    def _endpoint(self, name: str) -> dict[str, Any]:
        endpoint = self.state.endpoints.get(name)
        if endpoint is None:
            raise HttpError(404, f"Endpoint {name} not found")
        return endpoint

    def get_endpoint(self, match: re.Match[str], query: dict, body: Any) -> Any:
        return self._endpoint(match["name"])

    def deploy_model(self, match: re.Match[str], query: dict, body: Any) -> Any:
        """Vertex's documented rules: an existing model version; dedicated resources with a
        machine type, ``1 <= minReplicaCount <= maxReplicaCount``, accelerator type and count
        together; a traffic split over ``"0"`` (this model) and deployed ids summing to 100."""
        endpoint = self._endpoint(match["name"])
        deployed = (body or {}).get("deployedModel")
        if not isinstance(deployed, dict) or not deployed.get("model"):
            raise HttpError(400, "deployedModel.model is required")
        model_name, _, version = deployed["model"].partition("@")
        record = self._model_version(model_name, version or None)
        resources = deployed.get("dedicatedResources") or {}
        machine = resources.get("machineSpec") or {}
        if not machine.get("machineType"):
            raise HttpError(
                400, "deployedModel.dedicatedResources.machineSpec.machineType required"
            )
        low, high = int(resources.get("minReplicaCount", 0)), resources.get("maxReplicaCount")
        if low < 1 or (high is not None and int(high) < low):
            raise HttpError(400, "replica counts need 1 <= minReplicaCount <= maxReplicaCount")
        if bool(machine.get("acceleratorType")) != bool(machine.get("acceleratorCount")):
            raise HttpError(400, "machineSpec.acceleratorType and acceleratorCount go together")
        deployed_id = self.state.next_id()
        split = {str(k): int(v) for k, v in (body.get("trafficSplit") or {}).items()}
        known = {"0"} | {d["id"] for d in endpoint["deployedModels"]}
        if set(split) - known:
            raise HttpError(400, f"trafficSplit names unknown deployed models {set(split) - known}")
        if split and sum(split.values()) != 100:
            raise HttpError(400, "trafficSplit percentages must add up to 100")
        if not split and not endpoint["deployedModels"]:
            split = {"0": 100}  # Vertex: the first deployed model takes all traffic
        if "0" in split:
            split[deployed_id] = split.pop("0")
        result = copy.deepcopy(deployed)
        result.update(
            id=deployed_id,
            model=model_name,
            modelVersionId=record["versionId"],
            createTime=_now(),
        )
        endpoint["deployedModels"].append(result)
        if split:
            endpoint["trafficSplit"] = {k: v for k, v in split.items() if v}
        endpoint["updateTime"] = _now()
        return self._operation(endpoint["name"], "DeployModelResponse", {"deployedModel": result})

    def get_bucket(self, match: re.Match[str], query: dict, body: Any) -> Any:
        # Every bucket "exists" and belongs to the project the SDK checks it against, so its
        # get-or-create check neither creates a bucket nor reports a foreign one.
        return {
            "kind": "storage#bucket",
            "name": match["bucket"],
            "id": match["bucket"],
            "projectNumber": PROJECT_NUMBER,
        }


def running_vertex_server() -> AbstractContextManager[VertexStandIn]:
    """Serve the stand-in on 127.0.0.1 (a free port) for the duration of the block."""
    return VertexStandIn().running()


@contextmanager
def vertex_sdk_stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[VertexStandIn]:
    """The stand-in, with google-cloud-aiplatform's side calls pointed at it too.

    ``PipelineJob.submit`` checks that the pipeline root's bucket exists and belongs to the
    project: a Cloud Storage GET (redirected here by ``STORAGE_EMULATOR_HOST``, which
    google-cloud-storage documents for emulators) and a Resource Manager lookup of the project
    number, for which the SDK offers no endpoint override. Test-only adaptation: that one lookup
    is replaced by the stand-in's answer, so nothing leaves 127.0.0.1. ``aiplatform.init`` state
    is process-wide, so it is put back as it was afterwards (in place: ``aiplatform.init`` is
    bound to the original config object).
    """
    from google.cloud.aiplatform import initializer
    from google.cloud.aiplatform.utils import resource_manager_utils

    config = initializer.global_config
    saved = dict(vars(config))
    try:
        with running_vertex_server() as server:
            monkeypatch.setenv("STORAGE_EMULATOR_HOST", server.url)
            monkeypatch.setattr(
                resource_manager_utils,
                "get_project_number",
                lambda project_id, credentials=None: server.project_number(project_id),
            )
            yield server
    finally:
        vars(config).clear()
        vars(config).update(saved)
