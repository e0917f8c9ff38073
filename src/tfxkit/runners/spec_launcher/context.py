"""The run in progress, as every task handler sees it.

Why this exists: the container, resolver and importer handlers all need the same few facts
about the current run (the spec, the pipeline root and run id, the artifact index, the extra
environment, whether caching is on); one object passed to each keeps their signatures short
and their state out of the DAG loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfxkit.runners.spec_launcher.artifacts import ArtifactIndex, Artifacts
from tfxkit.runners.spec_launcher.placeholders import PlaceholderScope
from tfxkit.runners.spec_launcher.spec import CompiledSpec

Progress = Callable[[str], None]


@dataclass
class RunContext:
    """One run of one compiled pipeline under one local pipeline root."""

    pipeline: CompiledSpec
    root: Path
    run_id: str
    index: ArtifactIndex
    progress: Progress
    extra_env: dict[str, str]
    enable_cache: bool
    # A task's "started" line, printed only once a process really starts (not on a cache hit).
    pending_announcement: str | None = None

    @property
    def run_dir(self) -> Path:
        return self.root / self.pipeline.name / self.run_id

    def artifact_prefix(self, task: str) -> str:
        """Name prefix of the artifacts ``task`` creates in this run."""
        return f"run_ir/{self.pipeline.name}/{self.run_id}/{task}"

    def announce(self) -> None:
        """Print the pending "started" line, once."""
        if self.pending_announcement:
            self.progress(self.pending_announcement)
            self.pending_announcement = None

    def scope(
        self, task: str, inputs: Artifacts, outputs: Artifacts, executor_input: dict[str, Any]
    ) -> PlaceholderScope:
        """What ``task``'s placeholders can refer to."""
        return PlaceholderScope(
            task, self.pipeline.name, self.run_id, self.root, inputs, outputs, executor_input
        )
