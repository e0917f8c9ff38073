"""Draft a pipeline config from data (``tfxkit init``); stdlib only, so it answers in seconds.

Cells are read by the rules of ``tfxkit.data.csv_dialect`` and typed by the CSV ExampleGen's (int,
else float, else string), so the draft describes what the pipeline will see."""

import csv
import io
import json
import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfxkit.config.pipeline_config import DEFAULT_MISSING_VALUES, CsvDialect, validate_config
from tfxkit.errors import ConfigError, DataError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_BYTES = 32 * 2**20  # read at most this much of each file
SNIFF_CHARS = 64 * 1024  # the dialect is judged on this much of the first file
SAMPLE_ROWS = 20000  # rows read to infer types
DISTINCT_CAP = 10_000
VOCABULARY_MAX = 1000
MULTICLASS_MAX = 50
INDICATOR_ABOVE = 0.05  # features missing more often than this get a missing indicator
MARKERS = (*DEFAULT_MISSING_VALUES, "?", "n/a", "#N/A", "-")  # cells that mean 'missing'
HINTS = ("label", "target", "class", "y", "outcome")
REGRESSION_METRICS = [
    "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError", "ExampleCount"
]  # fmt: skip
BINARY_METRICS = ["BinaryAccuracy", "AUC", "Precision", "Recall", "ExampleCount"]
CSV_KEYS = ("delimiter", "quote_char", "header", "column_names", "encoding")  # sniffed
_INT = re.compile(r"[+-]?\d{1,19}")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|inf(inity)?|nan)", re.I)
_ID_NAME = re.compile(r"(?:^|[^A-Za-z])(?:id|Id|ID|uuid|UUID)$|[a-z](?:Id|ID)$")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_RANK = {"string": 0, "int": 1, "float": 2}  # label candidates: classes first
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _kind(value: str) -> int:
    """1 int, 2 float, 3 string: the narrowest type of one cell (the CSV ExampleGen's rule)."""
    if _INT.fullmatch(value) and -(2**63) <= int(value) < 2**63:
        return 1
    return 2 if _FLOAT.fullmatch(value) else 3


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise DataError(f"--data {path}: no such file or directory (give a CSV file or folder)")
    files = [path] if path.is_file() else sorted(path.iterdir())
    files = [p for p in files if p.is_file() and not p.name.startswith(".")]
    if not files:
        raise DataError(f"--data {path}: the directory holds no data file")
    return files


def _text(path: Path, encoding: str | None, notes: list[str]) -> tuple[str, str]:
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


def _records(
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
        rows = list(_records(sample, delimiter, quote, "", lenient=True))[:200]
        width, count = Counter(len(c) for _, c in rows).most_common(1)[0] if rows else (0, 0)
        if width > 1:
            scores[delimiter, quote] = (count / len(rows), delimiter == guess, quote == '"')
    return max(scores, key=scores.__getitem__) if scores else (",", '"')


def _looks_like_header(first: list[str], rest: list[list[str]]) -> bool:
    """Numbers or markers in row 1: data; names above numbers, or never repeated: a header.
    (Not ``csv.Sniffer.has_header``: it calls every all-string file header-less.)"""
    if any(cell and (cell in MARKERS or _kind(cell) < 3) for cell in first):
        return False
    columns = [[row[i] for row in rest if i < len(row)] for i in range(len(first))]
    for name, values in zip(first, columns, strict=True):
        present = [value for value in values if value not in MARKERS]
        if name and present and all(_kind(value) < 3 for value in present):
            return True
    return not any(name in values for name, values in zip(first, columns, strict=True) if name)


def sniff_dialect(path: str | Path) -> dict[str, Any]:
    """How the CSV is written (judged on the first 64 KiB of the first file): the data.csv keys,
    plus columns (the names), missing_markers (e.g. ['', 'NA', '?']) and notes."""
    files, notes = _files(Path(path)), []
    text, encoding = _text(files[0], None, notes)
    sample = text[: text.rfind("\n", 0, SNIFF_CHARS) + 1] if len(text) > SNIFF_CHARS else text
    delimiter, quote = _pick_delimiter(sample)
    records = list(_records(sample, delimiter, quote, files[0], lenient=True))
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


@dataclass
class ColumnProfile:
    """One column over the sampled rows."""

    name: str
    type: str = "string"
    rows: int = 0
    missing: int = 0
    distinct: int = 0
    distinct_capped: bool = False  # more than DISTINCT_CAP distinct values
    examples: list[str] = field(default_factory=list)
    markers: set[str] = field(default_factory=set)  # the missing markers seen in the column
    mean_words: float = 0.0
    consecutive: bool = False  # ints counting up by one row after row (1, 2, 3, ...)
    missing_share: float = 0.0
    _rank: int = field(default=0, repr=False)  # 1 int, 2 float, 3 string
    _hashes: set[int] = field(default_factory=set, repr=False)
    _next: int | None = field(default=None, repr=False)  # the next int of a run
    _sums: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0], repr=False)
    std: float = 0.0  # of the numeric values (the error a model predicting the mean makes)

    def add(self, value: str) -> None:
        self.rows += 1
        if value in MARKERS:
            self.missing += 1
            self.markers.add(value)
            return
        self._rank = max(self._rank, _kind(value)) if self._rank < 3 else 3
        if self._rank == 1:
            number = int(value)
            self.consecutive = self._next is None or (self.consecutive and number == self._next)
            self._next = number + 1
        if self._rank < 3:
            number = float(value)
            self._sums = [self._sums[0] + 1, self._sums[1] + number, self._sums[2] + number**2]
        if len(self._hashes) <= DISTINCT_CAP:
            self._hashes.add(hash(value))
        if len(self.examples) < 5 and value not in self.examples:
            self.examples.append(value)
        self.mean_words += value.count(" ") + 1  # a sum until finish()

    def finish(self) -> "ColumnProfile":
        present = max(self.rows - self.missing, 1)
        self.type = {1: "int", 2: "float"}.get(self._rank, "string")
        self.distinct = len(self._hashes)
        self.distinct_capped = self.distinct > DISTINCT_CAP
        self.mean_words /= present
        self.missing_share = self.missing / max(self.rows, 1)
        self.consecutive = self.consecutive and self._rank == 1 and present > 1
        count, total, squares = self._sums
        if count and self._rank < 3:
            self.std = max(squares / count - (total / count) ** 2, 0.0) ** 0.5
        return self


def profile_columns(path: str | Path, dialect: dict, sample_rows: int = SAMPLE_ROWS) -> list:
    """Type, missing count, distinct count and examples of each column over the first rows."""
    files = _files(Path(path))
    profiles, header = [ColumnProfile(name) for name in dialect["columns"]], None
    for file in files:
        text, _ = _text(file, dialect["encoding"], [])
        body = _records(
            text,
            dialect["delimiter"],
            dialect["quote_char"],
            file,
            skip_space=dialect["skip_initial_space"],
        )
        first = next(body, (1, []))[1] if dialect["header"] else None
        header = first if header is None else header
        if first != header:
            raise DataError(f"{file}: header differs from {files[0]}'s (every file is read)")
        for line, cells in body:
            if profiles[0].rows == sample_rows:
                return [p.finish() for p in profiles]
            if len(cells) != len(profiles):
                raise DataError(
                    f"{file} line {line}: {len(cells)} cells, but the header has {len(profiles)}"
                )
            for profile, cell in zip(profiles, cells, strict=True):
                profile.add(cell)
    return [p.finish() for p in profiles]


def _left_out(p: ColumnProfile, rows: int) -> str | None:
    """Why a column should not be a feature, or None."""
    many = f"{'more than ' * p.distinct_capped}{min(p.distinct, DISTINCT_CAP)} distinct values"
    present = p.rows - p.missing
    if not present:
        return "always missing"
    if p.distinct == 1 and not p.missing:
        return f"the same value ({p.examples[0]!r}) in every row"
    if p.type == "string" and p.mean_words >= 5:
        if p.distinct > VOCABULARY_MAX or p.distinct >= present / 2:
            return f"free text ({many}, {p.mean_words:.0f} words on average), not a category"
    unique = not p.distinct_capped and p.distinct == present == rows >= 10
    named = p.type == "int" and _ID_NAME.search(p.name) and (unique or p.distinct_capped)
    if (unique and p.type == "string") or (p.consecutive and present == rows >= 10) or named:
        return "looks like an id (a different value in every row)"
    if p.type == "string" and p.distinct > VOCABULARY_MAX:
        return f"{many}: too many for a vocabulary"
    return None


def _task(p: ColumnProfile) -> str:
    if p.type == "float" or (p.type == "int" and p.distinct > MULTICLASS_MAX):
        return "regression"
    return "binary" if p.distinct == 2 else "multiclass"


def _flow(value: Any) -> str:
    """One value in YAML flow style: ``{name: x, type: float}``, ``[a, b]``, ``"a b"``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)  # JSON scalars are YAML scalars


def _emit(config: dict[str, Any], notes: dict[str, str], after: dict[str, list[str]]) -> list:
    """YAML lines: sections in block style, their values in flow style, notes as comments."""
    out = []
    for key, value in config.items():
        if isinstance(value, dict) and key != "label":
            items = [(f"  {k}: {_flow(v)}", f"{key}.{k}") for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"  - {_flow(v)}", f"{key}.{v['name']}") for v in value]
        else:
            items = [(f"{key}: {_flow(value)}", key)]
        width = max(len(text) for text, _ in items) * isinstance(value, list)  # aligns features
        lines = [f"{text:<{width}}  # {notes[at]}" if at in notes else text for text, at in items]
        out += [f"{key}:"] * (lines[0][0] == " ") + lines + after.get(key, []) + [""]
    return out


@dataclass
class Draft:
    """What ``tfxkit init`` inferred, and the YAML text it drafted."""

    source: Path
    output: str  # where the draft is meant to be written (named in its run command)
    dialect: dict[str, Any]
    profiles: list[ColumnProfile]
    label: str | None
    uses: dict[str, str] = field(default_factory=dict)  # column -> what the draft does with it
    warnings: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)  # no 'label' key without a label
    text: str = ""

    def describe(self) -> str:
        d, space = self.dialect, ", spaces after delimiters" * self.dialect["skip_initial_space"]
        markers = ", ".join(repr(m) if m else "empty" for m in d["missing_markers"]) or "none"
        header = f"{'a' if d['header'] else 'no'} header row, {d['encoding']}"
        return f"{DELIMITERS[d['delimiter']]}-delimited, {header}{space}; missing: {markers}"

    def candidates(self) -> list[str]:
        """Columns that could be the label, likeliest first."""
        names = [f["name"] for f in self.config["features"]]
        usable = [p for p in self.profiles if p.distinct >= 2 and p.name in names]
        edges = (self.profiles[0].name, self.profiles[-1].name)  # labels often come first or last
        usable.sort(key=lambda p: (p.name.lower() not in HINTS, _RANK[p.type], p.name not in edges))
        return [f"{p.name} ({p.type}, {p.distinct} values: {_task(p)})" for p in usable[:6]]


def build_draft(
    path: str | Path, label: str | None = None, name: str | None = None, output: str | None = None
) -> Draft:
    """Sniff, profile and draft; with a label the config is validated before it is returned."""
    source = Path(path)
    dialect = sniff_dialect(source)
    profiles = profile_columns(source, dialect)
    by_name, rows, files = {p.name: p for p in profiles}, profiles[0].rows, _files(source)
    if label is not None and label not in by_name:
        raise ConfigError(f"--label {label!r} is not a column of {files[0]}: {', '.join(by_name)}")
    stem = source.stem if source.is_file() else source.resolve().name
    name = name or re.sub(r"[^a-z0-9_-]+", "_", stem.lower()).strip("_-")[:60] or "pipeline"
    d = Draft(source, output or f"configs/{name}.yaml", dialect, profiles, label)
    d.warnings += dialect["notes"]
    data_path = (source if source.is_dir() else source.parent).as_posix()
    others = [p.name for p in _files(source.parent) if p != source] if source.is_file() else []
    if others:
        d.warnings.append(
            f"{data_path} also holds {', '.join(others[:3])}; the pipeline reads every file in "
            f"data.path, so give {source.name} a directory of its own and set data.path to it"
        )
    dialect["missing_markers"] = markers = sorted(set().union(*(p.markers for p in profiles)))
    defaults = CsvDialect().model_dump()
    csv_keys = {k: dialect[k] for k in CSV_KEYS if dialect[k] != defaults[k]}
    if extra := [m for m in markers if m not in DEFAULT_MISSING_VALUES]:
        csv_keys["missing_values"] = [*DEFAULT_MISSING_VALUES, *extra]
    data = {"format": "csv", "path": data_path, **({"csv": csv_keys} if csv_keys else {})}
    d.config = {"name": name, "data": {**data, "splits": {"train": 2, "eval": 1}}, "features": []}
    notes = {"data.splits": "hash buckets: 2/3 train, 1/3 eval"}  # comments, by key path
    after: dict[str, list[str]] = {"features": []}
    for p in profiles:
        why = None if p.name == label else _left_out(p, rows)
        d.uses[p.name] = f"left out: {why}" if why else ""
        after["features"] += [f"  # left out {p.name} ({p.type}): {why}"] if why else []
        if p.name == label or why:
            continue
        transform = "vocabulary" if p.type == "string" else "zscore"
        feature: dict[str, Any] = {"name": p.name, "type": p.type, "transform": transform}
        if p.missing_share > INDICATOR_ABOVE:
            feature["missing"] = {"indicator": True}
        d.uses[p.name] = feature["transform"] + " + missing indicator" * ("missing" in feature)
        d.config["features"].append(feature)
        note = [f"{p.distinct} values" * (p.type == "string"), ", ".join(p.examples[:3])]
        note.append(f"{p.missing_share:.1%} missing" * bool(p.missing))
        notes[f"features.{p.name}"] = "; ".join(n for n in note if n)[:80]
    if not d.config["features"]:
        reasons = "; ".join(f"{k} {v}" for k, v in d.uses.items() if v)
        raise DataError(f"{files[0]}: no column can be a feature ({reasons or 'one column'})")
    task = None
    if label is not None:
        p = by_name[label]
        if p.distinct < 2:
            raise ConfigError(f"--label {label}: one value only in {rows} rows of {files[0]}")
        task = _task(p)
        d.uses[label] = f"label ({task}, {p.distinct} values)"
        d.config["label"] = {"name": label, "type": p.type, "task": task}
        notes["label"] = f"{p.distinct} values: {', '.join(p.examples[:3])}"
    else:
        after["features"] += [
            "",
            "# label: {name: COLUMN, type: TYPE, task: binary|multiclass|regression}",
            "# Choose the label, move it out of features (or run: tfxkit init --label COLUMN):",
            *(f"#   {candidate}" for candidate in d.candidates()),
        ]
    d.config["evaluation"] = {"metrics": ["SparseCategoricalAccuracy", "ExampleCount"]}
    d.config["evaluation"]["thresholds"] = {"SparseCategoricalAccuracy": {"lower_bound": 0.5}}
    if task == "regression":
        std = float(f"{by_name[label].std:.4g}") if label else 0.0
        d.config["evaluation"] = {
            "metrics": REGRESSION_METRICS,
            "thresholds": {"RootMeanSquaredError": {"upper_bound": std}},
        }
        after["evaluation"] = [
            "  # upper bound = the label's standard deviation: the error of always predicting"
            " the mean; tighten it once you know a good error"
        ]
    if task == "binary":
        d.config["evaluation"] = {
            "metrics": BINARY_METRICS,
            "thresholds": {"AUC": {"lower_bound": 0.6}},
        }
    if slices := [[f["name"]] for f in d.config["features"] if f["type"] == "string"][:2]:
        after.setdefault("evaluation", []).append(f"  # slices: {_flow(slices)}  # by value")
    if label is not None:
        validate_config(d.config, f"(the draft for {source})")
    wrap = {"subsequent_indent": "#   ", "break_on_hyphens": False, "break_long_words": False}
    read = f"{'the first ' * (rows == SAMPLE_ROWS)}{rows} rows of {len(files)} file(s)"
    lines = [
        f"# Drafted by `tfxkit init` from {source}: inferred from {read}.",
        f"# CSV: {d.describe()}.",
        "# Check the features, the label and the thresholds, then run it with the standard",
        "# pipeline (it builds any config; every key is documented in src/tfxkit/config.py):",
        f"#   run-pipeline -c {d.output}",
        *(line for w in d.warnings for line in textwrap.wrap(f"# WARNING: {w}", 96, **wrap)),
        *_emit(d.config, notes, after),
        f"# model, training (200 steps of 32; the train split holds ~{rows * 2 // 3} rows),",
        "# push, runner, metadata: the defaults; configs/penguin.yaml shows every key.",
        "",
    ]
    d.text = "\n".join(lines)
    return d


def draft_config(path: str | Path, label: str | None = None, name: str | None = None) -> str:
    """The commented YAML draft; it validates when ``label`` is given (else a placeholder)."""
    return build_draft(path, label=label, name=name).text
