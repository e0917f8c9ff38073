"""How a CSV file is written, guessed from its first bytes (``tfxkit init``): delimiter, quote,
header row, encoding and the cells that mean 'missing'.

Split from ``data.init_draft``: sniffing is its own question (what dialect?), answered with
the standard library only, so ``tfxkit init`` answers in seconds. Cells are typed by the CSV
ExampleGen's rule (int, else float, else string) so the draft describes what the pipeline sees.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

from tfxkit.config.sections import DEFAULT_MISSING_VALUES
from tfxkit.errors import DataError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_BYTES = 32 * 2**20  # read at most this much of each file
SNIFF_CHARS = 64 * 1024  # the dialect is judged on this much of the first file
MARKERS = (*DEFAULT_MISSING_VALUES, "?", "n/a", "#N/A", "-")  # cells that mean 'missing'
_INT = re.compile(r"[+-]?\d{1,19}")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|inf(inity)?|nan)", re.I)


def cell_kind(value: str) -> int:
    """1 int, 2 float, 3 string: the narrowest type of one cell (the CSV ExampleGen's rule)."""
    if _INT.fullmatch(value) and -(2**63) <= int(value) < 2**63:
        return 1
    return 2 if _FLOAT.fullmatch(value) else 3


def sample_files(path: Path) -> list[Path]:
    if not path.exists():
        raise DataError(f"--data {path}: no such file or directory (give a CSV file or folder)")
    files = [path] if path.is_file() else sorted(path.iterdir())
    files = [p for p in files if p.is_file() and not p.name.startswith(".")]
    if not files:
        raise DataError(f"--data {path}: the directory holds no data file")
    return files


def read_sample(path: Path, encoding: str | None, notes: list[str]) -> tuple[str, str]:
    """The first SAMPLE_BYTES of a file as text, and the encoding: utf-8, else latin-1."""
    try:
        with path.open("rb") as handle:
            data = handle.read(SAMPLE_BYTES)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) == SAMPLE_BYTES and b"\n" in data:
        data = data[: data.rindex(b"\n") + 1]
    if not data.strip():
        raise DataError(f"{path} is empty: init needs a header row and rows of data")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise DataError(f"{path} line {line}: NUL bytes (UTF-16 or binary?); save as UTF-8 CSV")
    try:
        return data.decode(encoding or "utf-8").removeprefix("\ufeff"), encoding or "utf-8"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        if encoding:
            raise DataError(f"{path} line {line}: not {encoding} like the first file") from None
        notes.append(f"{path} is not valid UTF-8 (line {line}): read as latin-1")
        return data.decode("latin-1"), "latin-1"


def _spaced(text: str, delim: str) -> bool:
    """Most delimiters are followed by a space (``a; 'b; c'``): skip it, so quotes still open."""
    total = text.count(delim)
    return total > 0 and text.count(delim + " ") > total / 2


def sample_records(
    text: str,
    delim: str,
    quote: str,
    source: Any,
    lenient: bool = False,
    skip_space: bool | None = None,
):
    """``(line, cells)`` of each non-blank record, cells stripped (as in ``csv_dialect``)."""
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delim,
        quotechar=quote,
        skipinitialspace=_spaced(text, delim) if skip_space is None else skip_space,
        strict=True,
    )
    try:
        for cells in reader:
            if len(cells) > 1 or (cells and cells[0].strip()):
                yield reader.line_num, [cell.strip() for cell in cells]
    except csv.Error as exc:
        if not lenient:  # a sample may end inside a quoted field
            raise DataError(f"{source} line {reader.line_num}: malformed CSV ({exc})") from None


def _pick_delimiter(sample: str) -> tuple[str, str]:
    """The (delimiter, quote) that most often splits the sample's rows into one width > 1."""
    try:
        guess = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        guess = None
    scores = {}
    for delimiter, quote in [(d, q) for d in DELIMITERS for q in "\"'"]:
        rows = list(sample_records(sample, delimiter, quote, "", lenient=True))[:200]
        width, count = Counter(len(c) for _, c in rows).most_common(1)[0] if rows else (0, 0)
        if width > 1:
            scores[delimiter, quote] = (count / len(rows), delimiter == guess, quote == '"')
    return max(scores, key=scores.__getitem__) if scores else (",", '"')


def _looks_like_header(first: list[str], rest: list[list[str]]) -> bool:
    """Numbers or markers in row 1: data; names above numbers, or never repeated: a header.
    (Not ``csv.Sniffer.has_header``: it calls every all-string file header-less.)"""
    if any(cell and (cell in MARKERS or cell_kind(cell) < 3) for cell in first):
        return False
    columns = [[row[i] for row in rest if i < len(row)] for i in range(len(first))]
    for name, values in zip(first, columns, strict=True):
        present = [value for value in values if value not in MARKERS]
        if name and present and all(cell_kind(value) < 3 for value in present):
            return True
    return not any(name in values for name, values in zip(first, columns, strict=True) if name)


def _sniff_sample(text: str, min_lines: int = 20) -> str:
    """Whole lines from the start: those in the first SNIFF_CHARS, or the first ``min_lines``
    when lines are longer (a 50,000-column header is ~300 KB: a 64 KiB cut held no line)."""
    if len(text) <= SNIFF_CHARS:
        return text
    end = text.rfind("\n", 0, SNIFF_CHARS)
    if text.count("\n", 0, end + 1) >= min_lines:
        return text[: end + 1]
    position = -1
    for _ in range(min_lines):
        position = text.find("\n", position + 1)
        if position < 0:
            return text
    return text[: position + 1]


def sniff_dialect(path: str | Path) -> dict[str, Any]:
    """How the CSV is written (judged on the first 64 KiB of the first file): the data.csv keys,
    plus columns (the names), missing_markers (e.g. ['', 'NA', '?']) and notes."""
    files, notes = sample_files(Path(path)), []
    text, encoding = read_sample(files[0], None, notes)
    sample = _sniff_sample(text)
    delimiter, quote = _pick_delimiter(sample)
    records = list(sample_records(sample, delimiter, quote, files[0], lenient=True))
    if len(records) < 2:
        raise DataError(f"{files[0]} line 1: one line only (a header, no data?); init needs data")
    first = records[0][1]
    header = _looks_like_header(first, [cells for _, cells in records[1:]])
    names = [(c if header else "") or f"column_{i}" for i, c in enumerate(first, start=1)]
    names = [n if n not in names[:i] else f"{n}_{i + 1}" for i, n in enumerate(names)]
    return {
        "delimiter": delimiter,
        "quote_char": quote,
        "skip_initial_space": _spaced(sample, delimiter),
        "header": header,
        "columns": names,
        "column_names": None if header and names == first else names,
        "encoding": encoding,
        "missing_markers": sorted({c for _, cells in records for c in cells if c in MARKERS}),
        "notes": notes,
    }
