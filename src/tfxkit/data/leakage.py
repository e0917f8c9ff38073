"""Target leakage: a column that alone predicts the label almost perfectly (issue 22 #6).

Why: a table with outcome columns recorded after the fact (a refund amount, a closing status)
trained a model with AUC 0.997 that was blessed and pushed, and nothing said so. No TFX
component looks for this. This module scores each column on its own against the label; it is
pure numpy (no TFX, no TensorFlow), so ``tfxkit init`` uses it on its CSV sample in a second
and the leakage gate (``components/leakage_gate``) on a sample of every run's train split.

Each column becomes cells: one per value (strings, and numbers with at most ``MAX_BINS``
values), or quantile bins of its numbers (a value held by more than 1/``MAX_BINS`` of the rows,
such as the zeros of an amount only recorded after the outcome, keeps a cell of its own);
missing is a cell too. Then, on rows the cell's rates were *not* fitted on (two halves, each
scored by the other's per-cell rates, smoothed toward the overall rate):

- classification: the AUC of those out-of-fold class rates (one-vs-rest, averaged over the
  classes: macro), so an id, whose values never repeat, scores 0.5 rather than 1;
- regression: the R² of the out-of-fold per-cell means, and (number columns) |Spearman|.

Also, a *near-copy or deterministic function*: over the values held by at least
``MIN_SUPPORT`` rows (together ``COVERAGE`` of the rows, so an id is never judged), the share of
rows whose label is their value's usual label (classification) or the share of the label's
variance explained by the value (regression): its purity.

A column leaks when its score reaches ``AUC_LEAK`` (classification), ``CORRELATION_LEAK``
(|Spearman|) or ``R2_LEAK`` (regression), or its purity reaches ``PURITY_LEAK`` while removing
``PURITY_GAIN`` of the errors of always guessing the most frequent class (else a label that is
99.5% one class would make every column look pure). The thresholds sit above what honest
features score on the datasets tfxkit ships and tests (penguin measurements: macro AUC up to
~0.9), and below a copy with 1% of its values flipped (AUC ~0.99). A multiclass leak that gives
away one class only is averaged with the others and not flagged: say so in a config review.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfxkit.config import label_expr

AUC_LEAK = 0.98  # classification: out-of-fold single-column AUC (macro one-vs-rest)
CORRELATION_LEAK = 0.98  # regression: |Spearman| of a number column with the label
R2_LEAK = 0.98  # regression: out-of-fold R² of the per-cell mean
PURITY_LEAK = 0.98  # a value's rows share one label (or one label value, regression)
PURITY_GAIN = 0.75  # ... removing this share of the errors of guessing the usual class
MIN_SUPPORT = 5  # rows a value needs to count toward purity
COVERAGE = 0.9  # share of the rows in values with that support, else purity is not judged
MIN_ROWS = 50  # labelled rows needed to judge anything
MIN_CLASS_ROWS = 5  # rows a class needs to get a one-vs-rest AUC
MAX_BINS = 32  # cells of a number column (fewer on small samples: ROWS_PER_BIN each)
ROWS_PER_BIN = 20
SMOOTHING = 1.0  # pseudo-rows of the overall rate (mean) in each cell's rate (mean)
SAMPLE_ROWS = 50_000  # rows scored at most (a seeded random subset beyond)
SEED = 0
CLASSIFICATION = ("binary", "multiclass")


@dataclass(frozen=True)
class Score:
    """One column on its own against the label."""

    column: str
    metric: str  # "AUC", "|Spearman|" or "R²": the higher of the task's scores
    score: float | None  # None: not judged (reason says why)
    purity: float | None = None  # None: too few rows per value to judge (an id, a float)
    values: int = 0  # distinct values, missing counted as one
    leaks: bool = False
    reason: str = ""  # why it leaks (or was not judged); "" otherwise

    def describe(self) -> str:
        """``AUC 0.998`` or ``not judged``: what the run summary prints for it."""
        return f"{self.metric} {self.score:.3f}" if self.score is not None else "not judged"


@dataclass(frozen=True)
class Report:
    """Every scored column, highest score first; ``judged`` False when the sample was too
    small (``note`` says why)."""

    task: str
    rows: int
    scores: list[Score] = field(default_factory=list)
    judged: bool = True
    note: str = ""

    @property
    def leaking(self) -> list[Score]:
        return [s for s in self.scores if s.leaks]


def as_column(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """float64 with NaN for missing when every present value is a number; else ``str``
    objects with None for missing (None, NaN and "" are missing)."""
    array = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if array.dtype.kind in "biuf":
        return array.astype(np.float64)
    missing = np.array([_missing(v) for v in array], dtype=bool)
    present = array[~missing]
    if all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in present):
        out = np.full(len(array), np.nan)
        out[~missing] = present.astype(np.float64)
        return out
    out = np.empty(len(array), dtype=object)
    out[~missing] = [str(v) for v in present]
    return out


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _present(column: np.ndarray) -> np.ndarray:
    if column.dtype.kind == "f":
        return ~np.isnan(column)
    return np.array([v is not None for v in column], dtype=bool)


def cells(column: np.ndarray, bins: int) -> np.ndarray:
    """Integer cell codes (see the module docstring); missing gets a code of its own."""
    present = _present(column)
    codes = np.zeros(len(column), dtype=np.int64)
    if column.dtype.kind != "f":
        _, inverse = np.unique(column[present].astype(str), return_inverse=True)
        codes[present] = inverse
        codes[~present] = inverse.max(initial=-1) + 1
        return codes
    x = column[present]
    distinct, counts = np.unique(x, return_counts=True)
    if len(distinct) <= bins:
        codes[present] = np.searchsorted(distinct, x)
    else:
        heavy = distinct[counts * bins >= len(x)]
        is_heavy = np.isin(x, heavy)
        light = x[~is_heavy]
        inner = np.linspace(0, 1, bins + 1)[1:-1]
        edges = np.unique(np.quantile(light, inner)) if len(light) else np.array([])
        binned = np.searchsorted(edges, x, side="right")
        codes[present] = np.where(is_heavy, len(edges) + 1 + np.searchsorted(heavy, x), binned)
    codes[~present] = codes[present].max(initial=-1) + 1
    return codes


def auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half; NaN without both classes."""
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    if not n1 or not n0:
        return float("nan")
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def _ranks(x: np.ndarray) -> np.ndarray:
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """|Spearman| over rows where both are present; 0 when either is constant."""
    both = ~np.isnan(x) & ~np.isnan(y)
    if both.sum() < 3:
        return 0.0
    rx, ry = _ranks(x[both]), _ranks(y[both])
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(abs(np.corrcoef(rx, ry)[0, 1]))


def _folds(n: int, seed: int) -> np.ndarray:
    fold = np.zeros(n, dtype=np.int64)
    fold[np.random.default_rng(seed).permutation(n)[: n // 2]] = 1
    return fold


def _class_auc(codes: np.ndarray, y: np.ndarray, classes: int, fold: np.ndarray) -> float:
    """Macro one-vs-rest AUC of out-of-fold per-cell class rates."""
    size = int(codes.max()) + 1
    prior = np.bincount(y, minlength=classes) / len(y)
    rates = np.empty((len(y), classes))
    for part in (0, 1):
        fit = fold != part
        counts = np.bincount(codes[fit] * classes + y[fit], minlength=size * classes)
        counts = counts.reshape(size, classes).astype(np.float64)
        table = (counts + SMOOTHING * prior) / (counts.sum(axis=1, keepdims=True) + SMOOTHING)
        rates[~fit] = table[codes[~fit]]
    per_class = [
        auc(rates[:, c], y == c)
        for c in range(classes)
        if MIN_CLASS_ROWS <= (y == c).sum() <= len(y) - MIN_CLASS_ROWS
    ]
    if classes == 2:  # one-vs-rest of either class is the same ranking
        per_class = per_class[:1]
    return float(np.mean(per_class)) if per_class else float("nan")


def _cell_r2(codes: np.ndarray, y: np.ndarray, fold: np.ndarray) -> float:
    """R² of out-of-fold per-cell means (smoothed toward the mean)."""
    size = int(codes.max()) + 1
    mean = float(y.mean())
    predicted = np.empty(len(y))
    for part in (0, 1):
        fit = fold != part
        sums = np.bincount(codes[fit], weights=y[fit], minlength=size)
        counts = np.bincount(codes[fit], minlength=size)
        predicted[~fit] = ((sums + SMOOTHING * mean) / (counts + SMOOTHING))[codes[~fit]]
    total = float(((y - mean) ** 2).sum())
    return 1.0 - float(((y - predicted) ** 2).sum()) / total if total > 0 else 0.0


def purity(codes: np.ndarray, y: np.ndarray, classes: int | None) -> tuple[float, float] | None:
    """(purity, share of the baseline's errors removed) over values with ``MIN_SUPPORT`` rows,
    or None when those hold under ``COVERAGE`` of the rows. ``classes`` None: regression."""
    size = int(codes.max()) + 1
    per_value = np.bincount(codes, minlength=size)
    supported = per_value[codes] >= MIN_SUPPORT
    if supported.sum() < COVERAGE * len(y) or len(np.unique(codes[supported])) < 2:
        return None
    c, t = codes[supported], y[supported]
    if classes is None:
        sums = np.bincount(c, weights=t, minlength=size)
        mean_of = sums / np.maximum(per_value, 1)
        total = float(((t - t.mean()) ** 2).sum())
        if total == 0:
            return None
        explained = 1.0 - float(((t - mean_of[c]) ** 2).sum()) / total
        return explained, explained
    table = np.bincount(c * classes + t, minlength=size * classes).reshape(size, classes)
    share = table.max(axis=1).sum() / len(t)
    base = np.bincount(t, minlength=classes).max() / len(t)
    return float(share), float((share - base) / (1 - base)) if base < 1 else 0.0


def _score(
    name: str, column: np.ndarray, y: np.ndarray, classes: int | None, fold: np.ndarray
) -> Score:
    bins = max(2, min(MAX_BINS, len(y) // ROWS_PER_BIN))
    codes = cells(column, bins)
    values = len(np.unique(codes))
    exact = cells(column, len(y)) if column.dtype.kind == "f" else codes
    pure = purity(exact, y, classes)
    if classes is not None:
        metric, value, bound = "AUC", _class_auc(codes, y, classes, fold), AUC_LEAK
        above = "predicts the label"
    else:
        r2 = _cell_r2(codes, y, fold)
        rho = spearman(column, y) if column.dtype.kind == "f" else 0.0
        metric, value = ("|Spearman|", rho) if rho >= r2 else ("R²", r2)
        bound = CORRELATION_LEAK if metric == "|Spearman|" else R2_LEAK
        above = "tracks the label"
    if math.isnan(value):
        return Score(name, metric, None, values=values, reason="no class to score against")
    where = "" if metric == "|Spearman|" else " on held-out rows"
    reason = ""
    if value >= bound:
        reason = f"alone it {above} ({metric} {value:.3f}{where})"
    elif pure and pure[0] >= PURITY_LEAK and pure[1] >= PURITY_GAIN:
        reason = (
            f"each of its values goes with one label value (purity {pure[0]:.3f}): a copy "
            f"or a function of the label ({metric} {value:.3f}{where})"
        )
    purity_value = round(pure[0], 6) if pure else None
    return Score(name, metric, round(value, 6), purity_value, values, bool(reason), reason)


def score_columns(
    columns: Mapping[str, Sequence[Any] | np.ndarray],
    label: Sequence[Any] | np.ndarray,
    task: str,
    sample_rows: int = SAMPLE_ROWS,
    seed: int = SEED,
) -> Report:
    """Each column alone against ``label`` (``task``: binary, multiclass or regression), on at
    most ``sample_rows`` labelled rows; highest score first."""
    y_raw = as_column(label)
    keep = np.flatnonzero(_present(y_raw))
    if len(keep) > sample_rows:
        keep = np.sort(np.random.default_rng(seed).choice(keep, sample_rows, replace=False))
    rows = len(keep)
    if task in CLASSIFICATION:
        names, y = np.unique(y_raw[keep].astype(str), return_inverse=True)
        classes: int | None = len(names)
        counts = np.bincount(y)
        if (counts >= MIN_CLASS_ROWS).sum() < 2:
            note = f"no two label values with {MIN_CLASS_ROWS} rows each in {rows} rows"
            return Report(task, rows, judged=False, note=note)
    elif task == "regression":
        if y_raw.dtype.kind != "f":
            raise ValueError("a regression label must be numbers")
        y, classes = y_raw[keep], None
    else:
        raise ValueError(f"task {task!r}: expected binary, multiclass or regression")
    if rows < MIN_ROWS:
        return Report(task, rows, judged=False, note=f"{rows} labelled rows, under {MIN_ROWS}")
    fold = _folds(rows, seed)
    scores = [_score(n, as_column(v)[keep], y, classes, fold) for n, v in columns.items()]
    scores.sort(key=lambda s: (not s.leaks, -(s.score if s.score is not None else -1)))
    return Report(task, rows, scores)


def one_vs_rest(label: Sequence[Any] | np.ndarray, positive: str) -> np.ndarray:
    """``label.positive``: 1 where the value is ``positive``, 0 elsewhere, NaN where missing
    (a number column compares as a number: "1" is 1.0)."""
    column = as_column(label)
    present = _present(column)
    if column.dtype.kind == "f":
        try:
            hit = column == float(positive)
        except ValueError:
            hit = np.zeros(len(column), dtype=bool)
    else:
        hit = np.array([v == positive for v in column], dtype=bool)
    return np.where(present, hit.astype(np.float64), np.nan)


def derived_label(expression: str, columns: Mapping[str, Sequence[Any] | np.ndarray]) -> np.ndarray:
    """``label.derive`` evaluated on columns by name, as the Transform graph does (1 where
    true, 0 where false; a comparison with a missing value is false)."""
    parsed = label_expr.parse(expression)
    arithmetic = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}
    compare = {
        "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
        "eq": np.equal, "ne": np.not_equal,
    }  # fmt: skip

    def column(name: str) -> np.ndarray:
        if name not in columns:
            raise ValueError(f"label.derive {expression!r} names '{name}', which is not a column")
        return as_column(columns[name])

    def comparison(op: str, a: Any, b: Any) -> np.ndarray:
        defined = _defined(a) & _defined(b)
        with np.errstate(invalid="ignore"):
            result = compare[op](_filled(a), _filled(b))
        return np.asarray(result, dtype=bool) & defined

    def binary(op: str, a: Any, b: Any) -> Any:
        with np.errstate(all="ignore"):
            return arithmetic[op](a, b)

    ops = label_expr.Ops(
        column=column,
        constant=lambda value: value,
        binary=binary,
        compare=comparison,
        logical_and=np.logical_and,
        logical_or=np.logical_or,
        logical_not=np.logical_not,
        negate=np.negative,
    )
    return np.asarray(label_expr.evaluate(parsed, ops), dtype=np.float64)


def _filled(value: Any) -> Any:
    """Strings with "" where missing, so ``<`` compares (the result there is masked out)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        return np.where(_present(value), value, "")
    return value


def _defined(value: Any) -> Any:
    """False where a column's value is missing; True for constants."""
    if isinstance(value, np.ndarray):
        return _present(value) if value.dtype.kind in "fO" else np.ones(len(value), dtype=bool)
    return True
