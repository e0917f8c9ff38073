"""The errors the spec launcher raises, in one module every other one can import.

Why this exists: loading the spec, converting values, parsing filters and running tasks all
report failures the same way (``RunIrError``, a ``TfxkitError`` the CLI prints as one paragraph);
keeping the class apart from the launcher avoids import cycles between the small modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfxkit.errors import EXIT_FAILED, TfxkitError

if TYPE_CHECKING:
    from tfxkit.runners.spec_launcher.launcher import IrRunSummary


class RunIrError(TfxkitError, RuntimeError):
    """A compiled pipeline could not be run; ``summary`` holds what ran before it stopped."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, summary: IrRunSummary | None = None) -> None:
        super().__init__(message)
        self.summary = summary


class TaskFailed(RunIrError):
    """A task's process or its outputs failed; the launcher records it and names the task.

    Raised by the task handlers with the bare reason; the launcher turns it into the
    ``RunIrError`` the user sees (``task 'x' failed: <reason>``, with the run's summary).
    """
