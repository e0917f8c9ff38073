"""Helpers for tests that run real pipelines as a user would (the ``run-pipeline`` command)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.paths import PENGUIN_CONFIG, PENGUIN_DATA, PENGUIN_PIPELINE, REPO

RUN_PIPELINE = str(Path(sys.executable).parent / "run-pipeline")


def run_pipeline(
    workspace: Path,
    *extra: str,
    pipeline: Path | None = PENGUIN_PIPELINE,
    config: Path = PENGUIN_CONFIG,
    data: Path | None = PENGUIN_DATA,
    summary: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """``run-pipeline`` in a subprocess with every output under ``workspace``."""
    cmd = [RUN_PIPELINE, *([str(pipeline)] if pipeline else []), "--config", str(config)]
    cmd += ["--runner", "beam", "--set", f"workspace={workspace}"]
    if data is not None:
        cmd += ["--set", f"data.path={data}"]
    cmd += list(extra)
    if summary:
        cmd += ["--summary-json", str(summary)]
    full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=full_env, check=False)


def sqlite_store(path: Path):
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    conn = metadata_store_pb2.ConnectionConfig()
    conn.sqlite.filename_uri = str(path)
    return metadata_store.MetadataStore(conn)


def executions(workspace: Path, pipeline_name: str, run_id: str) -> dict:
    """{node id: NodeExecution} of one run, read from the workspace's MLMD."""
    from tfxkit.metadata.store import run_executions

    store = sqlite_store(workspace / pipeline_name / "metadata.sqlite")
    return {e.node_id: e for e in run_executions(store, pipeline_name, run_id)}


def versions(serving_dir: Path) -> list[int]:
    """Numeric model versions under a serving base directory (what TF Serving would load)."""
    if not serving_dir.is_dir():
        return []
    return sorted(int(p.name) for p in serving_dir.iterdir() if p.name.isdigit())
