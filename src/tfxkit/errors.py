"""Errors a user can act on; the CLI prints them as one paragraph and exits non-zero.

Every user-facing error derives from ``TfxkitError`` so the CLI catches one class and formats
it one way (``format_error``). ``exit_code`` says how the process ends: 2 for input the user
must fix before anything runs (config, pipeline file, data, store), 1 for work that started and
failed (a component, a remote API, a compiled-spec task).

Kept free of heavy imports so the CLI can catch them before TensorFlow or TFX load.
"""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_USAGE = 2


class TfxkitError(Exception):
    """Base of every error tfxkit reports to a user; the message is the whole explanation."""

    exit_code = EXIT_FAILED
    hint = ""  # appended by format_error, e.g. where to look for more detail


class ConfigError(TfxkitError, ValueError):
    """A pipeline config is unreadable or invalid; the message names file and key path."""

    exit_code = EXIT_USAGE


class PipelineDefinitionError(TfxkitError, ValueError):
    """A pipeline file or its graph is malformed (bad file, missing factory, duplicate id)."""

    exit_code = EXIT_USAGE


class DataError(TfxkitError, ValueError):
    """The configured input data cannot feed the pipeline (missing files or columns)."""

    exit_code = EXIT_USAGE


class MetadataStoreError(TfxkitError, RuntimeError):
    """The ML Metadata store cannot be opened (wrong credentials, server down, bad path)."""

    exit_code = EXIT_USAGE


class ServingError(TfxkitError, ValueError):
    """A serving request tfxkit refuses: a label on a missing or unblessed version, no model."""

    exit_code = EXIT_USAGE


class RemoteError(TfxkitError, RuntimeError):
    """A remote orchestrator (Kubeflow Pipelines, Vertex AI) refused or could not be reached."""


def one_line(exc: BaseException) -> str:
    """The informative last line of an exception (TF errors carry pages of traced frames)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    error_lines = [line for line in lines if "Error:" in line]
    text = (error_lines or lines or [""])[-1]
    if len(text) > 400:
        text = text[:400] + "..."
    return text if "Error:" in text else f"{type(exc).__name__}: {text}"


class PipelineRunError(TfxkitError, RuntimeError):
    """A component failed; ``node_id`` names it."""

    hint = "run again with --verbose for TFX's logs and the traceback"

    def __init__(self, node_id: str, cause: BaseException, message: str | None = None) -> None:
        super().__init__(message or f"component '{node_id}' failed: {one_line(cause)}")
        self.node_id = node_id
        self.cause = cause


class Interrupted(TfxkitError):
    """SIGINT or SIGTERM stopped a run; the interrupted execution was canceled and cleaned."""

    exit_code = 130
    hint = ""
    prefix = ""  # the message is the whole line

    def __init__(self, node_id: str | None) -> None:
        where = f" during {node_id}" if node_id else ""
        super().__init__(f"interrupted{where}; re-run to resume: completed components are cached")
        self.node_id = node_id


class AnomaliesFound(DataError):
    """Data validation found anomalies that ``validation`` says must stop the run.

    ``rows``: ``{"split", "feature", "anomaly", "severity", "description"}`` each, for the
    summary JSON; the message is the same rows as a table.
    """

    hint = (
        "nothing was trained or pushed; fix the data, or, when the change is expected (a new, "
        "renamed or removed column, new categories), review and accept it into the schema of "
        "record: `tfxkit schema accept -c CONFIG`, then again with --yes --reason TEXT; "
        "validation.severity only silences a check (the anomalies artifact is kept in ML "
        "Metadata)"
    )

    shift_hint = (
        "nothing was trained or pushed; the data's distribution moved: check its source, or, when "
        "the shift is expected, approve it as each row says (validation.severity for one run); "
        "the schema is unchanged, so `tfxkit schema accept` has nothing to accept"
    )

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self.rows = rows
        if rows and all(r.get("anomaly") in SHIFT_ANOMALIES for r in rows):
            self.hint = self.shift_hint  # issue 22: drift alone is no schema change
        super().__init__(
            f"{len(rows)} data anomal{'y' if len(rows) == 1 else 'ies'} stop "
            f"the run:\n{anomaly_table(rows)}\n"
        )


# The anomaly gate's distribution checks (components/anomaly_gate/shift.py names them).
SHIFT_ANOMALIES = ("DISTRIBUTION_DRIFT", "DISTRIBUTION_SKEW")


def anomaly_table(rows: list[dict[str, str]]) -> str:
    """Aligned columns: split, feature, anomaly, description (one row per anomaly)."""
    columns = ("split", "feature", "anomaly", "description")
    cells = [list(columns)] + [[str(r[c]) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns) - 1)]
    return "\n".join(
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in cells
    )


def format_error(exc: BaseException) -> str:
    """The one paragraph the CLI prints for any error (``error: ...``)."""
    if isinstance(exc, TfxkitError):
        text, prefix = str(exc), getattr(exc, "prefix", "error: ")
        return f"{prefix}{text} ({exc.hint})" if exc.hint else f"{prefix}{text}"
    return f"error: {type(exc).__name__}: {exc} (run again with --verbose for the traceback)"


def exit_code(exc: BaseException) -> int:
    return exc.exit_code if isinstance(exc, TfxkitError) else EXIT_FAILED


__all__ = [
    "AnomaliesFound",
    "Interrupted",
    "anomaly_table",
    "ConfigError",
    "DataError",
    "EXIT_FAILED",
    "EXIT_USAGE",
    "MetadataStoreError",
    "PipelineDefinitionError",
    "PipelineRunError",
    "RemoteError",
    "TfxkitError",
    "exit_code",
    "format_error",
    "one_line",
]
