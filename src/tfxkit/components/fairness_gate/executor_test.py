"""FairnessGate: the gap rule on counts, and the executor on TFMA-format metrics files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tensorflow as tf
from tensorflow_model_analysis.proto import metrics_for_slice_pb2
from tfx.types import standard_artifacts

from tfxkit.components.fairness_gate import executor, gaps
from tfxkit.components.fairness_gate.gaps import Counts
from tfxkit.components.fairness_gate.verdict import FairnessVerdict
from tfxkit.components.verdicts import read

FPR_BOUND = {"false_positive_rate": {"max_difference": 0.1}}


def settings(**overrides) -> dict:
    base = {
        "sensitive_features": ["group"],
        "metrics": FPR_BOUND,
        "reference": {},
        "min_slice_size": 30,
        "decision_threshold": 0.5,
    }
    return {**base, **overrides}


def test_rates_come_from_the_confusion_matrix() -> None:
    counts = Counts(tp=30, fp=10, tn=40, fn=20)
    names = sorted(gaps.RATES)
    got = gaps.rates(counts, names)
    assert got["false_positive_rate"] == pytest.approx(10 / 50)
    assert got["false_negative_rate"] == pytest.approx(20 / 50)
    assert got["true_positive_rate"] == pytest.approx(30 / 50)
    assert got["true_negative_rate"] == pytest.approx(40 / 50)
    assert got["positive_rate"] == pytest.approx(40 / 100)
    assert got["precision"] == pytest.approx(30 / 40)
    assert got["accuracy"] == pytest.approx(70 / 100)
    assert gaps.rates(Counts(tp=5, fp=0, tn=0, fn=0), ["false_positive_rate"]) == {
        "false_positive_rate": None
    }


def test_a_slice_far_from_overall_fails_with_the_numbers_in_the_reason() -> None:
    overall = Counts(tp=100, fp=20, tn=180, fn=10)
    slices = {"group": {"a": Counts(60, 5, 150, 5), "b": Counts(40, 15, 30, 5)}}
    verdict = gaps.judge(overall, slices, settings())
    assert not verdict.passed
    (failure,) = verdict.reasons
    # b: FPR 15/45 = 0.333 vs overall 20/200 = 0.1 -> difference 0.233
    assert failure.startswith("false_positive_rate on group=b: 0.333 vs 0.1 on overall")
    assert "difference 0.233 above max_difference 0.1" in failure
    assert verdict.reason.startswith("not fair enough: false_positive_rate on group=b")
    rows = {r.slice: r for r in verdict.rows}
    assert rows["overall"].status == "reference"
    assert rows["group=a"].status == "pass"
    assert rows["group=b"].status == "fail"
    assert rows["group=b"].gaps["false_positive_rate"]["difference"] == pytest.approx(0.233333)


def test_ratio_bound_is_symmetric_four_fifths_rule() -> None:
    overall = Counts(tp=50, fp=50, tn=50, fn=50)
    # positive rate: a = 0.5 (== overall), b = 0.35 -> ratio 0.7 < 0.8
    slices = {"group": {"a": Counts(25, 25, 25, 25), "b": Counts(20, 15, 40, 25)}}
    bound = {"positive_rate": {"min_ratio": 0.8}}
    verdict = gaps.judge(overall, slices, settings(metrics=bound))
    assert [f.split(":")[0] for f in verdict.reasons] == ["positive_rate on group=b"]
    assert "ratio 0.7 below min_ratio 0.8" in verdict.reasons[0]
    assert gaps.gap(0.7, 0.5) == gaps.gap(0.5, 0.7)


def test_a_small_slice_is_reported_not_judged() -> None:
    overall = Counts(tp=100, fp=20, tn=180, fn=10)
    slices = {"group": {"a": Counts(60, 5, 150, 5), "tiny": Counts(1, 5, 2, 1)}}
    verdict = gaps.judge(overall, slices, settings())
    assert verdict.passed, verdict.reason
    assert verdict.too_small == ["group=tiny (9 examples): under min_slice_size 30"]
    assert "1 slice(s) or rate(s) too small to judge" in verdict.reason
    assert {r.slice: r.status for r in verdict.rows}["group=tiny"] == ("too small to judge")


def test_a_configured_reference_slice_is_compared_with() -> None:
    overall = Counts(tp=100, fp=20, tn=180, fn=10)
    slices = {"group": {"a": Counts(60, 5, 150, 5), "b": Counts(40, 15, 30, 5)}}
    verdict = gaps.judge(overall, slices, settings(reference={"group": "a"}))
    assert verdict.reasons[0].startswith(
        "false_positive_rate on group=b: 0.333 vs 0.0323 on group=a"
    )
    missing = gaps.judge(overall, slices, settings(reference={"group": "c"}))
    assert not missing.passed
    assert "the reference slice group=c has no examples" in missing.reasons[0]


def test_no_slices_for_a_feature_is_not_blessed() -> None:
    verdict = gaps.judge(Counts(10, 1, 30, 2), {"group": {}}, settings())
    assert not verdict.passed
    assert verdict.reasons == [
        "group: no slice in the evaluation data (all values missing?); fairness not judged, "
        "so not blessed"
    ]


# Issue 31's planted bias: one group's label ignores the features (TPR 0.81 vs 0.24 on ~500
# eval rows each), and the configured reference slice has 8 rows.
BIASED = {
    "grp": {
        "ref": Counts(tp=2, fp=1, tn=4, fn=1),
        "fair": Counts(tp=203, fp=25, tn=225, fn=47),
        "unfair": Counts(tp=60, fp=20, tn=230, fn=190),
    }
}
TPR_BOUND = {"true_positive_rate": {"max_difference": 0.1}}


def test_a_too_small_reference_falls_back_to_the_largest_slice_and_says_so() -> None:
    overall = Counts(tp=265, fp=46, tn=459, fn=238)
    verdict = gaps.judge(
        overall,
        BIASED,
        settings(sensitive_features=["grp"], metrics=TPR_BOUND, reference={"grp": "ref"}),
    )
    assert not verdict.passed, verdict.reason
    assert verdict.judged
    assert verdict.not_judged == [
        "grp: the reference slice grp=ref has 8 examples, under min_slice_size 30; judged "
        "against the largest slice grp=unfair (500 examples) instead"
    ]
    assert verdict.reasons[0].startswith("true_positive_rate on grp=fair: 0.812 vs 0.24")


def test_min_slice_size_above_every_slice_judges_nothing_and_does_not_bless() -> None:
    overall = Counts(tp=265, fp=46, tn=459, fn=238)
    for reference in ({}, {"grp": "ref"}):
        verdict = gaps.judge(
            overall,
            BIASED,
            settings(
                sensitive_features=["grp"],
                metrics=TPR_BOUND,
                reference=reference,
                min_slice_size=10_000,
            ),
        )
        assert not verdict.passed and not verdict.judged
        assert "not judged" in verdict.reason, verdict.reason


def test_any_blessing_gate_that_judged_nothing_does_not_pass() -> None:
    from tfxkit.components.verdicts import nothing_judged_never_blesses

    lenient = FairnessVerdict(
        passed=True,
        judged=False,
        reason="",
        decision_threshold=0.5,
        min_slice_size=30,
        metrics=FPR_BOUND,
    )
    strict = nothing_judged_never_blesses(lenient)
    assert not strict.passed and strict.reasons == ["fairness: judged nothing, so not blessed"]
    judged = lenient.model_copy(update={"judged": True})
    assert nothing_judged_never_blesses(judged).passed


def _metrics_file(directory: Path, slices: dict[tuple, Counts], threshold: float = 0.5) -> None:
    """Write MetricsForSlice records as TFMA's writer does (``metrics-*.tfrecord``)."""
    directory.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(directory / "metrics-00000-of-00001.tfrecord")) as writer:
        for key, counts in slices.items():
            record = metrics_for_slice_pb2.MetricsForSlice()
            if key:
                column = record.slice_key.single_slice_keys.add(column=key[0])
                column.bytes_value = key[1].encode()
            for model_name in ("candidate", "baseline"):
                item = record.metric_keys_and_values.add()
                item.key.name = "confusion_matrix_at_thresholds"
                item.key.model_name = model_name
                matrix = item.value.confusion_matrix_at_thresholds.matrices.add()
                matrix.threshold = threshold
                scale = 1 if model_name == "candidate" else 100  # the baseline must be ignored
                matrix.true_positives = counts.tp * scale
                matrix.false_positives = counts.fp * scale
                matrix.true_negatives = counts.tn * scale
                matrix.false_negatives = counts.fn * scale
            writer.write(record.SerializeToString())


def test_executor_blesses_and_records_the_reason(tmp_path: Path) -> None:
    evaluation = standard_artifacts.ModelEvaluation()
    evaluation.uri = str(tmp_path / "evaluation")
    _metrics_file(
        tmp_path / "evaluation",
        {
            (): Counts(100, 20, 180, 10),
            ("group", "a"): Counts(60, 5, 150, 5),
            ("group", "b"): Counts(40, 15, 30, 5),
            ("other", "x"): Counts(1, 1, 1, 1),
        },
    )
    model = standard_artifacts.Model()
    model.uri = str(tmp_path / "model")
    model.id = 7
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = str(tmp_path / "blessing")
    executor.Executor().Do(
        {"evaluation": [evaluation], "model": [model]},
        {"blessing": [blessing]},
        {"settings": json.dumps(settings()), "code_fingerprint": "x"},
    )
    # Under "passed", not TFX's "blessed": TFX's remote baseline resolver (the newest
    # ModelBlessing with blessed == 1) must see the Evaluator's blessing only.
    assert blessing.get_int_custom_property("passed") == 0
    assert not blessing.has_custom_property("blessed")
    assert "false_positive_rate on group=b" in blessing.get_string_custom_property("reason")
    assert blessing.get_int_custom_property("current_model_id") == 7
    assert (tmp_path / "blessing" / "NOT_BLESSED").exists()
    verdict = read(blessing)  # what the runner reads back, by the artifact's verdict kind
    assert isinstance(verdict, FairnessVerdict) and verdict == FairnessVerdict.read(blessing.uri)
    assert not verdict.passed and verdict.judged
    assert verdict.headline() == blessing.get_string_custom_property("reason")
    assert [r.slice for r in verdict.rows] == ["overall", "group=a", "group=b"]
    assert verdict.rows[0].examples == 310  # the candidate's counts, not the baseline's


def test_executor_refuses_an_evaluation_without_confusion_matrices(tmp_path: Path) -> None:
    evaluation = standard_artifacts.ModelEvaluation()
    evaluation.uri = str(tmp_path / "evaluation")
    (tmp_path / "evaluation").mkdir()
    model = standard_artifacts.Model()
    model.uri = str(tmp_path / "model")
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = str(tmp_path / "blessing")
    with pytest.raises(RuntimeError, match="no confusion matrix at the decision threshold"):
        executor.Executor().Do(
            {"evaluation": [evaluation], "model": [model]},
            {"blessing": [blessing]},
            {"settings": json.dumps(settings()), "code_fingerprint": "x"},
        )


def test_a_rate_from_few_examples_is_reported_not_judged() -> None:
    overall = Counts(tp=100, fp=20, tn=180, fn=100)
    # b: 200 examples but 3 positives, all caught: TPR 1.0 against 0.5 overall.
    slices = {"group": {"b": Counts(tp=3, fp=10, tn=187, fn=0)}}
    bounds = {
        "true_positive_rate": {"min_ratio": 0.8},
        "false_positive_rate": {"max_difference": 0.1},
    }
    verdict = gaps.judge(overall, slices, settings(metrics=bounds, min_rate_examples=20))
    assert verdict.passed, verdict.reasons
    (row,) = [r for r in verdict.rows if r.slice == "group=b"]
    assert row.unjudged == {"true_positive_rate": "3 positives"}
    assert "false_positive_rate" in row.gaps  # 197 negatives: judged
    assert verdict.too_small == [
        "true_positive_rate on group=b (3 positives): under min_rate_examples 20"
    ]
    strict = gaps.judge(overall, slices, settings(metrics=bounds, min_rate_examples=1))
    assert [f.split(":")[0] for f in strict.reasons] == ["true_positive_rate on group=b"]
