"""Target leakage scoring (``tfxkit.data.leakage``) on generated tables (issue 22 #6).

Every table is drawn afresh per seed, with random column names, sizes and class balance: the
rule must hold on data it was not tuned on. Leaks (a copy, a copy with 1% flipped, a function
of the label, a column recorded only after the outcome) are flagged; honest features (AUC
~0.85), ids and many-valued categories are not.
"""

from __future__ import annotations

import string

import numpy as np
import pytest

from tfxkit.config import label_expr
from tfxkit.data import leakage

SEEDS = range(6)


def _name(rng: np.random.Generator, used: set[str]) -> str:
    while True:
        length = int(rng.integers(3, 14))
        name = "".join(rng.choice(list(string.ascii_lowercase + "_"), length)).strip("_") or "c"
        if name not in used:
            used.add(name)
            return name


def _binary_table(seed: int) -> tuple[dict, np.ndarray, dict[str, str]]:
    """Columns by random name, the 0/1 label, and what each column is (by role)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(400, 6000))
    y = (rng.random(n) < rng.uniform(0.08, 0.5)).astype(int)
    price = rng.lognormal(3, 1, n)
    flipped = y.copy()
    flipped[rng.choice(n, n // 100, replace=False)] ^= 1  # 1% of the rows
    roles = {
        "copy": np.where(y == 1, "closed", "open").astype(object),
        "noisy_copy": flipped.astype(float),
        "function": y * price,  # e.g. refund_amount: 0 unless refunded
        "after_outcome": np.where(y == 1, rng.exponential(9.0, n), np.nan),  # days to close
        "honest": rng.normal(0, 1, n) + 1.47 * y,  # AUC ~0.85
        "honest_category": np.where(
            rng.random(n) < 0.3 + 0.4 * y, "a", rng.choice(["b", "c"], n)
        ).astype(object),
        "string_id": np.array([f"u{i:07d}" for i in rng.permutation(n)], dtype=object),
        "number_id": rng.permutation(n).astype(float) * 13 + 10_000,
        "many_values": np.array([f"z{v}" for v in rng.integers(0, n // 4, n)], dtype=object),
        "noise": rng.normal(0, 1, n),
    }
    used: set[str] = set()
    names = {role: _name(rng, used) for role in roles}
    return {names[r]: v for r, v in roles.items()}, y, names


LEAKS = ("copy", "noisy_copy", "function", "after_outcome")


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_leaks_are_flagged_and_honest_columns_are_not(seed: int) -> None:
    columns, y, names = _binary_table(seed)
    report = leakage.score_columns(columns, y, "binary")
    scores = {s.column: s for s in report.scores}
    assert report.judged and report.rows == len(y)
    assert {s.column for s in report.leaking} == {names[r] for r in LEAKS}
    for role in LEAKS:
        score = scores[names[role]]
        assert score.metric == "AUC" and score.score >= leakage.AUC_LEAK, (role, score)
        assert (
            score.reason == f"alone it predicts the label (AUC {score.score:.3f} on held-out rows)"
        )
    honest = scores[names["honest"]]
    assert 0.78 < honest.score < 0.92, honest  # genuinely predictive, not flagged
    for role in ("string_id", "number_id", "many_values", "noise"):
        assert scores[names[role]].score < 0.7, (role, scores[names[role]])
    assert scores[names["string_id"]].purity is None  # never judged as a copy
    assert report.scores[: len(LEAKS)] == report.leaking  # leaking first


def test_a_copy_in_any_encoding_is_pure() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 3000)
    codes = np.array(["N", "Y"], dtype=object)[y]
    report = leakage.score_columns({"flag": codes, "as_int": y * 3 + 1}, y, "binary")
    assert {s.column for s in report.leaking} == {"flag", "as_int"}
    for score in report.leaking:
        assert score.purity == 1.0 and score.values == 2


def test_multiclass_uses_macro_one_vs_rest_auc() -> None:
    rng = np.random.default_rng(3)
    n = 2500
    y = rng.integers(0, 4, n)
    classes = np.array(["north", "south", "east", "west"], dtype=object)
    columns = {
        "status_code": np.array(["A", "B", "C", "D"], dtype=object)[y],
        "honest": y + rng.normal(0, 1.2, n),
        # gives one class of four away, and nothing of the others: averaged, not flagged
        "one_class_only": np.where(y == 2, 1.0, np.nan),
    }
    report = leakage.score_columns(columns, classes[y], "multiclass")
    scores = {s.column: s for s in report.scores}
    assert [s.column for s in report.leaking] == ["status_code"]
    assert scores["status_code"].score == pytest.approx(1.0)
    assert scores["honest"].score < 0.9
    assert scores["one_class_only"].score < 0.9


@pytest.mark.parametrize("seed", SEEDS)
def test_regression_leaks_and_honest_features(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(300, 5000))
    y = rng.lognormal(4, 0.6, n)
    used: set[str] = set()
    roles = {
        "scaled_copy": 2.5 * y + rng.normal(0, 0.01 * y.std(), n),
        "in_cents": np.round(y) * 100,
        "honest": y + rng.normal(0, 0.9 * y.std(), n),
        "honest_band": np.where(y > np.median(y), "high", "low").astype(object),
        "number_id": rng.permutation(n).astype(float),
        "string_id": np.array([f"r{i}" for i in rng.permutation(n)], dtype=object),
    }
    names = {role: _name(rng, used) for role in roles}
    report = leakage.score_columns({names[r]: v for r, v in roles.items()}, y, "regression")
    scores = {s.column: s for s in report.scores}
    assert {s.column for s in report.leaking} == {names["scaled_copy"], names["in_cents"]}
    assert scores[names["scaled_copy"]].reason.startswith("alone it tracks the label (|Spearman|")
    assert scores[names["honest"]].score < 0.9
    assert scores[names["honest_band"]].score < 0.9  # R² of a two-value column
    assert scores[names["number_id"]].score < 0.15
    assert scores[names["string_id"]].score < 0.15


def test_a_label_almost_always_one_class_does_not_make_every_column_pure() -> None:
    rng = np.random.default_rng(11)
    n = 8000
    y = (rng.random(n) < 0.005).astype(int)
    columns = {"region": rng.choice(["a", "b", "c", "d"], n).astype(object)}
    [score] = leakage.score_columns(columns, y, "binary").scores
    assert score.purity is not None and score.purity > 0.99  # the usual class, everywhere
    assert not score.leaks


def test_too_few_rows_or_one_class_is_not_judged() -> None:
    small = leakage.score_columns({"x": [1.0] * 20}, [0, 1] * 10, "binary")
    assert not small.judged and small.note == "20 labelled rows, under 50"
    single = leakage.score_columns({"x": list(range(100))}, [1] * 99 + [0], "binary")
    assert not single.judged and "no two label values" in single.note


def test_missing_labels_are_dropped_and_values_of_any_kind_are_read() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 400)
    label = [None if i % 10 == 0 else ("yes" if v else "no") for i, v in enumerate(y)]
    copy = [None if i % 7 == 0 else int(v) for i, v in enumerate(y)]
    report = leakage.score_columns({"copy": copy}, label, "binary")
    assert report.rows == 360
    assert report.leaking[0].column == "copy"


def test_rows_beyond_the_cap_are_a_seeded_sample() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 3000)
    x = y + rng.normal(0, 1, 3000)
    first = leakage.score_columns({"x": x}, y, "binary", sample_rows=500)
    again = leakage.score_columns({"x": x}, y, "binary", sample_rows=500)
    other = leakage.score_columns({"x": x}, y, "binary", sample_rows=500, seed=1)
    assert first.rows == 500 and first.scores == again.scores != other.scores


@pytest.mark.parametrize(
    "expression",
    ["weight > 40 and kind == 'b'", "not (weight / 2 <= 10) or kind != 'a'", "-weight < -30"],
)
def test_a_derived_label_matches_the_python_evaluation(expression: str) -> None:
    rng = np.random.default_rng(9)
    weight = [None if i % 9 == 0 else float(v) for i, v in enumerate(rng.uniform(0, 80, 200))]
    kind = [None if i % 11 == 0 else str(v) for i, v in enumerate(rng.choice(["a", "b"], 200))]
    derived = leakage.derived_label(expression, {"weight": weight, "kind": kind})
    parsed = label_expr.parse(expression)
    expected = [
        float(bool(label_expr.evaluate(parsed, label_expr.python_ops({"weight": w, "kind": k}))))
        for w, k in zip(weight, kind, strict=True)
    ]
    assert derived.tolist() == expected


def test_label_positive_is_one_value_against_the_rest() -> None:
    assert leakage.one_vs_rest(["a", None, "b", "c"], "b").tolist()[::2] == [0.0, 1.0]
    assert np.isnan(leakage.one_vs_rest(["a", None, "b", "c"], "b")[1])
    assert leakage.one_vs_rest([1, 2, None], "2")[:2].tolist() == [0.0, 1.0]  # numbers as such
    assert leakage.one_vs_rest([1.0, 2.0], "x").tolist() == [0.0, 0.0]
