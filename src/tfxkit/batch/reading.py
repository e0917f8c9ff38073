"""Reading a batch to score: the input files, their columns, and rows parsed into model inputs.

Why not the ExampleGen's reader: training stops at the first bad cell (a run must not learn from
half-read data), but scoring must account for every row: a record that cannot be parsed (wrong
cell count, broken quoting, a value that is not of its column's type) is rejected with its line
and reason and the rest is scored. The rules are otherwise the ExampleGen's: the config's CSV
dialect (``data.csv``), ``missing_values``, declared types (an int column holds integers only).

Numbers are fed as float64 (NaN: missing) and text as strings ("" missing), exactly what a REST
client sends to ``serving_default``. Rows are grouped into ``Batch``es of ``batch_rows`` records,
read one file at a time and streamed, so memory stays at one batch whatever the file size. No
TensorFlow here: both engines (``batch.pipeline``, ``batch.beam_job``) import this, Beam in
every worker.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfxkit.batch.files import open_binary, parquet_file, text_lines
from tfxkit.config.sections import CsvDialect, column_key
from tfxkit.data.csv_dialect import MAX_CELL_BYTES, columns_of, stream_lines
from tfxkit.errors import DataError

NUMBER, INT, TEXT = "float", "int", "string"  # the kinds a model input is parsed as
_INT = re.compile(r"\s*[+-]?\d+\s*")
_INT64 = 2**63
csv.field_size_limit(MAX_CELL_BYTES)


@dataclass(frozen=True)
class Column:
    """One model input: its name in the signature, the file column it is read from, its kind."""

    name: str
    column: str
    kind: str


@dataclass
class Batch:
    """Up to ``batch_rows`` records of one file: the parsed ones and the rejected ones."""

    file: int  # index of the file in the sorted input
    number: int  # position of the batch in its file
    lines: list[int] = field(default_factory=list)  # line (row, for Parquet) of each parsed row
    inputs: dict[str, np.ndarray] = field(default_factory=dict)  # signature input -> values
    passed: dict[str, list[Any]] = field(default_factory=dict)  # pass-through column -> values
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    present: dict[str, int] = field(default_factory=dict)  # input -> non-missing values seen
    bad_type: dict[str, list[Any]] = field(default_factory=dict)  # input -> [count, value, line]

    @property
    def rows_in(self) -> int:
        return len(self.lines) + len(self.rejects)

    @property
    def key(self) -> str:
        """Sorts as the input does: file, then batch (shard names, output order)."""
        return f"{self.file:05d}-{self.number:09d}"


def match_columns(
    available: list[str], inputs: dict[str, str], declared: dict[str, str], source: str
) -> list[Column]:
    """Each model input (signature key -> number|string) with the file column that feeds it:
    the same name, else the same feature key (``unit price`` feeds ``unit_price``). A missing
    input is an error naming it, the file and what the file has."""
    by_key = {column_key(c): c for c in available}
    matched, missing = [], []
    for name, dtype in inputs.items():
        column = name if name in available else by_key.get(column_key(name))
        if column is None:
            missing.append(name)
            continue
        kind = TEXT if dtype == TEXT else INT if declared.get(column_key(name)) == INT else NUMBER
        matched.append(Column(name, column, kind))
    if missing:
        names = ", ".join(repr(m) for m in sorted(missing))
        raise DataError(
            f"{source} has no column{'s' if len(missing) > 1 else ''} {names}, which the model "
            f"takes (it has {', '.join(available[:20])}{' ...' if len(available) > 20 else ''}); "
            "nothing was scored"
        )
    return matched


def check_arrow_types(columns: list[Column], types: dict[str, Any], source: str) -> None:
    """A Parquet column of the wrong type for its input is an error naming both."""
    import pyarrow as pa

    for col in columns:
        kind = types[col.column]
        numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind)
        textual = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        if (col.kind == TEXT and not textual) or (col.kind != TEXT and not numeric):
            want = "text" if col.kind == TEXT else f"numbers ({col.kind})"
            raise DataError(
                f"{source}: column '{col.column}' is {kind}, but the model takes {want} for "
                f"'{col.name}'; nothing was scored"
            )


def _number(cell: Any, kind: str) -> float:
    """One cell as float64; ValueError saying what it should be when it is not of its kind."""
    if isinstance(cell, bool):
        raise ValueError("a number")
    if isinstance(cell, int | float):
        if kind == INT and not float(cell).is_integer():
            raise ValueError("an integer")
        return float(cell)
    text = str(cell)
    if kind == INT:
        if not _INT.fullmatch(text) or not -_INT64 <= int(text) < _INT64:
            raise ValueError("an integer")
        return float(int(text))
    if "_" in text:
        raise ValueError("a number")
    try:
        return float(text)
    except ValueError:
        raise ValueError("a number") from None


def _fast(cells: list[Any], kind: str, texts: bool) -> np.ndarray | None:
    """Every cell parsed at once (Arrow), or None when one is not plainly of its kind; the
    caller then parses cell by cell, ExampleGen's rule ('+1.5' is a number, '1_000' is not)."""
    import pyarrow as pa

    try:
        if not texts:  # Parquet numbers
            if any(isinstance(c, bool) for c in cells):
                return None
            array = np.array([math.nan if c is None else c for c in cells], dtype=np.float64)
            ok = kind != INT or np.all(np.isnan(array) | (array == np.round(array)))
            return array if ok else None
        text = pa.array(cells, type=pa.string())
        numbers = text.cast(pa.float64())  # refuses '0x10', '1_000', ' 2'
        if kind == INT:
            text.cast(pa.int64())  # refuses '3.0', '1e5', 'nan'
        return numbers.to_numpy(zero_copy_only=False)  # missing (None) -> NaN
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError):
        return None


def _convert(
    batch: Batch,
    columns: list[Column],
    values: dict[str, list[Any]],
    passed: dict[str, list[Any]],
    texts: bool = True,
) -> None:
    """Cells (None: missing; text from CSV, values from Parquet) -> arrays; a row with a cell
    not of its kind is rejected."""
    bad: dict[int, str] = {}
    arrays: dict[str, np.ndarray] = {}
    for col in columns:
        cells = values[col.name]
        batch.present[col.name] = len(cells) - cells.count(None)
        if col.kind == TEXT:
            arrays[col.name] = np.array(["" if c is None else c for c in cells], dtype=object)
            continue
        array = _fast(cells, col.kind, texts)
        if array is None:  # find the cells that are not numbers (of their kind), row by row
            array = np.full(len(cells), math.nan)
            for i, cell in enumerate(cells):
                if cell is None:
                    continue
                try:
                    array[i] = _number(cell, col.kind)
                except ValueError as exc:
                    _bad(batch, bad, i, col, cell, str(exc))
        arrays[col.name] = array
    lines = batch.lines
    if bad:
        keep = np.array([i not in bad for i in range(len(lines))])
        batch.rejects.extend((lines[i], reason) for i, reason in bad.items())
        batch.rejects.sort()
        arrays = {k: v[keep] for k, v in arrays.items()}
        passed = {k: [v for v, ok in zip(vs, keep, strict=True) if ok] for k, vs in passed.items()}
        batch.lines = [line for line, ok in zip(lines, keep, strict=True) if ok]
    batch.inputs, batch.passed = arrays, passed


def _bad(batch: Batch, bad: dict[int, str], i: int, col: Column, cell: Any, want: str) -> None:
    text = str(cell)
    shown = repr(text[:40] + ("..." if len(text) > 40 else ""))
    bad.setdefault(i, f"column '{col.column}' holds {shown}, not {want}")
    seen = batch.bad_type.setdefault(col.name, [0, text[:40], batch.lines[i]])
    seen[0] += 1


def _batch(
    file: int,
    number: int,
    records: list[list[str]],
    starts: list[int],
    rejects: list[tuple[int, str]],
    layout: tuple[int, list[Column], list[tuple[str, int]], list[tuple[str, int]], Any],
) -> Batch:
    """Collected records -> a Batch: short or long rows rejected, the rest columnar."""
    width, columns, picks, pass_picks, clean = layout
    batch = Batch(file, number, rejects=rejects)
    if any(len(r) != width for r in records):
        kept = []
        for start, cells in zip(starts, records, strict=True):
            if len(cells) == width:
                kept.append((start, cells))
            else:
                reason = f"{len(cells)} cells, but the header names {width} columns"
                batch.rejects.append((start, reason))
        batch.rejects.sort()
        starts, records = [k[0] for k in kept], [k[1] for k in kept]
    batch.lines = starts
    table = list(zip(*records, strict=True)) if records else [() for _ in range(width)]
    values = {name: clean(table[i]) for name, i in picks}
    passing = {name: list(table[i]) for name, i in pass_picks}
    _convert(batch, columns, values, passing)
    return batch


def csv_batches(
    index: int,
    path: str,
    dialect: CsvDialect,
    columns: list[Column],
    passed: list[str],
    batch_rows: int,
) -> Iterator[Batch]:
    """The records of one CSV file as batches; every record is parsed or rejected.

    Per record only what the line numbers need is done in Python; cells are then handled a
    column at a time (stripped, missing values found, parsed by Arrow)."""
    names = columns_of(stream_lines(lambda: open_binary(path), dialect, path), dialect, path)
    where = {name: i for i, name in enumerate(names)}
    missing = set(dialect.missing_values)
    strip = dialect.skip_initial_space

    def clean(cells: tuple[str, ...]) -> list[str | None]:
        if strip:
            return [None if (c := cell.strip()) in missing else c for cell in cells]
        return [None if cell.strip() in missing else cell for cell in cells]

    picks = [(c.name, where[c.column]) for c in columns]
    pass_picks = [(p, where[p]) for p in passed]
    layout = (len(names), columns, picks, pass_picks, clean)
    reader = csv.reader(
        text_lines(path, dialect),
        delimiter=dialect.delimiter,
        quotechar=dialect.quote_char,
        skipinitialspace=strip,
        strict=True,
    )
    records: list[list[str]] = []
    starts: list[int] = []
    rejects: list[tuple[int, str]] = []
    number, line, header = 0, 1, dialect.header
    while True:
        start = line
        try:
            cells = next(reader)
        except StopIteration:
            break
        except UnicodeDecodeError:
            list(stream_lines(lambda: open_binary(path), dialect, path))  # raises naming line, byte
            raise
        except csv.Error as exc:
            line = reader.line_num + 1
            rejects.append((start, f"malformed CSV: {exc}"))
        else:
            line = reader.line_num + 1
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line is no record
            if header:
                header = False
                continue
            records.append(cells)
            starts.append(start)
        if len(records) + len(rejects) >= batch_rows:
            yield _batch(index, number, records, starts, rejects, layout)
            records, starts, rejects, number = [], [], [], number + 1
    if records or rejects:
        yield _batch(index, number, records, starts, rejects, layout)


def parquet_batches(
    index: int, path: str, columns: list[Column], passed: list[str], batch_rows: int
) -> Iterator[Batch]:
    """The rows of one Parquet file as batches (line = row number from 1); nulls are missing."""
    wanted = sorted({c.column for c in columns} | set(passed))
    row = 0
    batches = parquet_file(path).iter_batches(batch_size=batch_rows, columns=wanted)
    for number, record_batch in enumerate(batches):
        data = record_batch.to_pydict()
        count = record_batch.num_rows
        values = {}
        for col in columns:
            cells = data[col.column]
            if col.kind == TEXT:
                cells = [None if c is None or c == "" else c for c in cells]
            values[col.name] = cells
        batch = Batch(index, number, lines=list(range(row + 1, row + count + 1)))
        row += count
        _convert(batch, columns, values, {p: data[p] for p in passed}, texts=False)
        yield batch
