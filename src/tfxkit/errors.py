"""Errors a user can act on; the CLI prints them as one paragraph and exits non-zero.

Kept free of heavy imports so the CLI can catch them before TensorFlow or TFX load.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A pipeline config is unreadable or invalid; the message names file and key path."""


class PipelineDefinitionError(ValueError):
    """A pipeline file or its graph is malformed (bad file, missing factory, duplicate id)."""


class DataError(ValueError):
    """The configured input data cannot feed the pipeline (missing files or columns)."""


class MetadataStoreError(RuntimeError):
    """The ML Metadata store cannot be opened (wrong credentials, server down, bad path)."""


def one_line(exc: BaseException) -> str:
    """The informative last line of an exception (TF errors carry pages of traced frames)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    error_lines = [line for line in lines if "Error:" in line]
    text = (error_lines or lines or [""])[-1]
    if len(text) > 400:
        text = text[:400] + "..."
    return text if "Error:" in text else f"{type(exc).__name__}: {text}"


class PipelineRunError(RuntimeError):
    """A component failed; ``node_id`` names it."""

    def __init__(self, node_id: str, cause: BaseException) -> None:
        super().__init__(f"component '{node_id}' failed: {one_line(cause)}")
        self.node_id = node_id
        self.cause = cause
