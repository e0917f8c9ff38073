"""TFRecord files of encoded images (``data.format: images`` with ``DIR/*.tfrecord``).

Why a second image layout: datasets shipped as tf.Example records (TFDS exports, earlier TFX
pipelines, other tools) hold the encoded PNG or JPEG bytes and a label already; converting them
to a folder tree would be a lossless but needless detour. ImageExampleGen reads them directly
and writes the same features as for a folder tree, so validation, Transform and training do not
know the difference.

Why no TensorFlow here: the pre-run check (``tfxkit.data.checks``) runs before TensorFlow loads.
It reads the files' TFRecord framing (a little-endian uint64 length, its CRC, the data, its
CRC): a truncated file and a folder of empty files fail before the run; the records' contents
(the image and the label of each) are checked by ImageExampleGen's executor, naming the record.
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

from tfxkit.errors import DataError

RECORD_SUFFIXES = (".tfrecord", ".tfrecords", ".tfrecord.gz", ".tfrecords.gz")
RECORD_PATTERN = "*.tfrecord*"  # ImageExampleGen's input pattern for a folder of records


def is_record_file(path: str) -> bool:
    return os.path.basename(path).lower().endswith(RECORD_SUFFIXES)


def is_gzipped(path: str) -> bool:
    return path.lower().endswith(".gz")


def record_files(folder: str | os.PathLike[str], pattern: str | None = None) -> list[Path]:
    """The TFRecord files of an image input: those directly in ``folder`` (or matching
    ``pattern``), sorted; none for a folder tree. A folder holding both records and class
    folders is a ``DataError``: which one is the data would be a guess."""
    base = Path(folder)
    if "://" in str(folder) or not base.is_dir():
        return []
    if pattern:
        from tfxkit.data.csv_dialect import input_files

        return sorted(p for p in input_files(base, pattern) if is_record_file(str(p)))
    visible = [p for p in base.iterdir() if not p.name.startswith(".")]
    files = sorted(p for p in visible if p.is_file() and is_record_file(p.name))
    folders = sorted(p.name for p in visible if p.is_dir())
    if files and folders:
        raise DataError(
            f"data.path: {base} holds both TFRecord files ({files[0].name}) and folders "
            f"({', '.join(folders[:3])}); keep one layout: class folders of images, or "
            "TFRecord files of tf.Examples"
        )
    return files


def count_records(path: str | os.PathLike[str]) -> int:
    """The number of records in one TFRecord file, reading its framing through; a file cut
    inside a record or not gzipped as its name says is a ``DataError`` naming it."""
    opener = gzip.open if is_gzipped(str(path)) else open
    count = 0
    try:
        with opener(path, "rb") as handle:
            while header := handle.read(12):
                if len(header) < 12:
                    raise DataError(_truncated(path, count))
                (length,) = struct.unpack("<Q", header[:8])
                body = handle.read(length + 4)
                if len(body) < length + 4:
                    raise DataError(_truncated(path, count))
                count += 1
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot be read as a TFRecord file ({exc})") from None
    return count


def _truncated(path: str | os.PathLike[str], complete: int) -> str:
    return (
        f"{path}: a truncated TFRecord file (cut inside record {complete}, after {complete} "
        "complete records); write it again"
    )
