"""How far two samples of one feature are apart, and when that is a shift rather than noise.

Why its own module: the gate's default drift and skew checks (``shift``) compare every
feature with the last approved run (or with serving data) without any configured bound, so the
bound must come from the data: a rule that a small sample cannot trip by chance, yet that a
real shift trips at any size. Pure numpy on histograms, so the rule is unit-tested on
synthetic samples; ``shift`` reads the histograms from TFDV's statistics.

The rule (one for drift and skew; documented in docs/data-validation.md):

* A feature is judged only when both samples hold at least ``MIN_COUNT`` values.
* Is the change real? A two-sample test: for numbers the Kolmogorov-Smirnov statistic KS
  (largest gap between the two CDFs) against its critical value
  ``c(alpha) * sqrt((n + m) / (n * m))``, and at least ``KS_FLOOR`` (what decile histograms
  resolve); for categories a chi-square test of homogeneity (categories expected fewer than
  ``MIN_EXPECTED`` times in the smaller sample are pooled first, so sparse cells cannot inflate
  it). Both bounds shrink as the samples grow.
* Is it large? The population stability index PSI (numbers: over the baseline's decile bins
  plus a bin below its minimum and one above its maximum; categories: over the pooled
  categories), each count smoothed by half a count so an empty bin stays finite.
* Major (the gate fails, as on_anomaly says): PSI >= ``PSI_MAJOR`` (0.25) and the test passed
  at ``ALPHA_MAJOR`` (1e-5). Moderate (the gate warns): PSI >= ``PSI_MODERATE`` (0.1) and the
  test passed at ``ALPHA_MODERATE`` (1e-3). PSI's conventional bands say how large; the test
  says the change is not noise: PSI alone is biased upwards in small samples (about
  ``(bins - 1) * (1/n + 1/m)``), and a test alone flags negligible changes in large ones. The
  stricter alpha for failing keeps a false failure below one run in a thousand even with
  dozens of features and splits.

Also measured for the message: the Wasserstein-1 distance (how far the mass moved) in units of
the baseline's standard deviation, and for categories the L-infinity distance (TFDV's) with the
category that moved most.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

ALPHA_MODERATE = 1e-3  # a warning: one unchanged feature in a thousand
ALPHA_MAJOR = 1e-5  # a failure: one unchanged feature in a hundred thousand
MIN_COUNT = 30  # fewer values on either side: not judged
KS_FLOOR = 0.1  # decile histograms resolve a CDF gap of about 0.05: below 0.1 is not seen
MIN_EXPECTED = 5.0  # chi-square: categories expected fewer times are pooled into OTHER
PSI_MODERATE = 0.1
PSI_MAJOR = 0.25
SMOOTHING = 0.5  # counts added to each bin before PSI (Jeffreys): no log of zero
OTHER = "(other)"

Level = Literal["major", "moderate"]
_ALPHAS: dict[str, float] = {"major": ALPHA_MAJOR, "moderate": ALPHA_MODERATE}


@dataclass(frozen=True)
class Cdf:
    """A piecewise-linear CDF through points ``(x, F)``, ``x`` non-decreasing; a repeated
    ``x`` is a jump (a value many samples share). Between points the mass is spread evenly,
    which is what a histogram bucket says about its values. ``count``: values it summarises."""

    xs: np.ndarray
    fs: np.ndarray
    count: float

    @classmethod
    def from_buckets(cls, buckets: Sequence[tuple[float, float, float]]) -> Cdf:
        """From ``(low, high, count)`` buckets in order (TFDV's quantile histogram)."""
        lows = np.array([b[0] for b in buckets], dtype=float)
        highs = np.array([b[1] for b in buckets], dtype=float)
        counts = np.clip(np.array([b[2] for b in buckets], dtype=float), 0.0, None)
        total = float(counts.sum())
        if not len(buckets) or total <= 0:
            return cls(np.zeros(0), np.zeros(0), 0.0)
        xs = np.concatenate([[lows[0]], np.maximum.accumulate(highs)])
        fs = np.concatenate([[0.0], np.cumsum(counts) / total])
        fs[-1] = 1.0
        return cls(xs, fs, total)

    @classmethod
    def from_sample(cls, values: np.ndarray, buckets: int = 10) -> Cdf:
        """From raw values, as TFDV's quantile histogram would bucket them (for tests)."""
        values = np.sort(np.asarray(values, dtype=float))
        edges = np.quantile(values, np.linspace(0.0, 1.0, buckets + 1))
        ranks = np.searchsorted(values, edges, side="right")
        ranks[0] = 0
        return cls.from_buckets(
            [(edges[i], edges[i + 1], float(ranks[i + 1] - ranks[i])) for i in range(buckets)]
        )

    def at(self, x: np.ndarray, side: Literal["left", "right"] = "right") -> np.ndarray:
        """F(x) (``right``: the mass at or below x) or F(x-) (``left``: strictly below)."""
        x = np.asarray(x, dtype=float)
        idx = np.searchsorted(self.xs, x, side=side)
        inner = np.clip(idx, 1, len(self.xs) - 1)
        x0, x1 = self.xs[inner - 1], self.xs[inner]
        f0, f1 = self.fs[inner - 1], self.fs[inner]
        width = np.where(x1 > x0, x1 - x0, 1.0)
        value = f0 + (f1 - f0) * np.clip((x - x0) / width, 0.0, 1.0)
        return np.where(idx <= 0, 0.0, np.where(idx >= len(self.xs), 1.0, value))

    def bins(self, edges: np.ndarray) -> np.ndarray:
        """Counts in (-inf, e0], (e0, e1], ..., (ek, inf): what PSI compares."""
        inside = self.at(np.asarray(edges, dtype=float))
        return np.diff(np.concatenate([[0.0], inside, [1.0]])) * self.count


def ks_statistic(a: Cdf, b: Cdf) -> float:
    """Largest gap between the two CDFs (both are linear between their joint points, so the
    gap peaks at a point: on its left or its right side)."""
    grid = np.union1d(a.xs, b.xs)
    gaps = [np.abs(a.at(grid, side) - b.at(grid, side)).max() for side in ("left", "right")]
    return float(max(gaps))


def wasserstein(a: Cdf, b: Cdf) -> float:
    """Earth mover's distance: the area between the CDFs (exact for piecewise-linear ones)."""
    grid = np.union1d(a.xs, b.xs)
    if len(grid) < 2:
        return 0.0
    start = (a.at(grid[:-1]) - b.at(grid[:-1])).astype(float)
    end = (a.at(grid[1:], "left") - b.at(grid[1:], "left")).astype(float)
    width = np.diff(grid)
    same_sign = start * end >= 0
    total = np.abs(start) + np.abs(end)
    crossing = np.divide(start**2 + end**2, 2 * total, out=np.zeros_like(total), where=total > 0)
    return float(np.sum(width * np.where(same_sign, total / 2, crossing)))


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two count vectors over the same bins, each proportion
    smoothed by ``SMOOTHING`` counts: sum((a - e) * ln(a / e))."""
    e, a = (np.asarray(c, dtype=float) + SMOOTHING for c in (expected, actual))
    e, a = e / e.sum(), a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))


def normal_isf(p: float) -> float:
    """z with P(Z > z) = p for a standard normal Z (bisection: exact enough, no scipy)."""
    low, high = -10.0, 40.0
    for _ in range(200):
        mid = (low + high) / 2
        if 0.5 * math.erfc(mid / math.sqrt(2)) > p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def ks_critical(n: float, m: float, alpha: float) -> float:
    """The two-sample KS statistic that samples of n and m values from one distribution exceed
    with probability ``alpha`` (the asymptotic bound, c(alpha) * sqrt((n + m) / (n * m)))."""
    return math.sqrt(-0.5 * math.log(alpha / 2)) * math.sqrt((n + m) / (n * m))


def chi2_critical(df: int, alpha: float) -> float:
    """The chi-square value exceeded with probability ``alpha`` (exact for one and two degrees
    of freedom, Wilson-Hilferty's close and slightly conservative approximation above)."""
    if df == 1:
        return normal_isf(alpha / 2) ** 2
    if df == 2:
        return -2 * math.log(alpha)
    z = normal_isf(alpha)
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def chi2_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's chi-square of homogeneity for two count vectors over the same categories."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n, m = a.sum(), b.sum()
    pooled = (a + b) / (n + m)
    keep = pooled > 0
    expected_a, expected_b = pooled[keep] * n, pooled[keep] * m
    return float(
        np.sum((a[keep] - expected_a) ** 2 / expected_a + (b[keep] - expected_b) ** 2 / expected_b)
    )


@dataclass(frozen=True)
class Shift:
    """A change the rule calls real and large: which test it passed, by how much, and PSI."""

    level: Level
    psi: float
    test: str  # "KS" or "chi-square"
    statistic: float
    critical: float
    n: float
    m: float
    detail: str  # what moved, in the data's terms

    def describe(self) -> str:
        band = PSI_MAJOR if self.level == "major" else PSI_MODERATE
        digits = ".2f" if self.test == "KS" else ".3g"
        return (
            f"PSI {self.psi:.3g} >= {band:g} and {self.test} {self.statistic:{digits}} > "
            f"{self.critical:{digits}} (n={self.n:.0f} vs {self.m:.0f}); {self.detail}"
        )


def _level(index: float, statistic: float, critical: Callable[[float], float]) -> Level | None:
    """major, moderate or None from PSI and the test (``critical(alpha)`` its bound)."""
    if index >= PSI_MAJOR and statistic > critical(ALPHA_MAJOR):
        return "major"
    if index >= PSI_MODERATE and statistic > critical(ALPHA_MODERATE):
        return "moderate"
    return None


def _number(value: float) -> str:
    """Four significant digits, without an exponent below ten million (41950, 4.167)."""
    return f"{float(f'{value:.4g}'):.7g}"


def numeric_shift(
    baseline: Cdf,
    current: Cdf,
    means: tuple[float, float] | None = None,
    scale: float | None = None,
) -> Shift | None:
    """The shift between two numeric samples, or None (too few values, or not both real and
    large). ``means`` (baseline, current) and ``scale`` (the baseline's standard deviation)
    only word the message; Wasserstein is in units of ``scale`` when it is positive."""
    n, m = baseline.count, current.count
    if min(n, m) < MIN_COUNT:
        return None
    ks = ks_statistic(baseline, current)
    edges = np.unique(baseline.xs)
    index = psi(baseline.bins(edges), current.bins(edges))
    level = _level(index, ks, lambda alpha: max(ks_critical(n, m, alpha), KS_FLOOR))
    if level is None:
        return None
    critical = max(ks_critical(n, m, _ALPHAS[level]), KS_FLOOR)
    moved = wasserstein(baseline, current)
    words = [f"mean {_number(means[0])} -> {_number(means[1])}"] if means else []
    if scale and scale > 0:
        words.append(f"Wasserstein {moved / scale:.3g} std")
    else:
        words.append(f"Wasserstein {_number(moved)}")
    return Shift(level, index, "KS", ks, critical, n, m, ", ".join(words))


def pooled_categories(
    baseline: Mapping[str, float], current: Mapping[str, float]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Both samples' counts over the same categories, those expected fewer than
    ``MIN_EXPECTED`` times in the smaller sample pooled into ``OTHER``."""
    n, m = sum(baseline.values()), sum(current.values())
    smaller = min(n, m)
    names, other_a, other_b = [], 0.0, 0.0
    for name in sorted(set(baseline) | set(current)):
        a, b = baseline.get(name, 0.0), current.get(name, 0.0)
        if name != OTHER and (a + b) / (n + m) * smaller >= MIN_EXPECTED:
            names.append(name)
        else:
            other_a, other_b = other_a + a, other_b + b
    a = np.array([baseline.get(x, 0.0) for x in names] + [other_a], dtype=float)
    b = np.array([current.get(x, 0.0) for x in names] + [other_b], dtype=float)
    if other_a + other_b == 0:
        return names, a[:-1], b[:-1]
    return [*names, OTHER], a, b


def categorical_shift(baseline: Mapping[str, float], current: Mapping[str, float]) -> Shift | None:
    """The shift between two samples of categories given as ``{value: count}``, or None."""
    names, a, b = pooled_categories(baseline, current)
    n, m = float(a.sum()), float(b.sum())
    if min(n, m) < MIN_COUNT or len(names) < 2:
        return None
    statistic = chi2_statistic(a, b)
    index = psi(a, b)
    level = _level(index, statistic, lambda alpha: chi2_critical(len(names) - 1, alpha))
    if level is None:
        return None
    critical = chi2_critical(len(names) - 1, _ALPHAS[level])
    gaps = b / m - a / n
    top = int(np.argmax(np.abs(gaps)))
    detail = f"L-inf {abs(gaps[top]):.3g}: '{names[top]}' {a[top] / n:.0%} -> {b[top] / m:.0%}"
    return Shift(level, index, "chi-square", statistic, critical, n, m, detail)
