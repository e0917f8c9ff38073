"""The one interface the CLI's remote verbs use, whichever orchestrator runs the pipeline.

Kubeflow Pipelines and Vertex AI differ in their APIs, ids and URLs, not in what tfxkit asks
of them: start one run of a compiled package, keep a named cron schedule in step with a
package, and list, pause, resume or delete such schedules. Each adapter translates these calls
to its API; what both share (the schedule key, fingerprint, cron rules and the apply
algorithm) lives in :mod:`tfxkit.runners.backends.schedules`, written once.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class Compiled(Protocol):
    """What a backend needs of a compiled pipeline (``runners.kubeflow.CompiledPipeline``)."""

    @property
    def path(self) -> Path: ...

    @property
    def pipeline_name(self) -> str: ...

    @property
    def pipeline_root(self) -> str: ...


class ScheduleState(str, enum.Enum):
    """Whether a schedule starts runs; the same words on every backend."""

    ENABLED = "enabled"
    PAUSED = "paused"
    COMPLETED = "completed"  # Vertex only: past its end time or run count, never runs again


class ScheduleAction(str, enum.Enum):
    """What applying a schedule did (see ``schedules`` for when each happens)."""

    CREATED = "created"
    UNCHANGED = "unchanged"
    REPLACED = "replaced"
    DEDUPLICATED = "deduplicated"


@dataclass(frozen=True)
class SubmittedRun:
    """A run started on the backend: its id there and a page a person can open."""

    id: str
    url: str


@dataclass(frozen=True)
class ScheduleInfo:
    """A schedule keyed ``<pipeline_name>:<schedule_name>`` on the backend.

    ``cron`` is the standard 5-field form tfxkit takes (a backend's own spelling is converted
    back where it can be); ``fingerprint`` is empty for schedules tfxkit did not create.
    """

    schedule_id: str
    pipeline_name: str
    schedule_name: str
    cron: str
    state: ScheduleState
    fingerprint: str


@dataclass(frozen=True)
class ScheduleResult:
    """What ``apply_schedule`` did and the id of the one schedule left under the key."""

    action: ScheduleAction
    schedule_id: str


class RemoteBackend(abc.ABC):
    """A remote orchestrator; every failure is a ``tfxkit.errors.RemoteError`` paragraph."""

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the backend talks to, for messages (a URL, or a project and region)."""

    @abc.abstractmethod
    def submit(
        self, compiled: Compiled, *, enable_caching: bool, run_name: str | None = None
    ) -> SubmittedRun:
        """Start one run of the compiled package (``run_name``: its display name, if given)."""

    @abc.abstractmethod
    def apply_schedule(
        self, compiled: Compiled, schedule_name: str, cron: str, *, enable_caching: bool
    ) -> ScheduleResult:
        """Make the schedule ``<pipeline>:<schedule_name>`` run this package on ``cron``."""

    @abc.abstractmethod
    def list_schedules(self, pipeline_name: str | None = None) -> list[ScheduleInfo]:
        """tfxkit-managed schedules (optionally of one pipeline), sorted by key then id."""

    @abc.abstractmethod
    def pause(self, pipeline_name: str, schedule_name: str) -> ScheduleInfo:
        """Stop new runs of the schedule; it keeps its definition."""

    @abc.abstractmethod
    def resume(self, pipeline_name: str, schedule_name: str) -> ScheduleInfo:
        """Start new runs of a paused schedule again."""

    @abc.abstractmethod
    def delete(self, pipeline_name: str, schedule_name: str) -> None:
        """Delete every schedule under the key; runs they already started are kept."""


def one_paragraph(value: object, limit: int = 300) -> str:
    """``value`` as one line of at most ``limit`` characters, for a server's or SDK's text."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Connection:
    """Where to reach a backend, from the command line: ``host`` is KFP's API URL (overrides
    the profile's ``kubeflow.host``); ``endpoint`` and ``credentials`` are Vertex's (default:
    Google's regional endpoint and Application Default Credentials)."""

    host: str | None = None
    endpoint: str | None = None
    credentials: Any = None
