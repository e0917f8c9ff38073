"""What every tfxkit component's declaration shares: its spec's dicts and its class's wiring.

Why: each ``component.py`` (anomaly_gate, evaluator, fairness_gate, model_optimizer,
model_pusher) declared the same TFX boilerplate its own way: ``ExecutionParameter`` and
``ChannelParameter`` dicts, the code fingerprint parameter, ``SPEC_CLASS``/``EXECUTOR_SPEC``
and an ``__init__`` that built the spec. Here it is declared once: ``parameters`` and
``channels`` write a spec's dicts from ``{key: type}``, and ``SpecComponent`` takes its spec and
executor as class keywords and builds the spec from its ``__init__`` arguments by name.

A module of its own because it imports TFX: ``verdicts`` must not (the printed summary imports
it, and an unchanged re-run prints it without loading TFX).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from tfxkit.components.verdicts import SETTINGS_KEY, component_spec, fingerprinted

P = TypeVar("P", ExecutionParameter, ChannelParameter)


def parameters(
    required: Mapping[str, type] | None = None,
    optional: Mapping[str, type] | None = None,
    inherited: Mapping[str, ExecutionParameter] | None = None,
) -> dict[str, ExecutionParameter]:
    """A spec's ``PARAMETERS`` from each key's Python type (JSON settings are ``str``), after
    ``inherited`` ones (a TFX spec's), plus the executor's code fingerprint."""
    return fingerprinted({**(inherited or {}), **_declared(ExecutionParameter, required, optional)})


def channels(
    required: Mapping[str, type], optional: Mapping[str, type] | None = None
) -> dict[str, ChannelParameter]:
    """A spec's ``INPUTS`` or ``OUTPUTS`` from each key's artifact type."""
    return _declared(ChannelParameter, required, optional)


def _declared(
    parameter: Callable[..., P],
    required: Mapping[str, type] | None,
    optional: Mapping[str, type] | None,
) -> dict[str, P]:
    """``parameter(type=...)`` for each key, in order, the ``optional`` ones marked so."""
    groups = ((required or {}, False), (optional or {}, True))
    return {
        key: parameter(type=kind, optional=flag)
        for given, flag in groups
        for key, kind in given.items()
    }


def as_json(value: Any) -> str:
    """A dict or list argument as the JSON string its ``str`` exec property holds (sorted keys,
    so the same settings give the same cache key)."""
    return json.dumps(value, sort_keys=True)


def json_or_none(value: Any) -> str | None:
    """``as_json``, or None (the optional property left unset) for an empty or absent value."""
    return as_json(value) if value else None


class SettingsSpec(types.ComponentSpec, validate=False):
    """A spec whose one parameter is the component's settings, a JSON dict (``settings``;
    its executor reads it with ``verdicts.load_settings``). Abstract: a subclass declares its
    ``INPUTS`` and ``OUTPUTS`` (and TFX validates it then)."""

    PARAMETERS = parameters({SETTINGS_KEY: str})


class SpecComponent(base_component.BaseComponent):
    """A component declared by class keywords, ``spec=`` and ``executor=`` (``beam=True`` for a
    Beam executor), whose spec is built from its ``__init__`` arguments: the outputs and the
    executor's code fingerprint are added (``verdicts.component_spec``)."""

    def __init_subclass__(
        cls,
        spec: type[types.ComponentSpec] | None = None,
        executor: type | None = None,
        beam: bool = False,
    ) -> None:
        super().__init_subclass__()
        if spec is not None:
            cls.SPEC_CLASS = spec
        if executor is not None:
            spec_class = executor_spec.BeamExecutorSpec if beam else executor_spec.ExecutorClassSpec
            cls.EXECUTOR_SPEC = spec_class(executor)

    def __init__(self, arguments: Mapping[str, Any], **converted: Any) -> None:
        """``arguments``: the subclass's ``locals()``, each one named as a spec input or
        parameter passed as given (so no ``__init__`` repeats ``name=name`` for each);
        ``converted``: the values passed otherwise (JSON, renamed, fixed)."""
        spec = self.SPEC_CLASS
        declared = spec.INPUTS.keys() | spec.PARAMETERS.keys()
        values = {key: value for key, value in arguments.items() if key in declared}
        super().__init__(spec=component_spec(type(self), **(values | converted)))
