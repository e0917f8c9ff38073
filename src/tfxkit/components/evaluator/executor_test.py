"""The verdict: failures on slices under min_slice_size are excused; everything else blocks.
The executor stores it in the blessing, from TFMA's output files."""

from __future__ import annotations

import os
from pathlib import Path

import tensorflow as tf
from tensorflow_model_analysis.proto import metrics_for_slice_pb2, validation_result_pb2
from tfx.components.evaluator import executor as tfx_executor
from tfx.types import standard_artifacts

from tfxkit.components.evaluator.executor import (
    ALWAYS,
    Executor,
    _slice_id,
    _slice_name,
    judge,
)
from tfxkit.components.evaluator.verdict import NO_THRESHOLDS, ClassMetrics, EvaluationVerdict
from tfxkit.components.verdicts import VERDICT_FILE, read


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


def _tfma_output(directory: Path, result: validation_result_pb2.ValidationResult) -> None:
    """What TFMA writes: per-slice metrics (a 3-class confusion matrix overall) and validations."""
    directory.mkdir(parents=True)
    overall = metrics_for_slice_pb2.MetricsForSlice(slice_key=_slice())
    for model_name, accuracy in (("candidate", 0.9), ("baseline", 0.1)):
        item = overall.metric_keys_and_values.add()
        item.key.name, item.key.model_name = "accuracy", model_name
        item.value.double_value.value = accuracy
    item = overall.metric_keys_and_values.add()
    item.key.name = "example_count"
    item.value.double_value.value = 300.0
    matrix = overall.metric_keys_and_values.add()
    matrix.key.name = "multi_class_confusion_matrix_at_thresholds"
    entries = matrix.value.multi_class_confusion_matrix_at_thresholds.matrices.add().entries
    for actual, predicted, n in ((0, 0, 90), (0, 1, 10), (1, 1, 100), (2, 2, 100)):
        entries.add(actual_class_id=actual, predicted_class_id=predicted, num_weighted_examples=n)
    small = metrics_for_slice_pb2.MetricsForSlice(slice_key=SMALL)
    item = small.metric_keys_and_values.add()
    item.key.name = "example_count"
    item.value.double_value.value = 9.0
    with tf.io.TFRecordWriter(str(directory / "metrics-00000-of-00001.tfrecord")) as writer:
        for record in (overall, small):
            writer.write(record.SerializeToString())
    with tf.io.TFRecordWriter(str(directory / "validations-00000-of-00001.tfrecord")) as writer:
        writer.write(result.SerializeToString())


def _run(
    tmp_path: Path, monkeypatch, result, validated: bool, min_slice_size: int = 30, **extra: str
):
    """The executor's Do, with TFX's evaluation replaced by its output files and blessing."""

    def tfx_do(self, input_dict, output_dict, exec_properties) -> None:
        _tfma_output(Path(output_dict["evaluation"][0].uri), result)
        if validated:
            blessed = output_dict["blessing"][0]
            marker = "BLESSED" if result.validation_ok else "NOT_BLESSED"
            (Path(blessed.uri) / marker).write_text("")
            blessed.set_int_custom_property("blessed", int(result.validation_ok))

    monkeypatch.setattr(tfx_executor.Executor, "Do", tfx_do)
    evaluation = standard_artifacts.ModelEvaluation()
    evaluation.uri = str(tmp_path / "evaluation")
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = str(tmp_path / "blessing")
    Path(blessing.uri).mkdir()
    Executor().Do(
        {},
        {"evaluation": [evaluation], "blessing": [blessing]},
        {"min_slice_size": min_slice_size, "code_fingerprint": "x", **extra},
    )
    return blessing


def test_the_executor_stores_its_verdict_in_the_blessing(tmp_path: Path, monkeypatch) -> None:
    result = _result(SMALL)  # auc fails on a 9-example slice only: excused
    result.metric_validations_per_slice[0].failures[0].metric_value.double_value.value = 0.5
    blessing = _run(tmp_path, monkeypatch, result, validated=True)
    assert blessing.get_int_custom_property("blessed") == 1  # re-decided: the slice is excused
    assert sorted(os.listdir(blessing.uri)) == ["BLESSED", VERDICT_FILE]
    verdict = read(blessing)  # what the runner reads back, by the artifact's verdict kind
    assert isinstance(verdict, EvaluationVerdict) and verdict == EvaluationVerdict.read(blessing)
    assert verdict.passed and verdict.judged and verdict.reasons == []
    assert verdict.metrics == {"accuracy": 0.9, "example_count": 300.0}  # not the baseline's
    assert verdict.too_small_text() == [
        "island=Torgersen (9 examples): auc not judged, under evaluation.min_slice_size 30"
    ]
    assert verdict.per_class["0"] == ClassMetrics(examples=100, precision=1.0, recall=0.9)
    assert verdict.per_class["1"].precision == round(100 / 110, 4)
    assert blessing.get_string_custom_property("reason").startswith("blessed: every threshold")


def test_a_failed_bound_is_said_in_words(tmp_path: Path, monkeypatch) -> None:
    result = _result(SMALL)
    failure = result.metric_validations_per_slice[0].failures[0]
    failure.metric_value.double_value.value = 0.5
    failure.metric_threshold.value_threshold.lower_bound.value = 0.7
    blessing = _run(tmp_path, monkeypatch, result, validated=True, min_slice_size=0)
    verdict = EvaluationVerdict.read(blessing)
    assert not verdict.passed and blessing.get_int_custom_property("blessed") == 0
    assert verdict.reasons == ["auc on island=Torgersen: 0.5 below the lower bound 0.7"]
    assert (Path(blessing.uri) / "NOT_BLESSED").exists()


def test_no_thresholds_judges_nothing_and_blesses_nothing(tmp_path: Path, monkeypatch) -> None:
    result = validation_result_pb2.ValidationResult(validation_ok=True, missing_thresholds=True)
    blessing = _run(tmp_path, monkeypatch, result, validated=False)
    assert not blessing.has_custom_property("blessed")  # as TFX leaves it: no push condition met
    verdict = read(blessing)
    assert isinstance(verdict, EvaluationVerdict)
    assert (verdict.passed, verdict.judged) == (False, False)
    assert verdict.reasons == [NO_THRESHOLDS]
    assert verdict.metrics["accuracy"] == 0.9  # the metrics are still reported


def test_bless_always_blesses_without_thresholds_and_says_so(tmp_path: Path, monkeypatch) -> None:
    result = validation_result_pb2.ValidationResult(validation_ok=True, missing_thresholds=True)
    blessing = _run(tmp_path, monkeypatch, result, validated=False, bless="always")
    assert blessing.get_int_custom_property("blessed") == 1  # what the push's Cond tests
    assert (Path(blessing.uri) / "BLESSED").exists()
    verdict = EvaluationVerdict.read(blessing)
    assert (verdict.passed, verdict.judged, verdict.reasons) == (True, False, [])
    assert blessing.get_string_custom_property("reason") == ALWAYS
    assert verdict.lines()[-1] == "  blessed:  evaluation.bless: always (no thresholds judged)"
