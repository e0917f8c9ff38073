"""What each column of a CSV sample holds (``tfxkit init``): type, missing share, distinct
values, words and dates, whether it can be a feature or the label at all, and its transform.

Split from ``data.init_draft``: profiling reads rows the way ``data.csv_sniff`` found them
written, and the draft only decides what to write from these profiles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tfxkit.config.sections import DATE_PATTERN
from tfxkit.data.csv_sniff import MARKERS, cell_kind, read_sample, sample_files, sample_records
from tfxkit.errors import DataError

SAMPLE_ROWS = 20000  # rows read to infer types
DISTINCT_CAP = 10_000
VOCABULARY_MAX = 1000
MULTICLASS_MAX = 50
RARE_BELOW = 0.01  # share of rows with a value under which a column is left out
_ID_NAME = re.compile(r"(?:^|[^A-Za-z])(?:id|Id|ID|uuid|UUID)$|[a-z](?:Id|ID)$")
DATE_SHARE = 0.95  # share of present values that parse as dates for a date column
_DATE = re.compile(DATE_PATTERN)  # what transform: date parses (year first)
_DAY_OR_MONTH_FIRST = re.compile(r"[0-9]{1,2}([-/.])[0-9]{1,2}\1[0-9]{4}(?:[ T][0-9:.]+)?")
TEXT_WORDS = 3  # mean words per value from which a many-valued string reads as text
WORDS_REPEAT = 2.0  # text: word occurrences per distinct word (else its words never recur)
WORDS_CAP = 100_000  # distinct words counted at most
TOKENS_MAX = 256  # the most max_tokens a draft sets (the config allows 512)


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
    example_counts: dict[str, int] = field(default_factory=dict)  # rows holding each example
    markers: set[str] = field(default_factory=set)  # the missing markers seen in the column
    mean_words: float = 0.0
    dates: int = 0  # values that parse as year-first dates (transform: date)
    times: int = 0  # ... with a time of day
    other_dates: int = 0  # dates written day or month first (03/05/2024): not parsed
    word_count: int = 0  # words in values of more than one word
    distinct_words: int = 0
    word_lengths: list[int] = field(default_factory=lambda: [0] * 12)  # by (words-1).bit_length
    consecutive: bool = False  # ints counting up by one row after row (1, 2, 3, ...)
    missing_share: float = 0.0
    _rank: int = field(default=0, repr=False)  # 1 int, 2 float, 3 string
    _hashes: set[int] = field(default_factory=set, repr=False)
    _next: int | None = field(default=None, repr=False)  # the next int of a run
    _sums: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0], repr=False)
    _words: set[int] = field(default_factory=set, repr=False)
    _undated: int = field(default=0, repr=False)  # string values that are no date
    std: float = 0.0  # of the numeric values (the error a model predicting the mean makes)

    def add(self, value: str) -> None:
        self.rows += 1
        if value in MARKERS:
            self.missing += 1
            self.markers.add(value)
            return
        self._rank = max(self._rank, cell_kind(value)) if self._rank < 3 else 3
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
        if value in self.example_counts or len(self.example_counts) < 5:
            self.example_counts[value] = self.example_counts.get(value, 0) + 1
        words = value.count(" ") + 1
        self.mean_words += words  # a sum until finish()
        if self._rank == 3:  # strings only: words and dates
            self._text(value, words)

    def _text(self, value: str, words: int) -> None:
        """Words (their number, distinct ones) and dates of a string value. A column is a date
        column only when nearly every value is one, so dates stop being looked for once too
        many values were not."""
        self.word_lengths[min((words - 1).bit_length(), 11)] += 1
        if words > 1:
            self.word_count += words
            if len(self._words) < WORDS_CAP:
                self._words.update(hash(w) for w in value.lower().split())
        if self._undated > (1 - DATE_SHARE) * self.rows + 5:
            return
        if value[:1].isdigit() and (match := _DATE.fullmatch(value)):
            month, day, hour = match.group(2, 3, 4)
            if 1 <= int(month) <= 12 and 1 <= int(day) <= 31 and int(hour or 0) <= 23:
                self.dates += 1
                self.times += hour is not None
                return
        elif value[:1].isdigit() and _DAY_OR_MONTH_FIRST.fullmatch(value):
            self.other_dates += 1
            return
        self._undated += 1

    def finish(self) -> ColumnProfile:
        present = max(self.rows - self.missing, 1)
        self.type = {1: "int", 2: "float"}.get(self._rank, "string")
        self.distinct = len(self._hashes)
        self.distinct_capped = self.distinct > DISTINCT_CAP
        self.distinct_words = len(self._words)
        self.mean_words /= present
        self.missing_share = self.missing / max(self.rows, 1)
        self.consecutive = self.consecutive and self._rank == 1 and present > 1
        count, total, squares = self._sums
        if count and self._rank < 3:
            self.std = max(squares / count - (total / count) ** 2, 0.0) ** 0.5
        return self


def profile_columns(path: str | Path, dialect: dict, sample_rows: int = SAMPLE_ROWS) -> list:
    """Type, missing count, distinct count and examples of each column over the first rows."""
    files = sample_files(Path(path))
    profiles, header = [ColumnProfile(name) for name in dialect["columns"]], None
    for file in files:
        text, _ = read_sample(file, dialect["encoding"], [])
        body = sample_records(
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


def is_date(p: ColumnProfile) -> bool:
    """Nearly every present value is a year-first date (``transform: date`` parses them)."""
    present = p.rows - p.missing
    return p.type == "string" and present > 0 and p.dates >= DATE_SHARE * present


def is_text(p: ColumnProfile) -> bool:
    """Prose: several words per value and too many values for categories. Its words, not its
    values, are learned (``left_out`` checks that they recur)."""
    present = p.rows - p.missing
    many = p.distinct > VOCABULARY_MAX or p.distinct >= present / 2
    return p.type == "string" and p.mean_words >= TEXT_WORDS and many


def max_tokens(p: ColumnProfile) -> int | None:
    """Words to keep per value, for a draft: enough for 9 values in 10 (a power of two, at
    most TOKENS_MAX), or None where the default (16) already is."""
    covered, needed = 0, 0.9 * sum(p.word_lengths)
    for bits, count in enumerate(p.word_lengths):
        covered += count
        if covered >= needed:
            return min(2**bits, TOKENS_MAX) if 2**bits > 16 else None
    return None


def transform_of(p: ColumnProfile) -> str:
    """The transform a draft suggests for a column that is not left out."""
    if p.type != "string":
        return "zscore"
    return "date" if is_date(p) else "text" if is_text(p) else "vocabulary"


def left_out(p: ColumnProfile, rows: int) -> str | None:
    """Why a column should not be a feature, or None."""
    many = f"{'more than ' * p.distinct_capped}{min(p.distinct, DISTINCT_CAP)} distinct values"
    present = p.rows - p.missing
    if not present:
        return "always missing"
    if present / max(p.rows, 1) < RARE_BELOW:
        # TFDV's inferred schema deprecates such a feature, and Transform then fails on it.
        return (
            f"a value in only {present} of {p.rows} rows ({p.missing_share:.2%} missing): too "
            "rare to learn from"
        )
    if p.distinct == 1 and not p.missing:
        return f"the same value ({p.examples[0]!r}) in every row"
    if is_date(p):
        return None
    if p.type == "string" and p.other_dates >= DATE_SHARE * present:
        return (
            f"day or month first dates ({p.examples[0]!r}) are ambiguous: write them year "
            "first (2024-03-05) for transform: date"
        )
    if is_text(p):
        if p.word_count < WORDS_REPEAT * max(p.distinct_words, 1):
            return (
                f"free text whose words rarely recur ({p.distinct_words} distinct words in "
                f"{p.word_count}): nothing to learn from"
            )
        return None
    unique = not p.distinct_capped and p.distinct == present == rows >= 10
    named = p.type == "int" and _ID_NAME.search(p.name) and (unique or p.distinct_capped)
    if (unique and p.type == "string") or (p.consecutive and present == rows >= 10) or named:
        return "looks like an id (a different value in every row)"
    if p.type == "string" and p.distinct > VOCABULARY_MAX:
        return f"{many}: too many for a vocabulary"
    return None


def task_of(p: ColumnProfile) -> str:
    if p.type == "float" or (p.type == "int" and p.distinct > MULTICLASS_MAX):
        return "regression"
    return "binary" if p.distinct == 2 else "multiclass"
