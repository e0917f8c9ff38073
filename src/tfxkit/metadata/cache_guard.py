"""Cached outputs are checked against their recorded digests before TFX reuses them.

Why: TFX picks a cached execution in ``get_cached_outputs``
(``tfx/orchestration/portable/cache_utils.py``): the newest COMPLETE or CACHED execution in the
node's cache context whose OUTPUT artifacts are all LIVE (``_get_outputs_of_execution``) and
whose URIs exist (``artifact_utils.verify_artifacts``). Nothing reads the files, so a damaged
output was reused by every later run (issue 28). tfxkit therefore:

- records, when an execution finishes (or is cached with outputs nothing has read yet), each
  output's digest (``digests``) as artifact custom properties ``tfxkit_digest`` and
  ``tfxkit_files`` (``record``);
- just before TFX's lookup, walks the same candidates in the same order, re-digesting outputs
  until a candidate is intact (``screen``). A damaged or missing output is marked ABANDONED,
  with ``tfxkit_condemned`` saying why; TFX skips every candidate holding it (not LIVE) and
  runs the component. Its new outputs are new inputs downstream, whose cache keys change too:
  what follows re-runs, what precedes stays cached. Nothing is deleted.

ABANDONED rather than DELETED or MARKED_FOR_DELETION: TFX's input resolution and tfxkit's
readers take only LIVE artifacts, while some TFX model resolvers still consider the deletion
states. Outputs that other components read before digests existed have none: only a missing
one is caught (adding a digest then would cost their readers a cache miss).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ml_metadata.proto import metadata_store_pb2

from tfxkit.metadata import digests

# store.PIPELINE_RUN_CONTEXT, spelled here: store.py loads TFX, this module must not (the
# unchanged-re-run shortcut reads run outputs through it).
PIPELINE_RUN_CONTEXT = "pipeline_run"

DIGEST_PROPERTY = "tfxkit_digest"
FILES_PROPERTY = "tfxkit_files"
CONDEMNED_PROPERTY = "tfxkit_condemned"
MANIFEST_LIMIT = 500  # files: a larger output keeps only its whole digest (changes go unnamed)

_LIVE = metadata_store_pb2.Artifact.LIVE
_SUCCESSFUL = (metadata_store_pb2.Execution.COMPLETE, metadata_store_pb2.Execution.CACHED)
_OUTPUT = metadata_store_pb2.Event.OUTPUT
_INPUT = metadata_store_pb2.Event.INPUT


@dataclass(frozen=True)
class Damage:
    """One cached output that may not be reused, and what happened to it."""

    output_key: str
    artifact_id: int
    what: str


Report = Callable[[list[Damage], bool], None]


def _outputs(store, execution_ids: list[int]) -> list[tuple[int, str, object]]:
    """(execution id, output key, artifact) for OUTPUT events, as TFX's cache reads them."""
    events = [e for e in store.get_events_by_execution_ids(execution_ids) if e.type == _OUTPUT]
    found = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in events])}
    return [
        (e.execution_id, e.path.steps[0].key if e.path.steps else "", found[e.artifact_id])
        for e in events
        if e.artifact_id in found
    ]


def record(store, execution_id: int) -> int:
    """Digest each local LIVE output of an execution (finished or cached) that has none and
    that no execution has read yet; how many.

    The digest becomes part of the artifact, which a consumer's cache key hashes (TFX's
    ``get_cache_context`` serializes input artifacts whole): recording it after something read
    the artifact would make that consumer miss its cache once. So outputs get it before any
    later component runs; an older output already read (recorded before digests existed, or
    its run killed in between) stays without one, and only its absence can be told.
    """
    candidates = [
        artifact
        for _, _, artifact in _outputs(store, [execution_id])
        if artifact.state == _LIVE
        and digests.is_local(artifact.uri)
        and DIGEST_PROPERTY not in artifact.custom_properties
    ]
    read = {
        e.artifact_id
        for e in store.get_events_by_artifact_ids([a.id for a in candidates])
        if e.type == _INPUT
    }
    updated = []
    for artifact in candidates:
        if artifact.id in read:
            continue
        try:
            found = digests.digest(artifact.uri)
        except OSError:
            continue  # nothing written there: TFX's own existence check refuses it
        artifact.custom_properties[DIGEST_PROPERTY].string_value = found.whole
        if len(found.files) <= MANIFEST_LIMIT:
            artifact.custom_properties[FILES_PROPERTY].string_value = found.manifest()
        updated.append(artifact)
    if updated:
        store.put_artifacts(updated)
    return len(updated)


def check(artifact) -> str | None:
    """What happened to a recorded output, in words; None if it may be reused."""
    if not digests.is_local(artifact.uri):
        return None
    props = artifact.custom_properties
    whole = props[DIGEST_PROPERTY].string_value if DIGEST_PROPERTY in props else None
    manifest = props[FILES_PROPERTY].string_value if FILES_PROPERTY in props else None
    return digests.damage(artifact.uri, whole, manifest)


def screen(store, cache_context_id: int) -> list[Damage]:
    """Check a cache context's candidates in TFX's order (successful, newest first, all outputs
    LIVE) up to the first intact one; condemn what is damaged. The damage found."""
    candidates = [
        e
        for e in store.get_executions_by_context(cache_context_id)
        if e.last_known_state in _SUCCESSFUL
    ]
    candidates = sorted(candidates, key=lambda e: e.create_time_since_epoch, reverse=True)
    found: list[Damage] = []
    condemned: set[int] = set()
    for execution in candidates:
        outputs = _outputs(store, [execution.id])
        if any(a.state != _LIVE or a.id in condemned for _, _, a in outputs):
            continue  # TFX skips this candidate anyway
        bad = [(key, a, what) for _, key, a in outputs if (what := check(a))]
        if not bad:
            break  # the candidate TFX reuses
        condemn(store, [(a, what) for _, a, what in bad])
        condemned |= {a.id for _, a, _ in bad}
        found += [Damage(key, a.id, what) for key, a, what in bad]
    return found


def condemn(store, damaged: list[tuple[object, str]]) -> None:
    """Mark outputs ABANDONED (never reused, never resolved as inputs), saying why."""
    for artifact, why in damaged:
        artifact.state = metadata_store_pb2.Artifact.ABANDONED
        artifact.custom_properties[CONDEMNED_PROPERTY].string_value = why
    store.put_artifacts([artifact for artifact, _ in damaged])


def describe(node_id: str, damage: list[Damage], reused: bool) -> str:
    """One line per component: which outputs, what happened, and what the run does instead."""
    outputs = "; ".join(f"output {d.output_key} {d.what}" for d in damage)
    outcome = f"an older cached {node_id} is reused" if reused else f"re-running {node_id}"
    return f"[tfxkit] cache: {node_id}'s {outputs}; {outcome}"


def run_outputs(store, run_id: str) -> dict[str, str]:
    """{URI: digest} of each local LIVE output of a run's executions (cached ones included):
    the recorded digest, else one computed now. Raises ``OSError`` for a missing output."""
    context = store.get_context_by_type_and_name(PIPELINE_RUN_CONTEXT, run_id)
    if context is None:
        return {}
    ids = [e.id for e in store.get_executions_by_context(context.id)]
    result = {}
    for _, _, artifact in _outputs(store, ids) if ids else []:
        if artifact.state != _LIVE or not digests.is_local(artifact.uri):
            continue
        props = artifact.custom_properties
        if DIGEST_PROPERTY in props:
            result[artifact.uri] = props[DIGEST_PROPERTY].string_value
        else:
            result[artifact.uri] = digests.digest(artifact.uri).whole
    return result


__all__ = [
    "CONDEMNED_PROPERTY",
    "DIGEST_PROPERTY",
    "FILES_PROPERTY",
    "Damage",
    "check",
    "condemn",
    "describe",
    "record",
    "run_outputs",
    "screen",
]
