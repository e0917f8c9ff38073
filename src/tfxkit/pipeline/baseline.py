"""The Evaluator's baseline, when a person decides it: ``tfxkit baseline pin | reset``.

Why: thresholds with ``min_improvement`` compare the candidate with the newest model every gate
blessed (``pipeline.resolvers``). After a signature or vocabulary change (a renamed column, a
new label value) that comparison is meaningless or impossible: the old model cannot read the
new examples, or its accuracy is over other classes. ``reset`` makes the next run compare with
no baseline (first-run semantics: no improvement threshold applies) and later runs with models
trained after the reset; ``pin`` fixes the baseline to one blessed model until the next change.

Each decision is an ML Metadata execution of type ``tfxkit.BaselineChange`` in the pipeline's
store, associated with its pipeline context, with who, when and why as custom properties; the
newest one of a pipeline is in force (``in_force``). The local baseline resolver honours it;
TFX's Kubeflow V2 compiler accepts only TFX's own resolver strategies, so remote runs do not.
"""

from __future__ import annotations

import getpass
import time
from dataclasses import dataclass
from typing import Any

from ml_metadata.proto import metadata_store_pb2 as pb

EXECUTION_TYPE = "tfxkit.BaselineChange"
PIPELINE_CONTEXT = "pipeline"
ACTIONS = ("pin", "reset")


@dataclass(frozen=True)
class BaselineChange:
    """One decision: ``pin`` (``model_id`` is the baseline) or ``reset`` (no model up to and
    including ``model_id``, the newest when it was made, is a baseline again)."""

    pipeline: str
    action: str
    model_id: int
    model_uri: str
    who: str
    why: str
    at: float  # seconds since the epoch
    execution_id: int = 0

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.at))
        what = (
            f"pinned to model {self.model_id} ({self.model_uri})"
            if self.action == "pin"
            else f"reset: no model up to {self.model_id} is a baseline"
        )
        return f"{what}, by {self.who} on {when}: {self.why}"


def _value(execution: Any, name: str) -> Any:
    value = execution.custom_properties.get(name)
    if value is None:
        return None
    return getattr(value, value.WhichOneof("value"))


def _change(execution: Any) -> BaselineChange:
    return BaselineChange(
        pipeline=_value(execution, "pipeline"),
        action=_value(execution, "action"),
        model_id=int(_value(execution, "model_id") or 0),
        model_uri=_value(execution, "model_uri") or "",
        who=_value(execution, "who") or "",
        why=_value(execution, "why") or "",
        at=float(_value(execution, "at") or 0.0),
        execution_id=execution.id,
    )


def history(store: Any, pipeline: str) -> list[BaselineChange]:
    """Every decision about ``pipeline``'s baseline, oldest first."""
    try:
        executions = store.get_executions_by_type(EXECUTION_TYPE)
    except Exception:  # noqa: BLE001 - no such type yet: nothing was ever decided
        return []
    changes = [_change(e) for e in executions if _value(e, "pipeline") == pipeline]
    return sorted(changes, key=lambda c: c.execution_id)


def in_force(store: Any, pipeline: str) -> BaselineChange | None:
    """The newest decision about ``pipeline``'s baseline, if any."""
    changes = history(store, pipeline)
    return changes[-1] if changes else None


def record(
    store: Any, pipeline: str, action: str, model_id: int, model_uri: str, why: str
) -> BaselineChange:
    """Store a decision (who: this process's user; when: now) and associate it with the
    pipeline's context, so it sits with the pipeline's runs in ML Metadata."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
    type_id = store.put_execution_type(pb.ExecutionType(name=EXECUTION_TYPE))
    execution = pb.Execution(type_id=type_id, last_known_state=pb.Execution.COMPLETE)
    values = {
        "pipeline": pipeline,
        "action": action,
        "model_id": model_id,
        "model_uri": model_uri,
        "who": getpass.getuser(),
        "why": why,
        "at": time.time(),
    }
    for name, value in values.items():
        field = {str: "string_value", int: "int_value", float: "double_value"}[type(value)]
        setattr(execution.custom_properties[name], field, value)
    [execution_id] = store.put_executions([execution])
    context = store.get_context_by_type_and_name(PIPELINE_CONTEXT, pipeline)
    if context is not None:
        association = pb.Association(execution_id=execution_id, context_id=context.id)
        store.put_attributions_and_associations([], [association])
    return _change(store.get_executions_by_id([execution_id])[0])


def pipeline_of(store: Any, artifacts: list[Any]) -> str | None:
    """The name of the pipeline whose context holds the first of ``artifacts`` (the candidate
    model): the resolver learns whose baseline it resolves from its input."""
    if store is None or not artifacts or not getattr(artifacts[0], "id", 0):
        return None
    for context in store.get_contexts_by_artifact(artifacts[0].id):
        context_type = store.get_context_types_by_id([context.type_id])
        if context_type and context_type[0].name == PIPELINE_CONTEXT:
            return context.name
    return None
