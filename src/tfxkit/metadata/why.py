"""Why a node ran or was cached: its execution compared with the node's previous one.

Why this exists: TFX's cache key is a node's input artifacts, exec properties and executor;
when a node re-runs, TFX says nothing about which of them changed. ML Metadata keeps all of it
per execution (input events, exec properties as custom properties), so this compares the
execution in question with the node's latest earlier execution that finished, and names what
differs: an input artifact (and the node that produced the new one), a setting (by its dotted
key, inside JSON-valued properties too), the code fingerprint, the data's content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from tfxkit.metadata.store import NODE_CONTEXT, NodeExecution, run_executions

Event = metadata_store_pb2.Event
# What a property means to a user, for the ones whose name says little.
MEANING = {
    "input_fingerprint": "the input data's content (the files' sha256)",
    "code_fingerprint": "the component's code (its module and what it imports)",
    "custom_config": "the trainer's settings from the config (features, model, training)",
    "run_fn": "the training function",
    "module_path": "the user module",
    "module_file": "the user module",
    "eval_config": "the evaluation config (metrics, thresholds, slices)",
    "settings": "the component's settings from the config",
    "span": "the data span",
    "version": "the data version",
}
SHOWN_VALUE = 80  # characters of a changed value shown


@dataclass
class Explanation:
    """Why one execution of one node ran or was cached."""

    node_id: str
    run_id: str
    state: str  # COMPLETE, CACHED, FAILED, ...
    previous_run: str | None = None  # the run of the execution compared with
    reasons: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = {"COMPLETE": "ran", "CACHED": "was cached", "FAILED": "ran and failed"}.get(
            self.state, f"is {self.state.lower()}"
        )
        head = f"{self.node_id} {verb} in run {self.run_id}"
        if self.previous_run is None:
            return [f"{head}: it had never run before (no earlier execution of this node)"]
        if self.state == "CACHED":
            return [
                f"{head}: its inputs and settings are those of its execution in run "
                f"{self.previous_run}, whose outputs it reused"
            ]
        if not self.reasons:
            return [
                f"{head}, with the same inputs and settings as in run {self.previous_run}: the "
                "cache was off (--no-cache), that execution's outputs were damaged or removed, "
                "or the executor or Beam settings changed"
            ]
        return [
            f"{head}; compared with run {self.previous_run}:",
            *[f"  - {r}" for r in self.reasons],
        ]


def explain(
    store: metadata_store.MetadataStore, pipeline_name: str, run_id: str, node_id: str
) -> Explanation | None:
    """None when the run has no execution of ``node_id``."""
    executions = {e.node_id: e for e in run_executions(store, pipeline_name, run_id)}
    current = executions.get(node_id)
    if current is None:
        return None
    result = Explanation(node_id, run_id, current.state)
    previous = _previous(store, pipeline_name, node_id, current)
    if previous is None:
        return result
    result.previous_run = _run_of(store, previous.id)
    now = store.get_executions_by_id([current.execution_id])[0]
    result.reasons = _input_changes(store, pipeline_name, now, previous) + _property_changes(
        previous, now
    )
    return result


def _previous(
    store: metadata_store.MetadataStore, pipeline: str, node_id: str, current: NodeExecution
) -> metadata_store_pb2.Execution | None:
    """The node's latest execution before ``current`` that finished (ran or was cached)."""
    context = store.get_context_by_type_and_name(NODE_CONTEXT, f"{pipeline}.{node_id}")
    if context is None:
        return None
    done = (metadata_store_pb2.Execution.COMPLETE, metadata_store_pb2.Execution.CACHED)
    earlier = [
        e
        for e in store.get_executions_by_context(context.id)
        if e.id < current.execution_id and e.last_known_state in done
    ]
    return max(earlier, key=lambda e: e.id) if earlier else None


def _run_of(store: metadata_store.MetadataStore, execution_id: int) -> str:
    for context in store.get_contexts_by_execution(execution_id):
        type_name = store.get_context_types_by_id([context.type_id])[0].name
        if type_name == "pipeline_run":
            return context.name
    return f"(execution {execution_id})"


def _inputs(store: metadata_store.MetadataStore, execution_id: int) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for event in store.get_events_by_execution_ids([execution_id]):
        if event.type == Event.INPUT:
            key = next((s.key for s in event.path.steps if s.HasField("key")), "?")
            found.setdefault(key, set()).add(event.artifact_id)
    return found


def _producer(store: metadata_store.MetadataStore, pipeline: str, artifact_id: int) -> str:
    """The node (and run) that produced an artifact, as words."""
    outputs = [
        e
        for e in store.get_events_by_artifact_ids([artifact_id])
        if e.type in (Event.OUTPUT, Event.DECLARED_OUTPUT)
    ]
    if not outputs:
        return "an artifact no node of this pipeline produced"
    execution_id = outputs[0].execution_id
    node = "?"
    prefix = f"{pipeline}."
    for context in store.get_contexts_by_execution(execution_id):
        if context.name.startswith(prefix):
            node = context.name[len(prefix) :]
    return f"{node}'s output of run {_run_of(store, execution_id)}"


def _input_changes(
    store: metadata_store.MetadataStore,
    pipeline: str,
    now: metadata_store_pb2.Execution,
    before: metadata_store_pb2.Execution,
) -> list[str]:
    new, old = _inputs(store, now.id), _inputs(store, before.id)
    reasons = []
    for key in sorted(set(new) | set(old)):
        if new.get(key, set()) == old.get(key, set()):
            continue
        if key not in old:
            reasons.append(f"input '{key}' is new")
        elif key not in new:
            reasons.append(f"input '{key}' is gone")
        else:
            sources = ", ".join(_producer(store, pipeline, a) for a in sorted(new[key] - old[key]))
            reasons.append(f"input '{key}' changed: now {sources or 'fewer artifacts'}")
    return reasons


def _value(execution: metadata_store_pb2.Execution, key: str) -> Any:
    value = execution.custom_properties.get(key) or execution.properties.get(key)
    if value is None:
        return None
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def _property_changes(
    before: metadata_store_pb2.Execution, now: metadata_store_pb2.Execution
) -> list[str]:
    keys = sorted(
        {*before.custom_properties, *before.properties, *now.custom_properties, *now.properties}
        - {"__external_execution_index__", "stopped"}
    )
    reasons = []
    for key in keys:
        old, new = _value(before, key), _value(now, key)
        if old == new:
            continue
        meaning = f" ({MEANING[key]})" if key in MEANING else ""
        nested = _json_changes(old, new)
        if nested:
            shown = "; ".join(nested[:5]) + (
                f"; and {len(nested) - 5} more" if len(nested) > 5 else ""
            )
            reasons.append(f"setting '{key}'{meaning} changed: {shown}")
        else:
            reasons.append(f"setting '{key}'{meaning} changed: {_short(old)} -> {_short(new)}")
    return reasons


def _json_changes(old: Any, new: Any) -> list[str]:
    """Dotted keys that differ between two JSON texts (empty when either is not JSON)."""
    try:
        a, b = json.loads(old), json.loads(new)
    except (TypeError, ValueError):
        return []
    if not isinstance(a, dict | list) or not isinstance(b, dict | list):
        return []
    flat_a, flat_b = _flatten(a), _flatten(b)
    return [
        f"{k}: {_short(flat_a.get(k))} -> {_short(flat_b.get(k))}"
        for k in sorted(set(flat_a) | set(flat_b))
        if flat_a.get(k) != flat_b.get(k)
    ]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}{key}."))
        return flat
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        flat = {}
        for i, item in enumerate(value):
            name = item.get("key") or item.get("name") or str(i)
            flat.update(_flatten(item, f"{prefix}{name}."))
        return flat
    return {prefix.rstrip("."): value}


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 3] + "..."
