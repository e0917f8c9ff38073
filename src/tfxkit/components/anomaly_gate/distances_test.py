"""The default drift rule on synthetic histograms: planted shifts are caught at every size,
resamples of the same data are not (the false alarms a small sample would otherwise raise)."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from tfxkit.components.anomaly_gate import distances as d
from tfxkit.datasets.penguins import data_dir

PENGUINS = data_dir() / "penguins.csv"
NUMBERS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
STRINGS = ("species", "island", "sex")


def _column(name: str) -> np.ndarray:
    with PENGUINS.open() as handle:
        cells = [row[name] for row in csv.DictReader(handle)]
    if name in NUMBERS:
        return np.array([float(c) for c in cells if c not in ("", "NA")])
    return np.array([c or "NA" for c in cells])


def _cdf(values: np.ndarray) -> d.Cdf:
    return d.Cdf.from_sample(values)


def _counts(values: np.ndarray) -> dict[str, float]:
    return {str(k): float(v) for k, v in Counter(values).items()}


def test_distances_agree_with_scipy_on_raw_samples() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=2000), rng.normal(0.5, 1.5, size=2000)
    assert d.ks_statistic(_cdf(a), _cdf(b)) == pytest.approx(
        stats.ks_2samp(a, b).statistic, abs=0.04
    )
    moved = d.wasserstein(_cdf(a), _cdf(b))
    assert moved == pytest.approx(stats.wasserstein_distance(a, b), rel=0.1)
    assert d.ks_statistic(_cdf(a), _cdf(a)) == 0.0 and d.wasserstein(_cdf(a), _cdf(a)) == 0.0


def test_a_cdf_from_tied_values_keeps_their_jump() -> None:
    """A 0/1 column: TFDV's quantile buckets repeat the value; the CDF jumps there."""
    cdf = d.Cdf.from_buckets([(0, 0, 35), (0, 0, 35), (0, 1, 10), (1, 1, 20)])
    assert cdf.at(np.array([0.0]), "left")[0] == 0.0
    assert cdf.at(np.array([0.0]))[0] == pytest.approx(0.7)
    assert cdf.at(np.array([1.0]))[0] == 1.0
    assert cdf.bins(np.array([0.0, 1.0])).tolist() == pytest.approx([70, 30, 0])


def test_critical_values() -> None:
    assert d.normal_isf(0.025) == pytest.approx(1.95996, abs=1e-4)
    assert d.ks_critical(100, 100, 0.05) == pytest.approx(1.358 * (2 / 100) ** 0.5, rel=1e-3)
    for df in (1, 2, 3, 5, 10, 30, 200):
        for alpha in (1e-3, 1e-5):
            exact = stats.chi2.isf(alpha, df)
            assert exact <= d.chi2_critical(df, alpha) <= exact * 1.08  # never below: no alarm


def test_psi_is_zero_for_equal_bins_and_finite_for_empty_ones() -> None:
    assert d.psi(np.array([10, 20, 30]), np.array([20, 40, 60])) == pytest.approx(0.0, abs=1e-4)
    assert 0 < d.psi(np.array([50, 50, 0]), np.array([0, 50, 50])) < 10


@pytest.mark.parametrize("n", [100, 340, 5000])
@pytest.mark.parametrize("column", NUMBERS)
def test_tenfold_numbers_are_a_major_shift_at_any_size(column: str, n: int) -> None:
    rng = np.random.default_rng(n)
    values = _column(column)
    before, after = rng.choice(values, n), rng.choice(values, n) * 10
    shift = d.numeric_shift(_cdf(before), _cdf(after), (before.mean(), after.mean()), before.std())
    assert shift is not None and shift.level == "major"
    assert shift.test == "KS" and shift.statistic == pytest.approx(1.0)
    text = shift.describe()
    assert text.startswith("PSI ") and ">= 0.25 and KS 1.00 > " in text and "std" in text


@pytest.mark.parametrize("n", [340, 5000])
def test_a_mean_shift_of_one_standard_deviation_is_a_major_shift(n: int) -> None:
    for seed in range(5):
        rng = np.random.default_rng(seed)
        values = _column("body_mass_g")
        before, after = rng.choice(values, n), rng.choice(values, n) + values.std()
        shift = d.numeric_shift(_cdf(before), _cdf(after))
        assert shift is not None and shift.level == "major", seed


def test_bounds_shrink_with_the_sample_a_small_real_shift_is_seen_in_a_large_one() -> None:
    """A third of a standard deviation: noise-sized at 100 rows, real at 5,000."""
    rng = np.random.default_rng(3)

    def judged(n: int) -> d.Shift | None:
        return d.numeric_shift(_cdf(rng.normal(size=n)), _cdf(rng.normal(0.33, 1, size=n)))

    assert judged(100) is None
    assert judged(5000) is not None


def test_a_real_but_negligible_shift_in_a_large_sample_is_not_reported() -> None:
    """KS is significant at 200,000 rows for 0.05 std; PSI's floor says it does not matter."""
    rng = np.random.default_rng(4)
    before, after = rng.normal(size=200_000), rng.normal(0.05, 1, size=200_000)
    assert stats.ks_2samp(before, after).pvalue < 1e-10
    assert d.numeric_shift(_cdf(before), _cdf(after)) is None


def test_too_few_values_are_not_judged() -> None:
    rng = np.random.default_rng(5)
    few = rng.normal(size=d.MIN_COUNT - 1)
    assert d.numeric_shift(_cdf(few), _cdf(few * 10)) is None


def test_a_new_dominant_category_is_a_major_shift() -> None:
    rng = np.random.default_rng(6)
    islands = _column("island")
    before = _counts(rng.choice(islands, 340))
    after = _counts(np.concatenate([rng.choice(islands, 140), ["Mars"] * 200]))
    shift = d.categorical_shift(before, after)
    assert shift is not None and shift.level == "major" and shift.test == "chi-square"
    assert "'Mars' 0% -> 59%" in shift.describe()


def test_a_binary_column_whose_rate_doubles_is_a_shift() -> None:
    rng = np.random.default_rng(7)
    before = (rng.random(1000) < 0.3).astype(float)
    after = (rng.random(1000) < 0.6).astype(float)
    assert d.numeric_shift(_cdf(before), _cdf(after)) is not None
    assert d.categorical_shift(_counts(before), _counts(after)) is not None


def test_rare_categories_are_pooled_so_ids_do_not_alarm() -> None:
    """Values seen once each (ids) pool into one category in both samples: nothing to test."""
    before = {f"id{i}": 1.0 for i in range(500)}
    after = {f"id{i}": 1.0 for i in range(500, 1000)}
    names, a, b = d.pooled_categories(before, after)
    assert names == [d.OTHER] and a.tolist() == b.tolist() == [500.0]
    assert d.categorical_shift(before, after) is None


@pytest.mark.parametrize("n", [100, 340, 5000])
def test_resamples_of_the_same_data_raise_no_alarm(n: int) -> None:
    """Bootstrap resamples of the penguins: every column, ten seeds, never flagged."""
    for seed in range(10):
        rng = np.random.default_rng(1000 + seed)
        for column in NUMBERS:
            values = _column(column)
            shift = d.numeric_shift(_cdf(rng.choice(values, n)), _cdf(rng.choice(values, n)))
            assert shift is None, (column, seed, shift.describe())
        for column in STRINGS:
            values = _column(column)
            before, after = _counts(rng.choice(values, n)), _counts(rng.choice(values, n))
            shift = d.categorical_shift(before, after)
            assert shift is None, (column, seed, shift.describe())


def test_train_and_eval_sized_resamples_raise_no_alarm() -> None:
    """The penguin pipeline's splits: about 227 train and 113 eval rows against a new run's."""
    for seed in range(20):
        rng = np.random.default_rng(seed)
        for column in NUMBERS:
            values = _column(column)
            for n in (227, 113):
                shift = d.numeric_shift(_cdf(rng.choice(values, n)), _cdf(rng.choice(values, n)))
                assert shift is None, (column, n, seed, shift.describe())
