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


# `make test` runs the suite on two pytest-xdist workers with --dist loadgroup: each test module
# is one group (its module- and session-scoped pipeline runs happen once, on one worker); the
# modules below share a group because they share a session fixture or a server resource.
_SHARED_GROUPS = {
    "test_penguin_e2e": "penguin_session",  # both build on the session's penguin cold run
    "test_serving": "penguin_session",
    "test_optimize": "penguin_session",
    "test_mysql_metadata": "mariadb",  # one MariaDB server, its databases and named locks
    "test_run_lock": "mariadb",
}


def pytest_collection_modifyitems(config, items) -> None:  # noqa: ANN001 - pytest hook
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else item.nodeid
        item.add_marker(pytest.mark.xdist_group(_SHARED_GROUPS.get(module, module)))
