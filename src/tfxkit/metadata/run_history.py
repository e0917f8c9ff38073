"""Run history in ML Metadata: what each run was given (its config) and what it did (its summary).

Why here: TFX records executions and artifacts per run, but not the config that produced them
nor the run's outcome as a whole, so comparing two runs meant reading code. After each local
run the runner stores both on TFX's own ``pipeline_run`` context (custom properties, so any MLMD
client, SQLite or MariaDB, sees them); ``tfxkit runs`` reads them back. Runs recorded before
this existed are still listed, from their executions alone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from tfxkit.metadata.store import PIPELINE_RUN_CONTEXT, NodeExecution, run_executions

PIPELINE_CONTEXT = "pipeline"
PIPELINE_PROPERTY = "tfxkit_pipeline"
CONFIG_PROPERTY = "tfxkit_config"  # the resolved config, as JSON
CONFIG_HASH_PROPERTY = "tfxkit_config_hash"
SUMMARY_PROPERTY = "tfxkit_summary"  # the run summary, as JSON (runners.summary.RunSummary)


def config_hash(config_json: str) -> str:
    """A short, stable name for a config: equal configs, equal hashes."""
    return hashlib.sha256(config_json.encode()).hexdigest()[:12]


def record_run(
    store: metadata_store.MetadataStore,
    pipeline_name: str,
    run_id: str,
    config: dict[str, Any],
    summary: dict[str, Any],
) -> bool:
    """Store a run's config and summary on its ``pipeline_run`` context; False when the run
    recorded no context (it stopped before any node ran)."""
    context = store.get_context_by_type_and_name(PIPELINE_RUN_CONTEXT, run_id)
    if context is None:
        return False
    config_json = json.dumps(config, sort_keys=True, default=str)
    props = context.custom_properties
    props[PIPELINE_PROPERTY].string_value = pipeline_name
    props[CONFIG_PROPERTY].string_value = config_json
    props[CONFIG_HASH_PROPERTY].string_value = config_hash(config_json)
    props[SUMMARY_PROPERTY].string_value = json.dumps(summary, default=str)
    store.put_contexts([context])
    return True


@dataclass
class RunRecord:
    """One run as ``tfxkit runs`` shows it."""

    run_id: str
    pipeline_name: str
    started_ms: int
    finished_ms: int
    executions: list[NodeExecution] = field(default_factory=list)
    config: dict[str, Any] | None = None  # None: recorded before tfxkit kept it
    config_hash: str | None = None
    summary: dict[str, Any] | None = None

    @property
    def seconds(self) -> float:
        return max(0.0, (self.finished_ms - self.started_ms) / 1000)

    @property
    def status(self) -> str:
        """failed | blessed | not blessed | finished (no gate) | running | stopped."""
        if self.summary is not None:
            if self.summary.get("failed_component"):
                return "failed"
            blessed = self.summary.get("blessed")
            return "finished" if blessed is None else ("blessed" if blessed else "not blessed")
        states = {e.state for e in self.executions}
        if "FAILED" in states:
            return "failed"
        if "RUNNING" in states or "NEW" in states:
            return "running or stopped"
        return "finished"


def list_runs(store: metadata_store.MetadataStore, pipeline_name: str) -> list[RunRecord]:
    """Every run of ``pipeline_name`` in the store, oldest first."""
    pipeline = store.get_context_by_type_and_name(PIPELINE_CONTEXT, pipeline_name)
    if pipeline is None:
        return []
    executions = {e.id for e in store.get_executions_by_context(pipeline.id)}
    runs = [
        c
        for c in store.get_contexts_by_type(PIPELINE_RUN_CONTEXT)
        if _belongs(store, c, pipeline_name, executions)
    ]
    records = [_record(store, c, pipeline_name) for c in runs]
    return sorted(records, key=lambda r: (r.started_ms, r.run_id))


def load_run(
    store: metadata_store.MetadataStore, pipeline_name: str, run_id: str
) -> RunRecord | None:
    """One run by id; ``latest`` (or ``last``) is the newest, ``previous`` the one before."""
    if run_id in ("latest", "last", "previous"):
        runs = list_runs(store, pipeline_name)
        index = -2 if run_id == "previous" else -1
        return runs[index] if len(runs) >= -index else None
    context = store.get_context_by_type_and_name(PIPELINE_RUN_CONTEXT, run_id)
    if context is None:
        matches = [r for r in list_runs(store, pipeline_name) if r.run_id.startswith(run_id)]
        return matches[0] if len(matches) == 1 else None
    return _record(store, context, pipeline_name)


def _belongs(
    store: metadata_store.MetadataStore,
    context: metadata_store_pb2.Context,
    pipeline_name: str,
    pipeline_executions: set[int],
) -> bool:
    recorded = context.custom_properties.get(PIPELINE_PROPERTY)
    if recorded is not None and recorded.string_value:
        return recorded.string_value == pipeline_name
    return any(e.id in pipeline_executions for e in store.get_executions_by_context(context.id))


def _record(
    store: metadata_store.MetadataStore, context: metadata_store_pb2.Context, pipeline_name: str
) -> RunRecord:
    executions = run_executions(store, pipeline_name, context.name)
    props = context.custom_properties
    text = {k: props[k].string_value for k in props if props[k].string_value}
    started = min((e.started_ms for e in executions), default=context.create_time_since_epoch)
    finished = max((e.finished_ms for e in executions), default=started)
    return RunRecord(
        run_id=context.name,
        pipeline_name=pipeline_name,
        started_ms=started,
        finished_ms=finished,
        executions=executions,
        config=json.loads(text[CONFIG_PROPERTY]) if CONFIG_PROPERTY in text else None,
        config_hash=text.get(CONFIG_HASH_PROPERTY),
        summary=json.loads(text[SUMMARY_PROPERTY]) if SUMMARY_PROPERTY in text else None,
    )
