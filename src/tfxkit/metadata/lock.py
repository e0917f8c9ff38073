"""One run per pipeline at a time: locks held by the live process, released on any exit.

Why: two runs into one workspace both did all the work and pushed two versions; two runs from
two workspaces into one shared store marked each other's live executions abandoned. So a run
holds two locks, always in this order (no two runs can wait on each other):

1. the workspace's: ``flock`` on ``<workspace>/<name>/.tfxkit-run.lock`` (outputs live there);
2. the store's, where the records are: for SQLite ``flock`` on a file beside the database
   (``.<db file>.tfxkit-<name>.lock``), for MySQL/MariaDB the server's named lock
   ``GET_LOCK('tfxkit:<name>')``, so runs on different machines exclude each other too.

The kernel releases a ``flock`` when the process dies, even by SIGKILL; the server releases a
named lock when the holding connection closes. The holder (pid, host, run id, start time) is
written beside each lock so a waiting or refused run can name it. Executions left unfinished
are marked abandoned only under both locks: no live run can own them then.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.errors import TfxkitError

LOCK_FILE = ".tfxkit-run.lock"
HOLDERS_TABLE = "tfxkit_run_locks"


class RunLocked(TfxkitError):
    """Another live run holds this pipeline's lock and the caller chose not to wait."""

    exit_code = 3
    hint = "wait for it (run again without --no-wait) or stop it; a dead holder's lock is freed"


def _holder(run_id: str) -> dict[str, str | int]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "run_id": run_id,
        "since": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def describe(holder: dict | None) -> str:
    if not holder:
        return "another run"
    return (
        f"run {holder.get('run_id')} (pid {holder.get('pid')} on {holder.get('host')}, "
        f"since {holder.get('since')})"
    )


@contextlib.contextmanager
def run_lock(
    config: PipelineConfig, run_id: str, *, wait: bool = True, progress: Callable = print
) -> Iterator[None]:
    """Hold the pipeline's run locks for the ``with`` body (wait for them, or fail fast)."""
    workspace = _FileLock(Path(config.run_dir) / LOCK_FILE, f"the workspace {config.run_dir}")
    if config.metadata.mysql:
        store = _MySqlLock(config)
    else:
        database = Path(config.resolved_sqlite_path).absolute()
        store = _FileLock(
            database.with_name(f".{database.name}.tfxkit-{config.name}.lock"),
            f"pipeline '{config.name}' in the store {database}",
        )
    with workspace.held(run_id, wait, progress), store.held(run_id, wait, progress):
        yield


class _FileLock:
    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what

    @contextlib.contextmanager
    def held(self, run_id: str, wait: bool, progress: Callable) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = describe(_read_json(self.path))
                if not wait:
                    raise RunLocked(f"{holder} holds {self.what}; nothing was run") from None
                progress(f"[tfxkit] waiting for {holder}, which holds {self.what}")
                fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(_holder(run_id)))
            handle.flush()
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text() or "null")
    except (OSError, ValueError):
        return None


class _MySqlLock:
    def __init__(self, config: PipelineConfig) -> None:
        self.mysql = config.metadata.mysql
        self.name = f"tfxkit:{config.name}"[:64]
        self.what = f"pipeline '{config.name}' in the shared store {self.mysql.host}"

    def _connect(self):
        import pymysql

        return pymysql.connect(
            host=self.mysql.host,
            port=self.mysql.port,
            user=self.mysql.user,
            password=self.mysql.password(),
            database=self.mysql.database,
            autocommit=True,
        )

    @contextlib.contextmanager
    def held(self, run_id: str, wait: bool, progress: Callable) -> Iterator[None]:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {HOLDERS_TABLE} "
                    "(name VARCHAR(64) PRIMARY KEY, holder TEXT NOT NULL)"
                )
                if not self._try(cursor, 0):
                    holder = describe(self._holder(cursor))
                    if not wait:
                        raise RunLocked(f"{holder} holds {self.what}; nothing was run")
                    progress(f"[tfxkit] waiting for {holder}, which holds {self.what}")
                    while not self._try(cursor, 60):
                        pass
                cursor.execute(
                    f"REPLACE INTO {HOLDERS_TABLE} (name, holder) VALUES (%s, %s)",
                    (self.name, json.dumps(_holder(run_id))),
                )
            yield
        finally:
            with contextlib.suppress(Exception):
                with connection.cursor() as cursor:
                    cursor.execute("SELECT RELEASE_LOCK(%s)", (self.name,))
            connection.close()

    def _try(self, cursor, seconds: int) -> bool:
        cursor.execute("SELECT GET_LOCK(%s, %s)", (self.name, seconds))
        return cursor.fetchone()[0] == 1

    def _holder(self, cursor) -> dict | None:
        cursor.execute(f"SELECT holder FROM {HOLDERS_TABLE} WHERE name = %s", (self.name,))
        row = cursor.fetchone()
        return json.loads(row[0]) if row else None


__all__ = ["LOCK_FILE", "RunLocked", "describe", "run_lock"]
