"""Reading CSV files the way ``data.csv`` in the config says they are written.

Why a module of its own: the CSV ExampleGen parses the files with this dialect, and the CLI and
the stages check that the configured columns exist before anything runs. Both must see the
same columns, so both read headers and records through these functions. Only the standard
library and ``tfxkit.config``/``tfxkit.errors`` are imported (no TFX, TensorFlow or Beam), so
the check is cheap and runs before heavy imports.

Rules, in one place:

* Files are decoded with ``encoding``; a leading byte order mark is dropped.
* Records are read with Python's ``csv`` module (``delimiter``, ``quote_char``), so a quoted
  field may hold the delimiter and newlines.
* ``skip_initial_space``: every cell (header cells too) is stripped of surrounding spaces.
* Blank lines are skipped.
* ``header: false``: the columns are ``column_names``. ``header: true`` with ``column_names``:
  the header row is skipped and ``column_names`` renames its columns (same count).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from tfxkit.config.pipeline_config import CsvDialect
from tfxkit.data import spans
from tfxkit.errors import DataError

BOM = "\ufeff"


def decode(data: bytes, dialect: CsvDialect, source: str) -> str:
    """The text of a file's bytes in the configured encoding; a DataError names file and byte."""
    try:
        text = data.decode(dialect.encoding)
    except LookupError as exc:
        raise DataError(f"data.csv.encoding: unknown encoding '{dialect.encoding}'") from exc
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{source} line {line}: not valid {dialect.encoding} at byte {exc.start} "
            f"({data[exc.start : exc.start + 1]!r}; set data.csv.encoding, e.g. 'latin-1')"
        ) from exc
    return text[1:] if text.startswith(BOM) else text


def stream_lines(
    open_binary: Callable[[], BinaryIO], dialect: CsvDialect, source: str
) -> Iterator[str]:
    """A file's lines decoded with the dialect, streamed: memory stays at one buffer however
    big the file (a whole-file ``decode`` held several copies of a 1 GB CSV). An undecodable
    byte is reported as ``decode`` does (line and byte), from a second, whole read."""
    try:
        codecs.lookup(dialect.encoding)
    except LookupError as exc:
        raise DataError(f"data.csv.encoding: unknown encoding '{dialect.encoding}'") from exc
    with open_binary() as handle:
        raw = handle if isinstance(handle, io.IOBase) else io.BytesIO(handle.read())
        text = io.TextIOWrapper(raw, encoding=dialect.encoding, newline="")
        try:
            first = next(text, "")
            if first:
                yield first.removeprefix(BOM)
            yield from text
            return
        except UnicodeDecodeError:
            pass
    with open_binary() as handle:
        decode(handle.read(), dialect, source)  # raises the DataError naming line and byte
    raise DataError(f"{source}: not valid {dialect.encoding}")  # pragma: no cover


# Python's csv module stops at 128 KiB per cell, which real text columns exceed (issue 28: a
# 10 MB cell was called "malformed CSV"); cells up to this size are read.
MAX_CELL_BYTES = 64 * 2**20
csv.field_size_limit(MAX_CELL_BYTES)


def records(
    text: str | Iterable[str], dialect: CsvDialect, source: str
) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` of each record, header included; line numbers count from 1.

    The line number is where the record starts (a quoted field may span lines). Blank lines
    are skipped.
    """
    reader = csv.reader(
        io.StringIO(text, newline="") if isinstance(text, str) else text,
        delimiter=dialect.delimiter,
        quotechar=dialect.quote_char,
        skipinitialspace=dialect.skip_initial_space,
        strict=True,
    )
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise DataError(
                    f"{source} line {line}: a cell is larger than {MAX_CELL_BYTES // 2**20} MiB "
                    "(an unclosed quote swallowing the rest of the file, or a document in a "
                    "cell); close the quote or keep such text out of the table"
                ) from exc
            raise DataError(f"{source} line {line}: malformed CSV ({exc})") from exc
        start, line = line, reader.line_num + 1
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        if dialect.skip_initial_space:
            cells = [cell.strip() for cell in cells]
        yield start, cells


def columns_of(text: str | Iterable[str], dialect: CsvDialect, source: str) -> list[str]:
    """The column names of one file's text (see the module docstring for the rules)."""
    first = next(records(text, dialect, source), None)
    if first is None:
        if dialect.header:
            raise DataError(f"{source}: the file is empty (data.csv.header is true)")
        return list(dialect.column_names or [])
    line, cells = first
    names = dialect.column_names
    if not dialect.header or names:
        names = list(names or [])
        if len(cells) != len(names):
            what = "header" if dialect.header else "first row"
            raise DataError(
                f"{source} line {line}: the {what} has {len(cells)} cells but "
                f"data.csv.column_names names {len(names)} columns"
            )
        return names
    names = [cell.strip() for cell in cells]
    for position, name in enumerate(names, start=1):
        if not name:
            raise DataError(
                f"{source} line {line}: column {position} of the header has no name "
                "(name it, or set data.csv.column_names)"
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"{source} line {line}: column '{name}' appears twice in the header")
        seen.add(name)
    return names


def data_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The files an ExampleGen reads from a directory: every non-hidden file, sorted."""
    folder = Path(directory)
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def input_files(directory: str | os.PathLike[str], pattern: str | None = None) -> list[Path]:
    """The files an ExampleGen reads: every non-hidden file of ``directory``, or those matching
    ``pattern`` (relative; ``{SPAN}``, ``{VERSION}`` and the date specs select the latest span
    and version exactly as TFX's ExampleGen does: ``tfxkit.data.spans``)."""
    if not pattern:
        return data_files(directory)
    try:
        files = spans.select(directory, pattern)
    except spans.PatternError as exc:
        raise DataError(f"data.pattern: {exc}") from None
    return [path for path in files if not path.name.startswith(".")]


def _file_columns(path: Path, dialect: CsvDialect) -> list[str]:
    try:
        lines = stream_lines(lambda: open(path, "rb"), dialect, str(path))
        return columns_of(lines, dialect, str(path))
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc


def read_header(
    path: str | os.PathLike[str], dialect: CsvDialect, pattern: str | None = None
) -> list[str]:
    """The column names of a CSV file, or of every input file in a directory (which must agree).

    Local paths only (it uses the standard library); the ExampleGen executor reads remote files
    itself and applies the same rules through ``columns_of``.
    """
    target = Path(path)
    if not target.exists():
        raise DataError(f"data.path: {target} does not exist")
    if not target.is_dir():
        return _file_columns(target, dialect)
    files = input_files(target, pattern)
    if not files:
        what = f"no file matching data.pattern '{pattern}'" if pattern else "no data file"
        raise DataError(f"data.path: {target} holds {what}")
    columns = _file_columns(files[0], dialect)
    for other in files[1:]:
        if _file_columns(other, dialect) != columns:
            raise DataError(
                f"{files[0]} and {other} have different columns; every file under data.path "
                "must have the same header"
            )
    return columns


__all__ = ["columns_of", "data_files", "decode", "input_files", "read_header", "records"]
