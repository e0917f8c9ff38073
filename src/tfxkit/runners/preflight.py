"""Checks a local run makes before TensorFlow or TFX load: a mistake in the data or the push
destination is reported in about a second, not after half a minute of imports.

Why here: ``tfxkit.data.checks`` reads only the header and the rows (standard library and
pyarrow), and a destination check only the filesystem; the local runner imports TFX at module
level, so the session runs these first (``tfxkit.runners.session``) and the runner skips them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.data.checks import check_local_data
from tfxkit.data.inventory import DataInventory
from tfxkit.errors import ConfigError


def check_before_tfx(config: PipelineConfig, inventory: DataInventory) -> None:
    """The input data and the push destination, each failing with one paragraph."""
    check_local_data(config, inventory)
    check_push_destination(config)


def check_push_destination(config: PipelineConfig) -> None:
    """A local push destination must be writable before hours of training, not after.

    Checked without writing anything: the destination, or its nearest existing ancestor (the
    pusher creates the rest), must be a writable directory.
    """
    destination = config.resolved_push_destination
    if "://" in destination:
        return  # remote storage: checked by its client at push time
    existing = Path(destination).absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    reason = f"{existing} is not a directory" if not existing.is_dir() else ""
    if not reason:
        try:  # os.access trusts mode bits; /proc, read-only mounts and ACLs need a real probe
            with tempfile.NamedTemporaryFile(dir=existing, prefix=".tfxkit-write-check-"):
                pass
        except OSError as exc:
            reason = f"{existing} is not writable: {exc.strerror or exc}"
    if reason:
        raise ConfigError(
            f"push.destination: cannot write to {destination} ({reason}); nothing was run"
        )
