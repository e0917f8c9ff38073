"""Real SQLite ML Metadata stores for unit tests, holding executions as TFX's launcher records
them: OUTPUT events keyed by output name, in the node's cache context and a run's context."""

from __future__ import annotations

from pathlib import Path

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

CACHE_CONTEXT = "execution_cache"  # tfx.orchestration.portable.mlmd.context_lib's name


def connection(path: Path) -> pb.ConnectionConfig:
    conn = pb.ConnectionConfig()
    conn.sqlite.filename_uri = str(path)
    return conn


def open_store(path: Path) -> metadata_store.MetadataStore:
    return metadata_store.MetadataStore(connection(path))


def context(store, type_name: str, name: str) -> pb.Context:
    """The context of a type and name, created on first use."""
    found = store.get_context_by_type_and_name(type_name, name)
    if found is not None:
        return found
    type_id = store.put_context_type(pb.ContextType(name=type_name))
    [context_id] = store.put_contexts([pb.Context(type_id=type_id, name=name)])
    return store.get_contexts_by_id([context_id])[0]


def put_execution(
    store,
    outputs: dict[str, str | int],
    *,
    contexts: list[pb.Context],
    state: int = pb.Execution.COMPLETE,
    type_name: str = "TransformGraph",
) -> tuple[int, dict[str, int]]:
    """An execution and its outputs: a URI makes a new LIVE artifact, an id reuses one (as a
    CACHED execution does). (execution id, {output key: artifact id})."""
    artifact_type = store.put_artifact_type(pb.ArtifactType(name=type_name))
    pairs = []
    for key, uri in outputs.items():
        if isinstance(uri, int):
            artifact = store.get_artifacts_by_id([uri])[0]
        else:
            artifact = pb.Artifact(type_id=artifact_type, uri=uri, state=pb.Artifact.LIVE)
        event = pb.Event(type=pb.Event.OUTPUT)
        event.path.steps.add().key = key
        event.path.steps.add().index = 0
        pairs.append((artifact, event))
    execution = pb.Execution(
        type_id=store.put_execution_type(pb.ExecutionType(name="test")), last_known_state=state
    )
    execution_id, artifact_ids, _ = store.put_execution(execution, pairs, contexts)
    return execution_id, dict(zip(outputs, artifact_ids, strict=True))
