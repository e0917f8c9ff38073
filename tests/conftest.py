"""Shared fixtures. Paths live in tests/paths.py; no test module imports another's fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests.paths import PENGUIN_DATA  # noqa: E402


@pytest.fixture
def penguin_overrides(tmp_path: Path) -> list[str]:
    """--set overrides that keep every output of a run under tmp_path."""
    return [f"workspace={tmp_path / 'ws'}", f"data.path={PENGUIN_DATA}"]


@pytest.fixture(scope="session")
def penguin_workspace(tmp_path_factory) -> Path:
    """One workspace for the session's penguin runs: the cold run, then tests that build on it."""
    return tmp_path_factory.mktemp("penguin") / "ws"


@pytest.fixture(scope="session")
def penguin_cold_run(penguin_workspace: Path) -> dict:
    """The standard penguin pipeline, run once per session from a clean workspace."""
    import json

    from tests.pipeline_runs import run_pipeline

    summary_path = penguin_workspace.parent / "cold.json"
    result = run_pipeline(penguin_workspace, summary=summary_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"stdout": result.stdout, "summary": json.loads(summary_path.read_text())}
