"""Executions a run did not finish: canceled on SIGINT/SIGTERM, abandoned after SIGKILL.

Why: an interrupted TFX execution stays RUNNING in ML Metadata for ever and leaves partial
output directories behind. tfxkit marks it CANCELED (with ``tfxkit_stopped``: ``interrupted``
or ``abandoned``) and removes what it wrote, so the store says what happened and the next run
starts clean. Unfinished executions of a pipeline are "abandoned" only while the caller holds
the pipeline's run lock (``run_lock``): then no live process can own them.

Outputs of an unpublished execution live at ``<pipeline root>/<node>/<output key>/<id>`` and
``<pipeline root>/<node>/.system/<kind>/<id>`` (TFX's layout); only paths that no LIVE
artifact points at are removed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ml_metadata.proto import metadata_store_pb2

from tfxkit.metadata.store import NODE_CONTEXT, PIPELINE_RUN_CONTEXT

UNFINISHED = (metadata_store_pb2.Execution.NEW, metadata_store_pb2.Execution.RUNNING)
STOPPED_PROPERTY = "tfxkit_stopped"


def unfinished(store, pipeline_name: str, run_id: str | None = None) -> list[tuple[str, object]]:
    """(node id, execution) of NEW/RUNNING executions of a pipeline (or of one run)."""
    in_run = None
    if run_id is not None:
        run = store.get_context_by_type_and_name(PIPELINE_RUN_CONTEXT, run_id)
        in_run = {e.id for e in store.get_executions_by_context(run.id)} if run else set()
    prefix, found = f"{pipeline_name}.", []
    for context in store.get_contexts_by_type(NODE_CONTEXT):
        if not context.name.startswith(prefix):
            continue
        for execution in store.get_executions_by_context(context.id):
            if execution.last_known_state in UNFINISHED and (
                in_run is None or execution.id in in_run
            ):
                found.append((context.name[len(prefix) :], execution))
    return found


def stop(store, pipeline_root: str, stopped: list[tuple[str, object]], why: str) -> list[str]:
    """Mark each execution CANCELED (``why``), remove its unpublished outputs; the node ids."""
    live = {
        a.uri
        for a in store.get_artifacts()
        if a.state == metadata_store_pb2.Artifact.LIVE and a.uri
    }
    for node_id, execution in stopped:
        execution.last_known_state = metadata_store_pb2.Execution.CANCELED
        execution.custom_properties[STOPPED_PROPERTY].string_value = why
        store.put_executions([execution])
        if "://" in pipeline_root:
            continue  # remote storage: left to its lifecycle rules
        node_dir = Path(pipeline_root) / node_id
        for path in [
            *node_dir.glob(f"*/{execution.id}"),
            *node_dir.glob(f".system/*/{execution.id}"),
        ]:
            if str(path) not in live and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
    return [node_id for node_id, _ in stopped]


__all__ = ["STOPPED_PROPERTY", "stop", "unfinished"]
