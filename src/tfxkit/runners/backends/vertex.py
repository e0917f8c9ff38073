"""Vertex AI Pipelines adapter: tfxkit's remote interface over ``google.cloud.aiplatform``.

It only translates; what schedules mean is in ``backends.schedules``. What Vertex needs:

* Submit creates a ``PipelineJob`` from the compiled file (the SDK's ``template_path`` takes
  TFX's PipelineJob JSON or a bare PipelineSpec). The SDK ignores the file's own ``labels``
  (TFX version and runner); they are merged under the profile's labels here. Run ids get a
  random suffix: the SDK's default (pipeline name + time in seconds) collides when the same
  pipeline is submitted twice quickly.
* Schedules are ``PipelineJobSchedule``s: the key is the display name and the fingerprint the
  label ``tfxkit-fingerprint`` on ``createPipelineJobRequest.pipelineJob`` (a GET returns it).
  It covers the service account, pipeline root, labels and concurrency too.
* Every SDK, HTTP and auth failure becomes a :class:`VertexError` naming the operation,
  project, region and endpoint, with a hint for the usual causes (``vertex_calls``).

Transport: calls go over REST (``api_transport="rest"``), so ``VertexTarget.api_endpoint`` may
be a full URL: the REST transport keeps an explicit ``http://`` scheme, which is how tests
point this module at a local stand-in. The SDK keeps its settings in a process-wide
``aiplatform.init`` config in which unset values never reset, so every call passes project,
region, credentials and endpoint explicitly. ``PipelineJob.submit`` (the SDK) first checks
through Cloud Storage that the pipeline root's bucket exists, best-effort.
"""

from __future__ import annotations

import re
import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import google.auth
from google.cloud import aiplatform
from google.cloud.aiplatform import utils as aiplatform_utils

from tfxkit.config.profiles import RunnerProfile, VertexConfig
from tfxkit.config.types import VERTEX_LABEL_KEY_PATTERN, VERTEX_LABEL_VALUE_PATTERN
from tfxkit.runners.backends import schedules
from tfxkit.runners.backends.base import (
    Compiled,
    Connection,
    RemoteBackend,
    ScheduleInfo,
    ScheduleResult,
    ScheduleState,
    SubmittedRun,
)
from tfxkit.runners.backends.package import Package, PackageError, load_package
from tfxkit.runners.backends.vertex_calls import VertexError, vertex_error, vertex_errors

__all__ = ["VertexBackend", "VertexError", "VertexTarget", "console_url", "from_profile"]

_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
_STATES = {"ACTIVE": ScheduleState.ENABLED, "PAUSED": ScheduleState.PAUSED}
_LABEL_KEY = re.compile(VERTEX_LABEL_KEY_PATTERN)  # the config's rule (tfxkit.config.types)
_LABEL_VALUE = re.compile(VERTEX_LABEL_VALUE_PATTERN)


@dataclass(frozen=True)
class VertexTarget:
    """Where and as whom to talk to Vertex AI Pipelines."""

    project: str
    region: str
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

    @classmethod
    def from_config(cls, vertex: VertexConfig, connection: Connection) -> VertexTarget:
        """A profile's ``vertex`` section, reached at the connection's endpoint with its
        credentials: pipelines and serving act in the same project, as the same account."""
        return cls(
            project=vertex.project,
            region=vertex.region,
            service_account=vertex.service_account,
            labels=dict(vertex.labels),
            api_endpoint=connection.endpoint,
            credentials=connection.credentials,
        )


def from_profile(profile: RunnerProfile, connection: Connection) -> VertexBackend:
    """The backend for a ``runner: vertex`` profile (the connection's host is KFP's)."""
    vertex = profile.vertex
    assert vertex is not None  # the profile schema requires it for runner: vertex
    return VertexBackend(VertexTarget.from_config(vertex, connection))


def console_url(target: VertexTarget, job_id: str) -> str:
    """The Cloud Console page of one pipeline run."""
    return (
        f"https://console.cloud.google.com/vertex-ai/locations/{target.region}"
        f"/pipelines/runs/{job_id}?project={target.project}"
    )


def configure_sdk(target: Any) -> Any:
    """Point the SDK's process-wide config at the target; returns the credentials to use
    (the target's, else Application Default Credentials)."""
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


class VertexBackend(RemoteBackend):
    """Vertex AI Pipelines in one project and region; schedules run one job at a time unless
    ``max_concurrent_run_count`` says otherwise."""

    def __init__(self, target: VertexTarget, *, max_concurrent_run_count: int = 1) -> None:
        self.target = target
        self.max_concurrent_run_count = max_concurrent_run_count

    @property
    def location(self) -> str:
        where = f"project '{self.target.project}', region '{self.target.region}'"
        if self.target.api_endpoint:
            where += f", endpoint {self.target.api_endpoint}"
        return where

    # ------------------------------------------------------------------------ interface

    def submit(
        self, compiled: Compiled, *, enable_caching: bool, run_name: str | None = None
    ) -> SubmittedRun:
        target, name = self.target, compiled.pipeline_name
        operation = f"submit pipeline '{name}'"
        package = self._package(compiled.path, operation)
        root = self._pipeline_root(compiled, operation)
        with self._errors(operation):
            credentials = self._configure()
            job = aiplatform.PipelineJob(
                display_name=run_name or name,
                template_path=str(compiled.path),
                job_id=_job_id(name),
                pipeline_root=root,
                enable_caching=enable_caching,
                labels=self._labels(operation, package),
                credentials=credentials,
                project=target.project,
                location=target.region,
            )
            job.submit(service_account=target.service_account)
            resource_name = job.resource_name
        return SubmittedRun(
            id=resource_name, url=console_url(target, resource_name.rsplit("/", 1)[-1])
        )

    def apply_schedule(
        self, compiled: Compiled, schedule_name: str, cron: str, *, enable_caching: bool
    ) -> ScheduleResult:
        target = self.target
        key = self._key(compiled.pipeline_name, schedule_name, "apply")
        operation = f"apply schedule '{key}'"
        try:
            cron = schedules.validate_cron(cron)
        except schedules.ScheduleInputError as exc:
            raise self._error(operation, str(exc)) from exc
        if self.max_concurrent_run_count < 1:
            raise self._error(operation, "max_concurrent_run_count must be at least 1.")
        package = self._package(compiled.path, operation)
        root = self._pipeline_root(compiled, operation)
        settings = {
            "max_concurrent_run_count": self.max_concurrent_run_count,
            "service_account": target.service_account,
            "pipeline_root": root,
            "labels": dict(sorted(target.labels.items())),
        }
        fingerprint = schedules.schedule_fingerprint(
            cron, package.raw, enable_caching=enable_caching, settings=settings
        )
        labels = {**self._labels(operation, package), schedules.FINGERPRINT_LABEL: fingerprint}
        with self._errors(operation):
            credentials = self._configure()
            found = {s.resource_name: s for s in self._find(credentials, key)}

            def create(paused: bool) -> str:
                job = aiplatform.PipelineJob(
                    display_name=compiled.pipeline_name,
                    template_path=str(compiled.path),
                    pipeline_root=root,
                    enable_caching=enable_caching,
                    labels=labels,
                    credentials=credentials,
                    project=target.project,
                    location=target.region,
                )
                schedule = aiplatform.PipelineJobSchedule(
                    pipeline_job=job,
                    display_name=key,
                    credentials=credentials,
                    project=target.project,
                    location=target.region,
                )
                schedule.create(
                    cron=cron,
                    max_concurrent_run_count=self.max_concurrent_run_count,
                    service_account=target.service_account,
                )
                if paused:
                    schedule.pause()
                return schedule.resource_name

            def delete(info: ScheduleInfo) -> None:
                with self._errors(f"delete schedule {info.schedule_id} of '{key}'"):
                    found[info.schedule_id].delete()

            existing = [_info(s) for s in found.values()]
            return schedules.apply_schedule(
                existing, fingerprint, key=key, create=create, delete=delete
            )

    def list_schedules(self, pipeline_name: str | None = None) -> list[ScheduleInfo]:
        operation = "list schedules" + (f" of pipeline '{pipeline_name}'" if pipeline_name else "")
        with self._errors(operation):
            found = aiplatform.PipelineJobSchedule.list(
                project=self.target.project,
                location=self.target.region,
                credentials=self._configure(),
            )
            infos = [_info(s) for s in found if ":" in (s.display_name or "")]
        return schedules.managed(infos, pipeline_name)

    def pause(self, pipeline_name: str, schedule_name: str) -> ScheduleInfo:
        """A no-op for a schedule that is already paused."""
        return self._set_state(pipeline_name, schedule_name, pause=True)

    def resume(self, pipeline_name: str, schedule_name: str) -> ScheduleInfo:
        """A no-op for a schedule that is already active."""
        return self._set_state(pipeline_name, schedule_name, pause=False)

    def delete(self, pipeline_name: str, schedule_name: str) -> None:
        key = self._key(pipeline_name, schedule_name, "delete")
        operation = f"delete schedule '{key}'"
        with self._errors(operation):
            for schedule in self._require(self._configure(), key, operation):
                schedule.delete()

    # ------------------------------------------------------------------------ helpers

    def _set_state(self, pipeline_name: str, schedule_name: str, *, pause: bool) -> ScheduleInfo:
        verb = "pause" if pause else "resume"
        key = self._key(pipeline_name, schedule_name, verb)
        operation = f"{verb} schedule '{key}'"
        with self._errors(operation):
            credentials = self._configure()
            found = self._require(credentials, key, operation)
            for schedule in found:
                state = _info(schedule).state
                if pause and state is ScheduleState.ENABLED:
                    schedule.pause()
                elif not pause and state is ScheduleState.PAUSED:
                    schedule.resume()
                elif state is ScheduleState.COMPLETED:
                    raise self._error(operation, f"schedule {schedule.resource_name} is completed.")
            fresh = aiplatform.PipelineJobSchedule.get(
                found[0].resource_name,
                project=self.target.project,
                location=self.target.region,
                credentials=credentials,
            )
            return _info(fresh)

    def _key(self, pipeline_name: str, schedule_name: str, verb: str) -> str:
        try:
            return schedules.schedule_key(pipeline_name, schedule_name)
        except schedules.ScheduleInputError as exc:
            raise self._error(f"{verb} a schedule of pipeline {pipeline_name!r}", str(exc)) from exc

    def _find(self, credentials: Any, key: str) -> list[Any]:
        """All schedules whose display name is ``key`` (normally zero or one)."""
        found = aiplatform.PipelineJobSchedule.list(
            filter=f'display_name="{key}"',
            project=self.target.project,
            location=self.target.region,
            credentials=credentials,
        )
        return [s for s in found if s.display_name == key]

    def _require(self, credentials: Any, key: str, operation: str) -> list[Any]:
        found = self._find(credentials, key)
        if not found:
            raise self._error(operation, schedules.missing_schedule(key))
        return found

    def _configure(self) -> Any:
        return configure_sdk(self.target)

    def _package(self, path: Path, operation: str) -> Package:
        try:
            return load_package(path)
        except PackageError as exc:
            raise self._error(operation, str(exc)) from exc

    def _pipeline_root(self, compiled: Compiled, operation: str) -> str:
        if not compiled.pipeline_root.startswith("gs://"):
            raise self._error(
                operation,
                f"pipeline root {compiled.pipeline_root!r} must be a Cloud Storage URI "
                "(gs://bucket/path) that the pipeline's service account can write.",
            )
        return compiled.pipeline_root

    def _labels(self, operation: str, package: Package) -> dict[str, str]:
        """The package's labels under the target's, checked against Google Cloud's rules."""
        labels = {**package.labels, **self.target.labels}
        bad = [
            f"{k}={v}"
            for k, v in labels.items()
            if not (_LABEL_KEY.match(k) and _LABEL_VALUE.match(v))
        ]
        if bad:
            raise self._error(
                operation,
                f"invalid labels {', '.join(sorted(bad))}: keys must start with a lowercase "
                "letter, and keys and values may hold only lowercase letters, digits, '_' and "
                "'-' (at most 63 characters).",
            )
        return labels

    def _error(self, operation: str, detail: str) -> VertexError:
        return vertex_error(self.location, operation, detail)

    def _errors(self, operation: str) -> AbstractContextManager[None]:
        return vertex_errors(self.location, self.target.endpoint, operation)


def _info(schedule: Any) -> ScheduleInfo:
    resource = schedule.gca_resource
    pipeline_name, _, schedule_name = resource.display_name.partition(":")
    state = getattr(resource.state, "name", str(resource.state))
    job = resource.create_pipeline_job_request.pipeline_job
    return ScheduleInfo(
        schedule_id=resource.name,
        pipeline_name=pipeline_name,
        schedule_name=schedule_name,
        cron=resource.cron,
        state=_STATES.get(state, ScheduleState.COMPLETED),
        fingerprint=str(job.labels.get(schedules.FINGERPRINT_LABEL, "")),
    )


def _job_id(pipeline_name: str) -> str:
    """A unique run id: the SDK's default (name + seconds) collides on quick resubmits."""
    slug = re.sub(r"[^a-z0-9-]+", "-", pipeline_name.lower()).strip("-") or "pipeline"
    if not slug[0].isalpha():
        slug = f"p-{slug}"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    return f"{slug[:100].rstrip('-')}-{stamp}-{secrets.token_hex(3)}"
