"""RunReport executor: a run's artifacts in; an HTML page, a Markdown summary, metrics and a
confusion matrix out, as KFP's UI reads them (files at the URIs, metadata as properties)."""

from __future__ import annotations

import json
from pathlib import Path

from tensorflow_metadata.proto.v0 import statistics_pb2
from tensorflow_model_analysis.proto import metrics_for_slice_pb2
from tfx.types import standard_artifacts

from tfxkit.components.run_report import artifacts, executor, gather
from tfxkit.components.verdicts import SETTINGS_KEY

EVIL = "<script>x</script>"


def _artifact(kind: type, uri: Path) -> object:
    made = kind()
    made.uri = str(uri)
    return made


def _inputs(tmp_path: Path) -> dict[str, list]:
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    data = stats.datasets.add(num_examples=12)
    feature = data.features.add(type=statistics_pb2.FeatureNameStatistics.STRING)
    feature.path.step.append("island")
    feature.string_stats.common_stats.num_non_missing = 12
    feature.string_stats.top_values.add(value=EVIL, frequency=12)
    for split in ("train", "eval"):
        (tmp_path / "stats" / f"Split-{split}").mkdir(parents=True)
        (tmp_path / "stats" / f"Split-{split}" / "FeatureStats.pb").write_bytes(
            stats.SerializeToString()
        )
    (tmp_path / "blessing").mkdir()
    verdict = {
        "kind": "evaluation",
        "passed": False,
        "reasons": ["accuracy on Overall: 0.4 below the lower bound 0.6"],
        "metrics": {"accuracy": 0.4, "example_count": 12.0},
        "per_class": {"0": {"examples": 12.0, "precision": 0.5, "recall": 0.4}},
    }
    (tmp_path / "blessing" / "verdict.json").write_text(json.dumps(verdict))
    (tmp_path / "run").mkdir()
    history = {"train": [{"step": 5, "loss": 1.0}, {"step": 10, "loss": 0.5}], "eval": []}
    (tmp_path / "run" / gather.HISTORY_FILE).write_text(json.dumps(history))
    return {
        executor.STATISTICS_KEY: [
            _artifact(standard_artifacts.ExampleStatistics, tmp_path / "stats")
        ],
        executor.BLESSING_KEY: [_artifact(standard_artifacts.ModelBlessing, tmp_path / "blessing")],
        executor.MODEL_RUN_KEY: [_artifact(standard_artifacts.ModelRun, tmp_path / "run")],
    }


def _outputs(tmp_path: Path) -> dict[str, list]:
    kinds = {
        executor.HTML_KEY: artifacts.HTML,
        executor.MARKDOWN_KEY: artifacts.Markdown,
        executor.METRICS_KEY: artifacts.Metrics,
        executor.CLASSIFICATION_KEY: artifacts.ClassificationMetrics,
    }
    return {k: [_artifact(kind, tmp_path / "out" / k)] for k, kind in kinds.items()}


def test_report_metrics_and_summary_from_the_runs_artifacts(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path)
    settings = {SETTINGS_KEY: json.dumps({"pipeline": "penguin"})}
    executor.Executor().Do(_inputs(tmp_path), outputs, settings)

    html = Path(outputs[executor.HTML_KEY][0].uri).read_text()
    assert "penguin" in html and "not blessed" in html and "island" in html
    assert "split &#x27;eval&#x27;: 12 examples" in html and "loss (last: train 0.5)" in html
    assert "below the lower bound 0.6" in html and "<script>" not in html
    text = Path(outputs[executor.MARKDOWN_KEY][0].uri).read_text()
    assert "**Evaluation: not blessed**" in text and "| accuracy | 0.4 |" in text
    assert "| 0 | 12 | 0.5 | 0.4 |" in text
    metrics = outputs[executor.METRICS_KEY][0]
    assert metrics.get_float_custom_property("accuracy") == 0.4
    assert json.loads(Path(metrics.uri).read_text()) == {"accuracy": 0.4, "example_count": 12.0}
    # No TFMA evaluation given: no matrix, an empty one written where the UI would look.
    assert json.loads(Path(outputs[executor.CLASSIFICATION_KEY][0].uri).read_text()) == {}


def test_nothing_given_still_writes_every_output(tmp_path: Path) -> None:
    outputs = _outputs(tmp_path)
    executor.Executor().Do({}, outputs, {SETTINGS_KEY: json.dumps({"pipeline": "p"})})
    html = Path(outputs[executor.HTML_KEY][0].uri).read_text()
    assert "no statistics in this run" in html and "no training history" in html
    assert "No evaluation" in Path(outputs[executor.MARKDOWN_KEY][0].uri).read_text()


def test_confusion_matrices_as_kfp_reads_them() -> None:
    multi = metrics_for_slice_pb2.MultiClassConfusionMatrixAtThresholds()
    matrix = multi.matrices.add(threshold=0.0)
    for actual, predicted, n in ((0, 0, 5), (0, 1, 1), (1, 1, 4), (1, -1, 2)):
        matrix.entries.add(actual_class_id=actual, predicted_class_id=predicted,
                           num_weighted_examples=n)  # fmt: skip
    found = gather.name_classes(gather.multiclass_matrix(multi), ["Adelie", "Gentoo"])
    specs = found["confusionMatrix"]["annotationSpecs"]
    assert [s["displayName"] for s in specs] == ["Adelie", "Gentoo"]
    assert [r["row"] for r in found["confusionMatrix"]["rows"]] == [[5, 1], [0, 4]]

    binary = metrics_for_slice_pb2.ConfusionMatrixAtThresholds()
    binary.matrices.add(threshold=0.5, true_positives=8, false_negatives=2,
                        false_positives=1, true_negatives=9)  # fmt: skip
    found = gather.binary_matrix(binary)
    assert [r["row"] for r in found["confusionMatrix"]["rows"]] == [[9, 1], [2, 8]]
    [point] = found["confidenceMetrics"]
    assert point == {"confidenceThreshold": 0.5, "recall": 0.8, "falsePositiveRate": 0.1}
    assert gather.confusion(None) is None


def test_tfx_entrypoint_imports_each_system_title_as_our_class() -> None:
    from kfp.pipeline_spec import pipeline_spec_pb2
    from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_entrypoint_utils as utils

    from tfxkit.components.run_report import entrypoint

    entrypoint.register()
    assert artifacts.ENTRYPOINT == entrypoint.__name__  # what the compiled spec runs
    for kind in artifacts.SYSTEM_TYPES:
        schema = pipeline_spec_pb2.ArtifactTypeSchema(schema_title=kind.TYPE_NAME)
        path = utils._retrieve_class_path(schema)
        assert path == f"{kind.__module__}.{kind.__name__}"
