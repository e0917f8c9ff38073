"""Checks a local run makes before TensorFlow or TFX load: a mistake in the data or the push
destination is reported in about a second, not after half a minute of imports.

Why here: ``tfxkit.data.checks`` reads only the header and the rows (standard library and
pyarrow), and a destination check only the filesystem; the local runner imports TFX at module
level, so the session runs these first (``tfxkit.runners.session``) and the runner skips them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.data.checks import check_local_data
from tfxkit.data.inventory import DataInventory
from tfxkit.errors import ConfigError, MetadataStoreError


def check_before_tfx(config: PipelineConfig, inventory: DataInventory) -> None:
    """The input data, the push destination and a SQLite store's folder, each failing with one
    paragraph."""
    check_local_data(config, inventory)
    check_workspace(config)
    check_push_destination(config)
    check_store_location(config)


def check_workspace(config: PipelineConfig) -> None:
    """Every output of a run lives under the pipeline root (the workspace by default): an
    unwritable one is said as such, not as the first place that happens to need it."""
    root = config.resolved_pipeline_root
    if "://" in root:
        return
    reason = _unwritable(Path(root).absolute())
    if reason:
        raise ConfigError(
            f"workspace: cannot write the run's outputs under {root} ({reason}); pick a "
            "writable folder with workspace: (or --set workspace=DIR); nothing was run"
        )


def check_store_location(config: PipelineConfig) -> None:
    """A SQLite store must be creatable and writable where it is configured: MLMD's own error
    for an unwritable path is its CREATE TABLE statement (issue 28)."""
    if config.metadata.mysql:
        return  # a server: its client says what is wrong, with the host
    store = Path(config.resolved_sqlite_path).absolute()
    reason = _unwritable(store.parent)
    if not reason and store.exists() and not os.access(store, os.R_OK | os.W_OK):
        reason = f"{store} exists but cannot be read and written by this user"
    if reason:
        raise MetadataStoreError(
            f"metadata.sqlite.path: cannot keep the ML Metadata store at {store} ({reason}); "
            "nothing was run"
        )


def check_push_destination(config: PipelineConfig) -> None:
    """A local push destination must be writable before hours of training, not after.

    Checked without writing anything: the destination, or its nearest existing ancestor (the
    pusher creates the rest), must be a writable directory.
    """
    destination = config.resolved_push_destination
    if "://" in destination:
        return  # remote storage: checked by its client at push time
    reason = _unwritable(Path(destination).absolute())
    if reason:
        raise ConfigError(
            f"push.destination: cannot write to {destination} ({reason}); nothing was run"
        )


def _unwritable(folder: Path) -> str:
    """Why ``folder`` cannot be created and written, or ''. Checked without leaving anything:
    its nearest existing ancestor must be a writable directory (the rest is created later)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    try:  # os.access trusts mode bits; /proc, read-only mounts and ACLs need a real probe
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".tfxkit-write-check-"):
            pass
    except OSError as exc:
        return f"{existing} is not writable: {exc.strerror or exc}"
    return ""
