"""An unchanged re-run in well under a second: report the last run without importing TFX.

Why: a cached TFX run of an unchanged pipeline still imports TensorFlow, TFX and Beam (about
20 s here) only to find every component cached. After each complete local run tfxkit records
a key of everything the run depended on, and the store as the run left it, in
``<workspace>/<name>/last_run.json``. A later run whose key matches, while the store is exactly
as that run left it, prints the recorded summary instead of running.

The key: the validated config (overrides applied), the pipeline file and the source of what it
imports, transitively (tfxkit's own tree; the user's modules by content; installed packages by
version),
code referenced from the config (``preprocessing_fn``, ``run_fn``), every input file's path,
size and modification time, the machine's cores and memory (they pick the Beam settings), and
the Python that runs it, and the files of ``batch.data`` when the run scores a batch. Any
doubt means a normal run, which TFX's own cache then makes cheap:
a remote or MySQL store, remote data, warm starts (the trainer re-runs by design), a module
that cannot be found, a missing record or store, a store touched since, or an output of the run
or the pushed model whose content changed on disk (their digests are recorded with the key;
the real run's cache check then says what changed and re-runs it: ``metadata.cache_guard``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.data.inventory import DataInventory, take_inventory
from tfxkit.fingerprint import code_fingerprint, file_fingerprint
from tfxkit.metadata import digests
from tfxkit.runners.beam_settings import Machine
from tfxkit.runners.summary import RunSummary

RECORD_FILE = "last_run.json"
# The whole tfxkit package (this module is tfxkit/runners/rerun.py): every file of it is keyed.
TFXKIT_ROOT = Path(__file__).resolve().parents[1]
_FORMAT = 2  # 2: outputs' digests recorded


class Doubt(Exception):
    """Something the key cannot vouch for: run normally."""


def record_path(config: PipelineConfig) -> Path:
    return Path(config.run_dir) / RECORD_FILE


def run_key(
    config: PipelineConfig, pipeline_file: str | None, inventory: DataInventory | None = None
) -> str | None:
    """Hex key of everything a local run depends on, or None when it cannot be vouched for.
    ``inventory``: the run's listing of its input (taken here when not given)."""
    try:
        inventory = inventory or take_inventory(config)
        parts = {
            "format": _FORMAT,
            "python": sys.executable,
            "config": config.model_dump(mode="json", by_alias=True),
            "tfxkit": _tree_digest(TFXKIT_ROOT),
            "pipeline": _pipeline_digest(pipeline_file),
            "code": [
                _reference_digest(ref)
                for ref in (config.transform.preprocessing_fn, config.training.run_fn)
                if ref
            ],
            "data": _data_stamp(inventory),
            "machine": list(vars(Machine.here()).values()),
        }
        if config.training.warm_start:
            raise Doubt("warm_start re-trains on every run")
        if config.batch:  # a batch scored after the push is an input too (issue 30 #6)
            parts["batch"] = _batch_stamp(config.batch.data)
        _store_file(config)
    except (Doubt, OSError, ValueError, SyntaxError, UnicodeDecodeError):
        return None
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def unchanged_summary(config: PipelineConfig, key: str | None) -> RunSummary | None:
    """The recorded summary when ``key`` matches the last complete run and the store is as that
    run left it; else None (run normally)."""
    if key is None:
        return None
    try:
        record = json.loads(record_path(config).read_text())
        if record.get("key") != key or record.get("store") != _store_stamp(config):
            return None
        summary = RunSummary.from_dict(record["summary"])
        outputs = dict(record["outputs"])
    except (OSError, ValueError, KeyError, TypeError, Doubt):
        return None
    if summary.failed_component or summary.error:
        return None
    if not all(digests.matches(uri, whole) for uri, whole in outputs.items()):
        return None  # an output or the pushed model changed or went: TFX's run says which
    return summary


def forget(config: PipelineConfig) -> None:
    """Drop the record before a run starts, so an interrupted run never leaves one behind."""
    record_path(config).unlink(missing_ok=True)


def remember(config: PipelineConfig, key: str | None, summary: RunSummary) -> None:
    """Record a complete run (written atomically; the store is stamped after the run)."""
    if key is None or summary.failed_component or summary.error:
        return
    try:
        outputs = _output_digests(config, summary)
        store = _store_stamp(config)  # after reading the store
    except Exception:  # noqa: BLE001 - any doubt (an unreadable store or output): no record
        return
    target = record_path(config)
    partial = target.with_name(f".{target.name}.partial")
    record = {"key": key, "store": store, "summary": summary.as_dict(), "outputs": outputs}
    partial.write_text(json.dumps(record))
    os.replace(partial, target)


def _output_digests(config: PipelineConfig, summary: RunSummary) -> dict[str, str]:
    """{path: digest} of every local output the run used (from ML Metadata, read-only) and of
    the pushed model: the shortcut must not report a run whose outputs were damaged since."""
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    from tfxkit.metadata.cache_guard import run_outputs

    conn = metadata_store_pb2.ConnectionConfig()
    conn.sqlite.filename_uri = str(_store_file(config))
    conn.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    outputs = run_outputs(metadata_store.MetadataStore(conn), summary.run_id)
    pushed = summary.pushed_path
    if pushed and digests.is_local(pushed):
        outputs[pushed] = digests.digest(pushed).whole
    return outputs


def _store_file(config: PipelineConfig) -> Path:
    if config.metadata.mysql:
        raise Doubt("a shared MySQL store may change under us")
    return Path(config.resolved_sqlite_path)


def _store_stamp(config: PipelineConfig) -> list:
    """Size and modification time of the SQLite store and its journals: any write changes them."""
    store = _store_file(config)
    stamp = []
    for path in (
        store,
        store.with_name(store.name + "-wal"),
        store.with_name(store.name + "-journal"),
    ):
        if path.exists():
            info = path.stat()
            stamp.append([path.name, info.st_size, info.st_mtime_ns])
    if not stamp:
        raise Doubt("no store yet")
    return stamp


def _data_stamp(inventory: DataInventory) -> list:
    if inventory.remote:
        raise Doubt("remote data cannot be stamped cheaply")
    stamp = inventory.stamp()
    if not stamp:
        raise Doubt("no input files")
    return stamp


def _batch_stamp(data: str) -> list:
    """Path, size and modification time of the batch's files (``batch.data``)."""
    if "://" in data:
        raise Doubt("a remote batch cannot be stamped cheaply")
    path = Path(data)
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    return [[str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns] for f in files]


def _tree_digest(root: Path) -> str:
    """Every Python file of a package tree (symlinked component packages included)."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = Path(folder) / name
                digest.update(f"\0{path.relative_to(root)}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def _pipeline_digest(pipeline_file: str | None) -> str | None:
    """The pipeline file and its whole import closure (``fingerprint.file_fingerprint``): the
    modules beside it, what they import in turn, installed packages by version."""
    if not pipeline_file:
        return None  # the standard pipeline is tfxkit's own code (its tree is in the key)
    try:
        return file_fingerprint(pipeline_file)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as exc:
        raise Doubt(f"cannot fingerprint {pipeline_file}: {exc}") from None


def _reference_digest(reference: str) -> str:
    try:
        return code_fingerprint(reference)
    except ValueError as exc:
        raise Doubt(str(exc)) from None
