"""JSON lines (``data.format: jsonl``): one JSON object per line, its fields the columns.

The rules the pre-run check (``check_files``) and ingest (``components/jsonl_example_gen``)
share, pure Python so the check runs before TensorFlow loads. Each bad input is one
``DataError`` naming the file and the line: bytes that are not UTF-8, a line that is not JSON
(with the parser's reason and column), a line that is JSON but not an object, a field holding a
list or an object (a tf.Example column holds one value: flatten it), two fields that become the
same feature key, a value that contradicts the field's declared type.

Values: a JSON number without a fraction is an int (bool counts as 0/1), with one a float; a
string is a string; ``null``, ``""`` and a non-finite number (``NaN``, which Python's parser
accepts) are missing, as an empty CSV cell is. A column's type is the widest of its values
(int -> float -> string) unless the config declares it. Blank lines are skipped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tfxkit.config.sections import column_key
from tfxkit.errors import DataError

INT, FLOAT, STRING = "int", "float", "string"
RANK = {INT: 1, FLOAT: 2, STRING: 3}
KIND = {rank: kind for kind, rank in RANK.items()}
_INT64 = (-(2**63), 2**63 - 1)

Row = dict[str, Any]  # feature key -> a present value (bool, int, float or str)


def parse_line(raw: bytes | str, source: str, line: int) -> Row | None:
    """One line as ``{feature key: value}`` with missing values left out; None: a blank line."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{source} line {line}: not UTF-8 (byte 0x{raw[exc.start]:02x} at column "
            f"{exc.start + 1}); JSON lines are UTF-8: convert the file, e.g. iconv -t utf-8"
        ) from None
    text = text.removeprefix("\ufeff").strip()
    if not text:
        return None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{source} line {line}: not JSON ({exc.msg} at column {exc.colno}: "
            f"{_excerpt(text, exc.pos)}); each line holds one JSON object, e.g. "
            '{"review": "Great taste", "score": "great"}'
        ) from None
    if not isinstance(record, dict):
        raise DataError(
            f"{source} line {line}: a JSON {type(record).__name__}, not an object; each line "
            'holds one object whose fields are the columns, e.g. {"review": "...", "score": 1}'
        )
    row: Row = {}
    owners: dict[str, str] = {}
    for field, value in record.items():
        key = column_key(field)
        if key in owners:
            raise DataError(
                f"{source} line {line}: fields '{owners[key]}' and '{field}' both map to the "
                f"feature key '{key}'; rename one of them"
            )
        owners[key] = field
        if isinstance(value, list | dict):
            raise DataError(
                f"{source} line {line}: field '{field}' holds a JSON "
                f"{'list' if isinstance(value, list) else 'object'}; a column holds one value "
                "(a string or a number): flatten it before ingest"
            )
        if _missing(value):
            continue
        row[key] = value
    return row


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and not math.isfinite(value))


def _excerpt(text: str, position: int) -> str:
    start = max(0, position - 20)
    return repr(text[start : position + 20])


def iter_lines(lines: Iterable[bytes | str], source: str) -> Iterator[tuple[int, Row]]:
    """(line number, row) of every non-blank line of one file."""
    for number, raw in enumerate(lines, start=1):
        row = parse_line(raw, source, number)
        if row is not None:
            yield number, row


def value_kind(value: Any) -> str:
    """int (bools too), float, or string: what one JSON value is."""
    if isinstance(value, bool | int):
        return INT if _INT64[0] <= int(value) <= _INT64[1] else FLOAT
    return FLOAT if isinstance(value, float) else STRING


def widen(ranks: dict[str, int], row: Mapping[str, Any]) -> dict[str, int]:
    """Fold one row into per-key kind ranks (in place; also returned)."""
    for key, value in row.items():
        ranks[key] = max(ranks.get(key, 0), RANK[value_kind(value)])
    return ranks


def kinds_of(ranks: Mapping[str, int]) -> dict[str, str]:
    return {key: KIND[rank] for key, rank in ranks.items()}


def typed_value(value: Any, kind: str, key: str, where: str) -> int | float | str:
    """``value`` as the column's type; a value the type cannot hold is a ``DataError``."""
    held = value_kind(value)
    if kind == STRING:
        return value if isinstance(value, str) else json.dumps(value)
    if held == STRING or (kind == INT and held == FLOAT and float(value) != int(value)):
        shown = json.dumps(value)[:40]
        raise DataError(
            f"{where}: field '{key}' is declared {kind} but holds {shown}; fix the value, or "
            f"declare the feature's type {'float' if held == FLOAT else 'string'}"
        )
    return int(value) if kind == INT else float(value)


def check_files(
    files: Iterable[Any],
    needed: list[str],
    typed: Mapping[str, str],
    label: str | None,
    max_rows: int,
) -> None:
    """The pre-run check of local JSON lines files: every line parses (up to ``max_rows`` a
    file), configured columns (``needed``) have a value somewhere, declared number types
    (``typed``: column -> int | float) hold, and a ``label`` has two values or more."""
    seen: set[str] = set()
    labels: set[str] = set()
    wanted = {column_key(c): c for c in needed}
    typed_keys = {column_key(c): kind for c, kind in typed.items()}
    label_key = column_key(label) if label else None
    for file in files:
        rows = 0
        with open(file, "rb") as handle:
            for line, row in iter_lines(handle, str(file)):
                rows += 1
                if rows > max_rows:
                    break
                seen.update(k for k in row if k in wanted)
                for key, kind in typed_keys.items():
                    if key in row:
                        typed_value(row[key], kind, key, f"{file} line {line}")
                if label_key and label_key in row:
                    labels.add(str(row[label_key]))
        if not rows:
            raise DataError(f"{file}: no JSON object (an empty file, or blank lines only)")
    absent = [column for key, column in wanted.items() if key not in seen]
    if absent:
        raise DataError(
            f"columns {absent} are configured but no line of the JSON lines files has a value "
            'for them (missing fields, null or ""); check the field names'
        )
    if label and len(labels) < 2:
        raise DataError(
            f"label '{label}' has one value only ({sorted(labels)}); a classifier needs at "
            "least two"
        )
