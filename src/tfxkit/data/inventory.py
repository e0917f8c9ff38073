"""The data a run reads, listed once per run: files, CSV header, estimated rows, and a stamp.

Why one inventory: the pre-run checks, the Beam settings (``mode: auto`` decides from the rows),
the unchanged-re-run key and the summary all need the input files; listing them once keeps
those parts agreeing on one list (a file appearing between two listings cannot make the key and
the run disagree) and reads each Parquet footer and CSV sample once. Local data only; for a
remote ``data.path`` the inventory is empty and ExampleGen lists the files itself.

Rows are exact for Parquet (footers) and folder trees of images or text files (a file each:
the files of the class folders are listed), and estimated for CSV and TFRecord (plain or gzip)
from a sample of the first MiB or the first 2,000 records, scaled by the content's bytes.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.data.csv_dialect import input_files, read_header
from tfxkit.errors import DataError

_SAMPLE_BYTES = 1 << 20
FOLDER_FORMATS = ("images", "text_folder")  # one example per file of DIR/<label>/
_SAMPLE_RECORDS = 2000


@dataclass(frozen=True)
class DataInventory:
    """What one run reads (``files`` empty when ``remote``)."""

    path: str
    pattern: str | None
    format: str
    remote: bool
    files: tuple[Path, ...]
    header: tuple[str, ...] | None  # CSV with a header row: the columns every file shares
    rows: int | None  # None: remote, or files that cannot be read (ExampleGen reports them)

    def stamp(self) -> list[list]:
        """Resolved path, size and modification time of every input file (the re-run key)."""
        stamp = []
        for file in self.files:
            info = file.stat()
            stamp.append([str(file.resolve()), info.st_size, info.st_mtime_ns])
        return stamp


def take_inventory(config: PipelineConfig) -> DataInventory:
    """List the run's input once. Raises ``DataError`` for a header that files disagree on."""
    data = config.data
    remote = "://" in data.path
    files: tuple[Path, ...] = ()
    if not remote and Path(data.path).is_dir():
        if data.format in FOLDER_FORMATS:  # DIR/<label>/<file>: the files of the class folders
            files = _class_folder_files(data.path, data.format, data.pattern)
        else:
            files = tuple(input_files(data.path, data.pattern))
    header = None
    if files and data.format == "csv" and data.csv.header:
        header = tuple(read_header(data.path, data.csv, data.pattern))
    rows = None if remote or not files else estimate_rows(files, data.format, bool(header))
    return DataInventory(data.path, data.pattern, data.format, remote, files, header, rows)


def _class_folder_files(path: str, fmt: str, pattern: str | None) -> tuple[Path, ...]:
    """The files of an image or text folder tree; none when the tree is not valid (the
    pre-run check then says why, naming the file)."""
    from tfxkit.data import images, text_folders

    walk = images.list_tree if fmt == "images" else text_folders.list_tree
    try:
        return walk(path, pattern).files
    except DataError:
        return ()


def estimate_rows(files: tuple[Path, ...] | list[Path], fmt: str, header: bool) -> int | None:
    """Input rows: exact for Parquet and folder trees (a file each), estimated from a sample
    for CSV, TFRecord and JSON lines."""
    if fmt in FOLDER_FORMATS:
        return len(files)
    counters = {"parquet": _parquet_rows, "tfrecord": _tfrecord_rows, "jsonl": _line_rows}
    counter = counters.get(fmt, _csv_rows)
    try:
        rows = sum(counter(file) for file in files)
    except (OSError, ValueError, EOFError, struct.error):
        return None
    if fmt == "csv" and header:
        rows -= len(files)
    return max(rows, 0)


def _parquet_rows(file: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(file).metadata.num_rows


def _csv_rows(file: Path) -> int:
    """Records in the file, from the mean record length in its first MiB (whole file when
    smaller). Records, not lines: a quoted cell may span lines (issue 22: 10,535 lines were
    counted for 8,614 records of multi-line text). Any single-byte-safe decoding will do to
    find the quotes and newlines, which are ASCII in every encoding tfxkit reads."""
    size = _uncompressed_size(file)
    with gzip.open(file, "rb") if file.suffix == ".gz" else open(file, "rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    whole = len(sample) >= size
    if not whole:  # a record cut at the end of the sample is not counted
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    text = io.StringIO(sample.decode("latin-1"), newline="")
    records = sum(1 for cells in csv.reader(text) if cells)
    if not records or whole:
        return records
    return round(records * size / len(sample))


def _line_rows(file: Path) -> int:
    """JSON lines: the lines of the file (one object each; quotes do not span lines)."""
    with open(file, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(_SAMPLE_BYTES), b""))


def _uncompressed_size(file: Path) -> int:
    """Bytes of the file's content: gzip's trailer holds it (modulo 4 GiB, one member)."""
    if file.suffix != ".gz":
        return file.stat().st_size
    with open(file, "rb") as handle:
        handle.seek(-4, os.SEEK_END)
        return struct.unpack("<I", handle.read(4))[0]


def _tfrecord_rows(file: Path) -> int:
    """Records, from the framing (8-byte length, 4-byte CRC, data, 4-byte CRC) of the first
    ``_SAMPLE_RECORDS`` records, scaled by the content's bytes."""
    size = _uncompressed_size(file)
    with gzip.open(file, "rb") if file.suffix == ".gz" else open(file, "rb") as handle:
        records = read = 0
        while records < _SAMPLE_RECORDS:
            header = handle.read(12)
            if len(header) < 12:
                return records
            (length,) = struct.unpack("<Q", header[:8])
            handle.seek(length + 4, os.SEEK_CUR)
            records, read = records + 1, read + 16 + length
    return round(records * size / read) if read < size else records
