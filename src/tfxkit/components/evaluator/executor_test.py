"""The verdict: failures on slices under min_slice_size are excused; everything else blocks."""

from __future__ import annotations

from tensorflow_model_analysis.proto import metrics_for_slice_pb2, validation_result_pb2

from tfxkit.components.evaluator.executor import _slice_id, _slice_name, judge


def _slice(**columns: str) -> metrics_for_slice_pb2.SliceKey:
    key = metrics_for_slice_pb2.SliceKey()
    for column, value in columns.items():
        key.single_slice_keys.add(column=column, bytes_value=value.encode())
    return key


def _result(*failing: metrics_for_slice_pb2.SliceKey) -> validation_result_pb2.ValidationResult:
    result = validation_result_pb2.ValidationResult(validation_ok=not failing)
    for key in failing:
        per_slice = result.metric_validations_per_slice.add(slice_key=key)
        per_slice.failures.add().metric_key.name = "auc"
    return result


SMALL, BIG = _slice(island="Torgersen"), _slice(island="Biscoe")
COUNTS = {_slice_id(SMALL): 9.0, _slice_id(BIG): 120.0, _slice_id(_slice()): 300.0}


def test_a_failure_on_a_small_slice_is_excused_and_named() -> None:
    verdict = judge(_result(SMALL), COUNTS, min_slice_size=30)
    assert verdict["blessed"] is True
    assert verdict["failures"] == []
    assert verdict["too_small"] == [
        {"slice": "island=Torgersen", "examples": 9.0, "metrics": ["auc"]}
    ]


def test_a_failure_on_a_big_slice_or_overall_still_blocks() -> None:
    verdict = judge(_result(SMALL, BIG), COUNTS, min_slice_size=30)
    assert verdict["blessed"] is False
    assert [f["slice"] for f in verdict["failures"]] == ["island=Biscoe"]
    overall = judge(_result(_slice()), COUNTS, min_slice_size=10_000)
    assert overall["blessed"] is False  # the overall slice is always judged
    assert overall["failures"][0]["slice"] == "overall"


def test_min_slice_size_zero_judges_every_slice() -> None:
    assert judge(_result(SMALL), COUNTS, min_slice_size=0)["blessed"] is False


def test_missing_thresholds_or_slices_still_block() -> None:
    result = _result()
    result.validation_ok = False
    result.missing_thresholds = True
    assert judge(result, COUNTS, min_slice_size=30)["blessed"] is False
    result = _result()
    result.validation_ok = False
    result.missing_slices.add().feature_keys.append("island")
    assert judge(result, COUNTS, min_slice_size=30)["blessed"] is False


def test_slice_names_read_like_the_summary() -> None:
    key = _slice(island="Dream")
    key.single_slice_keys.add(column="year", int64_value=2008)
    assert _slice_name(key) == "island=Dream, year=2008"
    assert _slice_name(_slice()) == "overall"
