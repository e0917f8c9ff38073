"""The runners a pipeline can run on, by name: one list, imported lazily (one flavor a runner).

Why lazy: the local runner imports TFX and TensorFlow, the remote ones the KFP or Vertex SDK;
``tfxkit run --runner kubeflow`` must not pay for Vertex, nor ``--help`` for any of them. The
CLI's ``--runner`` choices, the session and the remote backends all read this one table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from tfxkit.errors import ConfigError

if TYPE_CHECKING:
    from tfxkit.runners.session import RunSession
    from tfxkit.runners.summary import RunSummary

Progress = Callable[[str], None]


class Runner(Protocol):
    """Runs one session's pipeline somewhere and returns what it did."""

    def run(self, session: RunSession) -> RunSummary: ...


@dataclass(frozen=True)
class RunnerEntry:
    """Where a runner's class lives, and (remote runners) its orchestrator backend module."""

    runner: str  # "module:Class"
    backend: str | None = None  # module exposing ``from_profile(profile, connection)``
    remote: bool = False


RUNNERS: dict[str, RunnerEntry] = {
    "beam": RunnerEntry("tfxkit.runners.local:LocalRunner"),
    "kubeflow": RunnerEntry(
        "tfxkit.runners.remote:RemoteRunner", "tfxkit.runners.backends.kubeflow", remote=True
    ),
    "vertex": RunnerEntry(
        "tfxkit.runners.remote:RemoteRunner", "tfxkit.runners.backends.vertex", remote=True
    ),
}


def runner_names() -> tuple[str, ...]:
    return tuple(RUNNERS)


def remote_runner_names() -> tuple[str, ...]:
    return tuple(name for name, entry in RUNNERS.items() if entry.remote)


def entry(name: str) -> RunnerEntry:
    try:
        return RUNNERS[name]
    except KeyError:
        raise ConfigError(f"unknown runner '{name}' (known: {', '.join(RUNNERS)})") from None


def runner_class(name: str) -> type:
    """The runner class registered under ``name``, imported now."""
    module, _, cls = entry(name).runner.partition(":")
    return getattr(importlib.import_module(module), cls)
