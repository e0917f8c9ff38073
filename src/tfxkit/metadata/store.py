"""ML Metadata: the store a run records into, and the queries tfxkit asks of it.

SQLite under the workspace by default (one file, nothing to run); MySQL/MariaDB where several
users or schedulers share one store, with the password read from an environment variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.errors import MetadataStoreError

PIPELINE_RUN_CONTEXT = "pipeline_run"
NODE_CONTEXT = "node"


def connection_config(
    config: PipelineConfig, *, with_password: bool = True
) -> metadata_store_pb2.ConnectionConfig:
    """The MLMD connection for a config; creates the SQLite file's directory if needed.

    ``with_password=False`` for anything written to disk (compiled IR): the password stays in
    its environment variable and is read only by the process that connects.
    """
    # Built here as TFX's ``orchestration.metadata`` helpers build them: importing that module
    # imports TensorFlow (seconds), and commands that only read the store need neither.
    mysql = config.metadata.mysql
    if mysql:
        return metadata_store_pb2.ConnectionConfig(
            mysql=metadata_store_pb2.MySQLDatabaseConfig(
                host=mysql.host,
                port=mysql.port,
                database=mysql.database,
                user=mysql.user,
                password=os.environ.get(mysql.password_env, "") if with_password else "",
            )
        )
    path = Path(config.resolved_sqlite_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = metadata_store_pb2.ConnectionConfig()
    conn.sqlite.filename_uri = str(path)
    conn.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return conn


def open_store(conn: metadata_store_pb2.ConnectionConfig) -> metadata_store.MetadataStore:
    return metadata_store.MetadataStore(conn)


@dataclass(frozen=True)
class NodeExecution:
    """One component's execution in one pipeline run, as MLMD recorded it."""

    node_id: str
    execution_id: int
    state: str  # NEW, RUNNING, COMPLETE, FAILED, CACHED, CANCELED
    started_ms: int
    finished_ms: int


def _state_name(execution: metadata_store_pb2.Execution) -> str:
    return metadata_store_pb2.Execution.State.Name(execution.last_known_state)


def run_executions(
    store: metadata_store.MetadataStore, pipeline_name: str, run_id: str
) -> list[NodeExecution]:
    """Executions of one run, keyed by the TFX node id, in creation order."""
    run_ctx = store.get_context_by_type_and_name(PIPELINE_RUN_CONTEXT, run_id)
    if run_ctx is None:
        return []
    executions = store.get_executions_by_context(run_ctx.id)
    node_of: dict[int, str] = {}
    prefix = f"{pipeline_name}."
    for ctx in store.get_contexts_by_type(NODE_CONTEXT):
        if not ctx.name.startswith(prefix):
            continue
        for execution in store.get_executions_by_context(ctx.id):
            node_of[execution.id] = ctx.name[len(prefix) :]
    result = [
        NodeExecution(
            node_id=node_of.get(e.id, "?"),
            execution_id=e.id,
            state=_state_name(e),
            started_ms=e.create_time_since_epoch,
            finished_ms=e.last_update_time_since_epoch,
        )
        for e in executions
    ]
    return sorted(result, key=lambda n: n.execution_id)


def execution_state(store: metadata_store.MetadataStore, execution_id: int) -> str:
    found = store.get_executions_by_id([execution_id])
    if not found:  # the store was deleted or replaced under a live run (issue 28)
        raise MetadataStoreError(
            f"ML Metadata no longer holds execution {execution_id}, which this run just "
            "recorded: was the metadata store deleted or replaced while the run was going? "
            "Leave it in place during a run; run again to start over"
        )
    return _state_name(found[0])


def output_artifacts(
    store: metadata_store.MetadataStore, execution_id: int, type_name: str
) -> list[metadata_store_pb2.Artifact]:
    """Artifacts of ``type_name`` that an execution produced (or reused, when cached)."""
    events = store.get_events_by_execution_ids([execution_id])
    ids = [
        e.artifact_id
        for e in events
        if e.type in (metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.DECLARED_OUTPUT)
    ]
    if not ids:
        return []
    type_ids = {t.id for t in store.get_artifact_types() if t.name == type_name}
    return [a for a in store.get_artifacts_by_id(ids) if a.type_id in type_ids]
