"""Kubeflow Pipelines (KFP v2) adapter: tfxkit's remote interface over ``kfp.Client``.

It only translates; what schedules mean is in ``backends.schedules``. What KFP needs:

* Errors. Every expected failure (host unreachable, HTTP error, bad package, bad cron,
  missing schedule) becomes one :class:`KfpError` paragraph naming the host and the operation
  (``kubeflow_calls``, which also keeps ``kfp.Client``'s tracebacks and printed links quiet).
* The package. The KFP API server accepts only a bare ``PipelineSpec`` (it rejects TFX's
  ``PipelineJob`` wrapper as "unknown template format", and KFP releases before JSON support
  reject a ``.json`` file name), so the spec is uploaded as YAML; the PipelineJob's pipeline
  root and parameter values go on each run and recurring run instead.
* Caching. The v2beta1 run API has no caching field: ``run_pipeline(enable_caching=)`` is
  silently dropped for a ``pipeline_id``/``version_id`` run. ``enable_caching`` is therefore
  written into every root task's ``cachingOptions`` of the uploaded version.
* Schedules are recurring runs: the key is the display name, the fingerprint sits in the
  description, and the cron gets KFP's leading seconds field (``0``). KFP has no per-schedule
  time zone (the cluster's ``CRON_SCHEDULE_TIMEZONE`` applies), so ``TZ=`` is refused.
"""

from __future__ import annotations

import contextlib
import copy
import re
import tempfile
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import kfp
import yaml

from tfxkit.config.profiles import RunnerProfile
from tfxkit.errors import ConfigError
from tfxkit.runners.backends import base, schedules
from tfxkit.runners.backends.kubeflow_calls import (
    PORT_FORWARD,
    KfpError,
    all_pages,
    kfp_call,
    name_filter,
)
from tfxkit.runners.backends.package import Package, PackageError, load_package

__all__ = ["KfpError", "KubeflowBackend", "from_profile"]

ClientFactory = Callable[..., Any]

# 63 hex since the fingerprint is shared with Vertex; 64 from tfxkit releases before that.
_FINGERPRINT_RE = re.compile(rf"{schedules.FINGERPRINT_LABEL}=([0-9a-f]{{63,64}})")
_PAGE_SIZE = 100


def from_profile(profile: RunnerProfile, connection: base.Connection) -> KubeflowBackend:
    """The backend for a ``runner: kubeflow`` profile, reached at the host without auth."""
    resolved = connection.host or profile.kubeflow.host
    if not resolved:
        raise ConfigError(
            "submitting to Kubeflow needs the KFP API URL: pass --host URL or set kubeflow.host "
            "in the runner profile (or use --compile-only to stop after compiling)"
        )
    return KubeflowBackend(
        resolved, experiment=profile.kubeflow.experiment, namespace=profile.kubeflow.namespace
    )


class KubeflowBackend(base.RemoteBackend):
    """One KFP API (``host``: the API or UI URL); runs and schedules go to ``experiment``."""

    def __init__(
        self,
        host: str,
        *,
        experiment: str = "tfxkit",
        namespace: str | None = None,
        client_factory: ClientFactory = kfp.Client,
    ) -> None:
        if not host or not host.strip():
            raise KfpError(
                "no Kubeflow Pipelines host given: pass the KFP API or UI URL, e.g. "
                f"http://localhost:8080 after `{PORT_FORWARD}`"
            )
        self.host = host
        self.experiment = experiment
        self.namespace = namespace
        self._client_factory = client_factory

    @property
    def location(self) -> str:
        return self.host

    # ------------------------------------------------------------------------ interface

    def submit(
        self, compiled: base.Compiled, *, enable_caching: bool, run_name: str | None = None
    ) -> base.SubmittedRun:
        pipeline_name = compiled.pipeline_name
        package = self._package(compiled.path)
        client = self._connect()
        experiment_id = self._ensure_experiment(client)
        pipeline_id, version_id = self._upload(client, package, pipeline_name, enable_caching)
        name = run_name or f"{pipeline_name}-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}"
        with self._call(f"starting run '{name}' of pipeline '{pipeline_name}'"):
            run = client.run_pipeline(
                experiment_id=experiment_id,
                job_name=name,
                params=package.parameters,
                pipeline_id=pipeline_id,
                version_id=version_id,
                pipeline_root=package.pipeline_root,
                enable_caching=enable_caching,
            )
        return base.SubmittedRun(
            id=run.run_id, url=f"{self.host.rstrip('/')}/#/runs/details/{run.run_id}"
        )

    def apply_schedule(
        self, compiled: base.Compiled, schedule_name: str, cron: str, *, enable_caching: bool
    ) -> base.ScheduleResult:
        key = self._key(compiled.pipeline_name, schedule_name)
        cron = self._cron(cron, key)
        package = self._package(compiled.path)
        fingerprint = schedules.schedule_fingerprint(
            cron,
            package.raw,
            enable_caching=enable_caching,
            settings={"experiment": self.experiment},
        )
        client = self._connect()
        existing = [_to_info(r) for r in self._find(client, key)]

        def create(paused: bool) -> str:
            experiment_id = self._ensure_experiment(client)
            pipeline_id, version_id = self._upload(
                client, package, compiled.pipeline_name, enable_caching
            )
            with self._call(f"creating recurring run '{key}'"):
                created = client.create_recurring_run(
                    experiment_id=experiment_id,
                    job_name=key,
                    description=f"Managed by tfxkit. {schedules.FINGERPRINT_LABEL}={fingerprint}",
                    cron_expression=f"0 {cron}",
                    max_concurrency=1,
                    no_catchup=True,
                    params=package.parameters,
                    pipeline_id=pipeline_id,
                    version_id=version_id,
                    enabled=not paused,
                    pipeline_root=package.pipeline_root,
                    enable_caching=enable_caching,
                )
            return created.recurring_run_id

        return schedules.apply_schedule(
            existing,
            fingerprint,
            key=key,
            create=create,
            delete=lambda info: self._delete(client, key, info.schedule_id),
        )

    def list_schedules(self, pipeline_name: str | None = None) -> list[base.ScheduleInfo]:
        client = self._connect()
        with self._call("listing recurring runs"):
            runs = all_pages(
                lambda token: client.list_recurring_runs(
                    page_token=token, page_size=_PAGE_SIZE, namespace=self.namespace
                ),
                "recurring_runs",
            )
        infos = [_to_info(r) for r in runs if ":" in (r.display_name or "")]
        return schedules.managed(infos, pipeline_name)

    def pause(self, pipeline_name: str, schedule_name: str) -> base.ScheduleInfo:
        return self._set_enabled(pipeline_name, schedule_name, False)

    def resume(self, pipeline_name: str, schedule_name: str) -> base.ScheduleInfo:
        return self._set_enabled(pipeline_name, schedule_name, True)

    def delete(self, pipeline_name: str, schedule_name: str) -> None:
        key = self._key(pipeline_name, schedule_name)
        client = self._connect()
        for run in self._require(client, key):
            self._delete(client, key, run.recurring_run_id)

    # ---------------------------------------------------------------------- schedules

    def _key(self, pipeline_name: str, schedule_name: str) -> str:
        try:
            return schedules.schedule_key(pipeline_name, schedule_name)
        except schedules.ScheduleInputError as exc:
            raise KfpError(f"invalid schedule on Kubeflow Pipelines at {self.host}: {exc}") from exc

    def _cron(self, cron: str, key: str) -> str:
        """The validated 5-field cron; KFP's seconds field is added when it is sent."""
        where = f"schedule '{key}' on Kubeflow Pipelines at {self.host}"
        try:
            cron = schedules.validate_cron(cron)
        except schedules.ScheduleInputError as exc:
            raise KfpError(f"{where}: {exc}") from exc
        zone, _ = schedules.split_time_zone(cron)
        if zone is not None:
            raise KfpError(
                f"{where}: KFP takes no time zone in a cron ({cron!r}); every recurring run uses "
                "the cluster's CRON_SCHEDULE_TIMEZONE (UTC by default). Drop the TZ= prefix."
            )
        return cron

    def _find(self, client: Any, key: str) -> list[Any]:
        """Every recurring run whose display name is ``key`` (normally zero or one)."""
        with self._call(f"looking up recurring run '{key}'"):
            runs = all_pages(
                lambda token: client.list_recurring_runs(
                    page_token=token,
                    page_size=_PAGE_SIZE,
                    namespace=self.namespace,
                    filter=name_filter(key),
                ),
                "recurring_runs",
            )
        return [r for r in runs if r.display_name == key]

    def _require(self, client: Any, key: str) -> list[Any]:
        found = self._find(client, key)
        if not found:
            raise KfpError(f"Kubeflow Pipelines at {self.host}: {schedules.missing_schedule(key)}")
        return found

    def _delete(self, client: Any, key: str, recurring_run_id: str) -> None:
        with self._call(f"deleting recurring run '{key}' ({recurring_run_id})"):
            client.delete_recurring_run(recurring_run_id=recurring_run_id)

    def _set_enabled(
        self, pipeline_name: str, schedule_name: str, enabled: bool
    ) -> base.ScheduleInfo:
        key = self._key(pipeline_name, schedule_name)
        client = self._connect()
        found = self._require(client, key)
        verb = "resuming" if enabled else "pausing"
        for run in found:
            with self._call(f"{verb} recurring run '{key}' ({run.recurring_run_id})"):
                if enabled:
                    client.enable_recurring_run(recurring_run_id=run.recurring_run_id)
                else:
                    client.disable_recurring_run(recurring_run_id=run.recurring_run_id)
        with self._call(f"reading recurring run '{key}'"):
            return _to_info(client.get_recurring_run(recurring_run_id=found[0].recurring_run_id))

    # ------------------------------------------------------------- pipelines and runs

    def _package(self, path: Path) -> Package:
        try:
            return load_package(path)
        except PackageError as exc:
            raise KfpError(
                f"reading the package for Kubeflow Pipelines at {self.host}: {exc}"
            ) from exc

    def _connect(self) -> Any:
        """A KFP client; construction calls GET /apis/v2beta1/healthz (without a namespace)."""
        kwargs: dict[str, Any] = {"host": self.host}
        if self.namespace:  # a namespace other than kfp's default also skips the healthz probe
            kwargs["namespace"] = self.namespace
        with self._call("connecting to the KFP API"), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "only works with KFP v2.0.0-beta.2+"
            return self._client_factory(**kwargs)

    def _ensure_experiment(self, client: Any) -> str:
        """The id of the experiment, created if absent."""
        with self._call(f"creating or finding experiment '{self.experiment}'"):
            created = client.create_experiment(name=self.experiment, namespace=self.namespace)
        return created.experiment_id

    def _upload(
        self, client: Any, package: Package, pipeline_name: str, enable_caching: bool
    ) -> tuple[str, str]:
        """Upload the package as pipeline ``pipeline_name`` (new) or a new version of it."""
        spec = copy.deepcopy(package.spec)
        for task in (((spec.get("root") or {}).get("dag") or {}).get("tasks") or {}).values():
            task.setdefault("cachingOptions", {})["enableCache"] = enable_caching
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        version_name = f"{pipeline_name}-{stamp}-{package.digest[:12]}"
        description = f"tfxkit package {package.path.name} sha256={package.digest}"
        with tempfile.TemporaryDirectory(prefix="tfxkit-kfp-") as tmp:
            upload_path = Path(tmp) / "pipeline.yaml"
            with upload_path.open("w", encoding="utf-8") as f:
                yaml.safe_dump_all([spec, *package.extra_docs], f, sort_keys=False)
            pipeline_id = self._find_pipeline_id(client, pipeline_name)
            if pipeline_id is None:
                with self._call(f"uploading pipeline '{pipeline_name}'"):
                    pipeline = client.upload_pipeline(
                        pipeline_package_path=str(upload_path),
                        pipeline_name=pipeline_name,
                        description=description,
                        namespace=self.namespace,
                    )
                    versions = client.list_pipeline_versions(
                        pipeline_id=pipeline.pipeline_id, page_size=1, sort_by="created_at desc"
                    )
                if not versions.pipeline_versions:
                    raise KfpError(
                        f"Kubeflow Pipelines at {self.host} stored pipeline '{pipeline_name}' "
                        f"({pipeline.pipeline_id}) without a version; re-run the command."
                    )
                return pipeline.pipeline_id, versions.pipeline_versions[0].pipeline_version_id
            with self._call(f"uploading version '{version_name}' of pipeline '{pipeline_name}'"):
                version = client.upload_pipeline_version(
                    pipeline_package_path=str(upload_path),
                    pipeline_version_name=version_name,
                    pipeline_id=pipeline_id,
                    description=description,
                )
            return pipeline_id, version.pipeline_version_id

    def _find_pipeline_id(self, client: Any, pipeline_name: str) -> str | None:
        with self._call(f"looking up pipeline '{pipeline_name}'"):
            found = all_pages(
                lambda token: client.list_pipelines(
                    page_token=token,
                    page_size=_PAGE_SIZE,
                    filter=name_filter(pipeline_name),
                    namespace=self.namespace,
                ),
                "pipelines",
            )
        matches = [p for p in found if p.display_name == pipeline_name]
        if len(matches) > 1:
            raise KfpError(
                f"Kubeflow Pipelines at {self.host} has {len(matches)} pipelines named "
                f"'{pipeline_name}' ({', '.join(p.pipeline_id for p in matches)}); delete the "
                "extra ones so the name is unique."
            )
        return matches[0].pipeline_id if matches else None

    def _call(self, what: str) -> contextlib.AbstractContextManager[None]:
        return kfp_call(self.host, what)


# --------------------------------------------------------------------------- translation


def _to_info(recurring_run: Any) -> base.ScheduleInfo:
    pipeline_name, _, schedule_name = (recurring_run.display_name or "").partition(":")
    trigger = recurring_run.trigger
    cron_schedule = getattr(trigger, "cron_schedule", None) if trigger else None
    cron = " ".join(((cron_schedule.cron if cron_schedule else "") or "").split())
    if cron.startswith("0 ") and len(cron.split()) == 6:
        cron = cron[2:]  # KFP's seconds field, added by apply_schedule
    match = _FINGERPRINT_RE.search(recurring_run.description or "")
    enabled = str(recurring_run.mode or "") != "DISABLE"
    return base.ScheduleInfo(
        schedule_id=recurring_run.recurring_run_id,
        pipeline_name=pipeline_name,
        schedule_name=schedule_name,
        cron=cron,
        state=base.ScheduleState.ENABLED if enabled else base.ScheduleState.PAUSED,
        fingerprint=match.group(1) if match else "",
    )
