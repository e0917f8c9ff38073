"""Continuous training on Kubeflow / Vertex AI: an alert submits the training pipeline through the
same backends as ``tfxkit run-pipeline --runner kubeflow|vertex`` (issue 24).

Why a path of its own beside the local retrain: a remote run is only *started* here. It trains,
evaluates and pushes (only a blessed model: the pusher's rule) on the cluster, long after this
process ends, so there is no blessing to wait for and no local version to promote. What is the
same: the cool-down and the lock (``trigger.retrain`` takes them before calling ``submit``), and
ML Metadata records the submitted run (id, URL, orchestrator) and the monitor execution that
caused it, as a ``tfxkit_remote_run`` context associated with that execution.

Why ``monitoring.retrain.set``'s ``data.path`` wins over the profile's ``data_path``: the
profile names where the pipeline's data usually is; the retrain's override names the fresh span
this alert is about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tfxkit.config.profiles import RunnerProfile

REMOTE_RUN_CONTEXT = "tfxkit_remote_run"  # one per submitted run, named <runner>:<run id>


@dataclass(frozen=True)
class RemoteTarget:
    """Where a retrain is submitted: the runner profile and, as on ``run-pipeline``, KFP's
    ``host`` or Vertex's ``endpoint`` (default: the profile's host, Google's endpoint)."""

    profile: RunnerProfile
    host: str | None = None
    endpoint: str | None = None
    credentials: Any = None


@dataclass(frozen=True)
class RemoteRun:
    """A training run submitted on an alert."""

    run_id: str
    url: str
    runner: str
    pipeline_name: str
    spec: Path


def fresh_span_profile(profile: RunnerProfile, retrain_set: list[str]) -> RunnerProfile:
    """The profile without its ``data_path`` when the retrain names the fresh span's data.path."""
    if any(value.strip().startswith("data.path=") for value in retrain_set):
        return profile.model_copy(update={"data_path": None})
    return profile


def submit(
    config_path: str,
    pipeline_file: str | None,
    overrides: list[str],
    retrain_set: list[str],
    target: RemoteTarget,
    output_dir: Path,
    progress: Callable[[str], None] = print,
) -> RemoteRun:
    """Compile the training pipeline for the fresh span and submit one run of it."""
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.pipeline.kfp_compiler import compile_pipeline
    from tfxkit.runners.backends import get_backend

    profile = fresh_span_profile(target.profile, retrain_set)
    backend = get_backend(
        profile, host=target.host, endpoint=target.endpoint, credentials=target.credentials
    )
    config = load_config(config_path, [*overrides, *retrain_set])
    suffix = ".yaml" if profile.runner == "kubeflow" else ".json"
    output = output_dir / f"retrain-{config.name}{suffix}"
    compiled = compile_pipeline(pipeline_file, config, profile, enable_cache=True, output=output)
    progress(
        f"[tfxkit monitor] compiled '{compiled.pipeline_name}' for {profile.runner} "
        f"({len(compiled.tasks)} tasks) -> {compiled.path}"
    )
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    run = backend.submit(
        compiled, enable_caching=True, run_name=f"{compiled.pipeline_name}-retrain-{stamp}"
    )
    progress(f"[tfxkit monitor] submitted run {run.id} on {backend.location}: {run.url}")
    return RemoteRun(run.id, run.url, profile.runner, compiled.pipeline_name, compiled.path)


def record(store: Any, execution_id: int | None, run: RemoteRun) -> int:
    """A ``tfxkit_remote_run`` context for the run, associated with the monitor execution."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    type_id = store.put_context_type(
        pb.ContextType(
            name=REMOTE_RUN_CONTEXT,
            properties={
                "run_id": pb.STRING,
                "url": pb.STRING,
                "runner": pb.STRING,
                "pipeline_name": pb.STRING,
            },
        )
    )
    context = pb.Context(type_id=type_id, name=f"{run.runner}:{run.run_id}")
    for key in ("run_id", "url", "runner", "pipeline_name"):
        context.properties[key].string_value = getattr(run, key)
    if execution_id is not None:
        from tfxkit.monitoring.trigger import STARTED_BY

        context.custom_properties[STARTED_BY].int_value = execution_id
    [context_id] = store.put_contexts([context])
    if execution_id is not None:
        association = pb.Association(execution_id=execution_id, context_id=context_id)
        store.put_attributions_and_associations([], [association])
    return context_id
