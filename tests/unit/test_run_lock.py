"""The run lock: a second holder waits or fails fast naming the first; MySQL's too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.paths import PENGUIN_CONFIG
from tfxkit.config.pipeline_config import load_config
from tfxkit.metadata.lock import RunLocked, run_lock


def _config(tmp_path: Path, *extra: str):
    return load_config(PENGUIN_CONFIG, [f"workspace={tmp_path}", *extra])


def test_a_second_run_on_the_workspace_fails_fast_naming_the_holder(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with run_lock(config, "run-1", progress=lambda _line: None):
        with pytest.raises(RunLocked) as caught:
            with run_lock(config, "run-2", wait=False):
                pass
    assert f"run run-1 (pid {os.getpid()}" in str(caught.value)
    assert caught.value.exit_code == 3
    with run_lock(config, "run-3", wait=False):  # released on exit
        pass


def test_two_workspaces_sharing_one_sqlite_store_exclude_each_other(tmp_path: Path) -> None:
    """Issue 31: two workspaces, one ``metadata.sqlite.path``: the second run marked the first
    run's live Transform abandoned and both pushed. The lock is beside the store now."""
    shared = f"metadata.sqlite.path={tmp_path / 'shared' / 'metadata.sqlite'}"
    one = _config(tmp_path / "a", shared)
    other = _config(tmp_path / "b", shared)
    with run_lock(one, "run-a", progress=lambda _line: None):
        with pytest.raises(RunLocked, match=r"run run-a \(pid .*holds pipeline 'penguin' in the"):
            with run_lock(other, "run-b", wait=False):
                pass
        with run_lock(_config(tmp_path / "c"), "run-c", wait=False):  # its own store: runs
            pass
    with run_lock(other, "run-d", wait=False):
        pass


def test_the_shared_store_lock_excludes_a_second_connection(tmp_path: Path) -> None:
    target = os.environ.get("TFXKIT_TEST_MYSQL")
    if not target:
        pytest.skip('no MariaDB: run `eval "$(bash .ci/start-mariadb.sh)"` (CI does)')
    hostport, database, user = target.split("/")
    host, port = hostport.split(":")
    mysql = (
        f"metadata.mysql={{host: '{host}', port: {port}, database: {database}, user: {user}, "
        "password_env: TFXKIT_MYSQL_PASSWORD}"
    )
    one = _config(tmp_path / "a", mysql, "name=lock-check")
    other_machine = _config(tmp_path / "b", mysql, "name=lock-check")  # another workspace
    with run_lock(one, "run-a"):
        with pytest.raises(RunLocked, match=r"run run-a \(pid .*holds pipeline 'lock-check'"):
            with run_lock(other_machine, "run-b", wait=False):
                pass
    with run_lock(other_machine, "run-c", wait=False):
        pass
