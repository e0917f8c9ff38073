"""The files of a batch: which ones, their format, their columns, and a buffered stream of each.

Split from ``reading``: what is known of a file before its rows are read (the checks that run
before the Beam job), and how a local or remote file is opened without reading it whole.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from collections.abc import Iterator
from typing import Any

from tfxkit.config.sections import CsvDialect
from tfxkit.data.csv_dialect import BOM, columns_of, stream_lines
from tfxkit.errors import DataError


def input_files(path: str) -> list[str]:
    """A file, or the non-hidden files of a directory (sorted); local or remote (fileio)."""
    from tfx.dsl.io import fileio

    if not fileio.exists(path):
        raise DataError(f"--data {path} does not exist")
    if not fileio.isdir(path):
        return [path]
    files = sorted(
        os.path.join(path, name)
        for name in fileio.listdir(path)
        if not name.startswith((".", "_")) and not fileio.isdir(os.path.join(path, name))
    )
    if not files:
        raise DataError(f"--data {path} is a directory without data files")
    return files


def file_format(path: str, default: str) -> str:
    """csv or parquet, by the file's extension, else ``default`` (the config's data.format)."""
    name = path.lower().removesuffix(".gz")
    if name.endswith(".parquet") or name.endswith(".pq"):
        return "parquet"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    if default not in ("csv", "parquet"):
        raise DataError(f"{path}: batch scoring reads CSV or Parquet files, not {default}")
    return default


class _Remote(io.RawIOBase):
    """A remote file (TFX's fileio) as a raw stream, so it is read in buffers, not whole."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.handle.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.handle.seek(offset, whence)
        return self.handle.tell()

    def tell(self) -> int:
        return self.handle.tell()

    def close(self) -> None:
        self.handle.close()
        super().close()


def open_binary(path: str) -> Any:
    """A binary stream of a local or remote file, buffered (never read whole)."""
    if "://" not in path:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    from tfx.dsl.io import fileio

    return io.BufferedReader(_Remote(fileio.open(path, "rb")), 1 << 20)


def text_lines(path: str, dialect: CsvDialect) -> Iterator[str]:
    """The file's lines, decoded, without a byte order mark; a C-level iterator (no Python
    frame per line). An undecodable byte is reported as ``stream_lines`` does."""
    handle = io.TextIOWrapper(open_binary(path), encoding=dialect.encoding, newline="")
    try:
        first = next(handle, "")
    except UnicodeDecodeError:
        handle.close()
        list(stream_lines(lambda: open_binary(path), dialect, path))  # raises naming line and byte
        raise
    return itertools.chain([first.removeprefix(BOM)], handle)


def parquet_file(path: str) -> Any:
    """A ParquetFile: a local path directly (Arrow's reader), a remote one through fileio."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path if "://" not in path else open_binary(path))


def csv_columns(path: str, dialect: CsvDialect) -> tuple[list[str], bool]:
    """The file's column names and whether it holds at least one data record."""
    lines = stream_lines(lambda: open_binary(path), dialect, path)
    try:
        columns = columns_of(lines, dialect, path)
    except DataError as exc:
        if "the file is empty" in str(exc):
            raise DataError(
                f"{path} is empty: no header and no rows (nothing to score; nothing written)"
            ) from None
        raise
    lines = stream_lines(lambda: open_binary(path), dialect, path)
    reader = csv.reader(lines, delimiter=dialect.delimiter, quotechar=dialect.quote_char)
    skip = 1 if dialect.header else 0
    for cells in reader:
        if cells and any(c.strip() for c in cells):
            if skip:
                skip -= 1
                continue
            return columns, True
    return columns, False


def parquet_columns(path: str) -> tuple[dict[str, Any], int]:
    """The file's columns with their Arrow types, and its row count (from the footer)."""
    try:
        meta = parquet_file(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow's errors say what is wrong
        raise DataError(f"{path} is not a readable Parquet file: {exc}") from None
    schema = meta.schema_arrow
    return {name: schema.field(name).type for name in schema.names}, meta.metadata.num_rows
