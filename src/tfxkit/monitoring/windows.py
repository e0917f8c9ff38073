"""Logged windows on disk: which is the latest and the one before, and their rows.

A window is one TFRecord file the request log closed (``serving.request_log``); ``.partial``
files are still being written and are never read. A corrupt or empty window is bad input
(``DataError``, exit 2) named by its path, so a scheduler's log says which file to look at.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfxkit.errors import DataError
from tfxkit.serving.request_log import MODEL_VERSION, REQUEST_ID, SUFFIX


def windows(directory: Path) -> list[Path]:
    """Closed windows under ``directory`` (a model's log folder), oldest first (names start
    with their UTC start time)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob(f"*{SUFFIX}") if p.is_file())


def resolve(directory: Path, window: str) -> tuple[Path, Path | None]:
    """(the window to judge, the one before it or None) for ``--window PATH|latest``."""
    found = windows(directory)
    if window == "latest":
        if not found:
            raise DataError(
                f"no logged window under {directory}: serve with monitoring.logging.enabled "
                "(tfxkit serve -c CONFIG) and wait for a window to close "
                "(monitoring.logging.rotate_seconds / rotate_records)"
            )
        return found[-1], found[-2] if len(found) > 1 else None
    path = Path(window)
    if not path.is_file():
        raise DataError(f"--window {window}: no such file (a .tfrecord window of the request log)")
    earlier = [p for p in windows(path.parent) if p.name < path.name]
    return path, earlier[-1] if earlier else None


@dataclass
class Window:
    """The rows of one window as an Arrow RecordBatch (TFDV's input), and their versions."""

    path: Path
    batch: Any  # pyarrow.RecordBatch
    versions: Counter

    @property
    def rows(self) -> int:
        return self.batch.num_rows

    def column(self, name: str) -> list:
        """One value per row (None where the row lacks it) of a one-value column."""
        if name not in self.batch.schema.names:
            return [None] * self.rows
        return [v[0] if v else None for v in self.batch.column(name).to_pylist()]

    def request_ids(self) -> list[str | None]:
        return [v.decode() if isinstance(v, bytes) else v for v in self.column(REQUEST_ID)]


def read(path: Path) -> Window:
    """All rows of a window; ``DataError`` naming the file for a corrupt or empty one."""
    import tensorflow as tf
    from tfx_bsl.coders import example_coder

    records: list[bytes] = []
    try:
        for record in tf.data.TFRecordDataset(str(path)):
            records.append(record.numpy())
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as exc:
        raise DataError(
            f"{path}: the window is corrupt after {len(records)} readable rows "
            f"({str(exc).splitlines()[0]}); nothing was judged. Move the file aside to judge "
            "the next window"
        ) from None
    if not records:
        raise DataError(
            f"{path}: the window holds no rows; nothing was judged (was the log's sample_rate 0, "
            "or no request answered while it was open?)"
        )
    try:
        batch = example_coder.ExamplesToRecordBatchDecoder().DecodeBatch(records)
    except Exception as exc:  # noqa: BLE001 - tfx_bsl raises its own status errors
        raise DataError(f"{path}: rows are not tf.Examples ({exc}); nothing was judged") from None
    window = Window(path, batch, Counter())
    window.versions = Counter(v for v in window.column(MODEL_VERSION) if v is not None)
    return window
