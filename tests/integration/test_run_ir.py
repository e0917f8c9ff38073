"""End to end: the Kubeflow V2 PipelineJob that tfxkit compiles really runs (runners.spec_launcher).

The penguin pipeline is compiled with KubeflowV2DagRunner to a local-root spec, then every task's
container command (TFX's Kubeflow V2 entrypoints) runs as a subprocess. A second run on the same
root must resolve the first run's blessed model as the Evaluator's baseline. Claims are checked
on the artifacts on disk and the executor outputs, not on the console.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.paths import PENGUIN_CONFIG, PENGUIN_DATA, PENGUIN_EXECUTOR_NODES, PENGUIN_PIPELINE, REPO
from tests.pipeline_runs import versions

pytestmark = pytest.mark.slow
RUN_REPORT = "run_report"  # tfxkit.pipeline.stages.node_ids.RUN_REPORT

RESOLVERS = (
    "latest_blessed_model_resolver-model-blessing-resolver",
    "latest_blessed_model_resolver-model-resolver",
)
TASK_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3"}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict:
    """Compiled exactly as `tfxkit compile --format kfp -p configs/local-ir.yaml` does."""
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.config.profiles import load_profile
    from tfxkit.pipeline.kfp_compiler import compile_pipeline

    base = tmp_path_factory.mktemp("run_ir")
    root, push_dir = base / "pipeline_root", base / "serving_model"
    cfg = load_config(
        PENGUIN_CONFIG,
        [
            f"workspace={base / 'ws'}",
            "training.train_steps=20",
            "training.epochs=1",
            "training.eval_steps=5",
            "evaluation.thresholds.SparseCategoricalAccuracy={lower_bound: 0.0}",
        ],
    )
    profile = load_profile(
        REPO / "configs" / "local-ir.yaml",
        [
            f"pipeline_root={root}",
            f"data_path={PENGUIN_DATA}",
            f"push_destination={push_dir}",
            f"mounted_volumes=[{base}, {PENGUIN_DATA}]",
        ],
    )
    result = compile_pipeline(PENGUIN_PIPELINE, cfg, profile, output=base / "penguin.json")
    spec = json.loads(result.path.read_text())
    assert spec["runtimeConfig"]["gcsOutputDirectory"] == str(root)
    return {
        "spec_path": result.path,
        "spec": spec,
        "root": root,
        "push_dir": push_dir / cfg.resolved_model_name,
    }


def _run(compiled: dict) -> tuple:
    from tfxkit.runners.spec_launcher import run_compiled

    lines: list[str] = []
    summary = run_compiled(compiled["spec_path"], progress=lines.append, env=TASK_ENV)
    return summary, lines


@pytest.fixture(scope="module")
def first_run(compiled: dict) -> tuple:
    return _run(compiled)


@pytest.fixture(scope="module")
def second_run(compiled: dict, first_run: tuple) -> tuple:
    return _run(compiled)


def _container_tasks(spec: dict) -> set[str]:
    pipeline_spec = spec["pipelineSpec"]
    executors = pipeline_spec["deploymentSpec"]["executors"]
    return {
        name
        for name, task in pipeline_spec["root"]["dag"]["tasks"].items()
        if "container"
        in executors[pipeline_spec["components"][task["componentRef"]["name"]]["executorLabel"]]
    }


def test_every_container_task_finished(compiled: dict, first_run: tuple) -> None:
    summary, lines = first_run
    containers = _container_tasks(compiled["spec"])
    assert containers == PENGUIN_EXECUTOR_NODES | {RUN_REPORT}  # the report: remote only
    statuses = {t.task: t.status for t in summary.tasks}
    assert {statuses[t] for t in containers} == {"finished"}, statuses
    # First run on a fresh root: no blessed model to resolve.
    for resolver in RESOLVERS:
        assert statuses[resolver] == "resolved"
        assert all(uris == [] for uris in summary.outputs[resolver].values())
    assert summary.pipeline_root == str(compiled["root"])
    assert summary.warnings == [], "the compiled spec needed no launcher workaround"
    for task in containers:
        assert any(line.endswith(f"{task}: started") for line in lines)
        assert any(f"{task}: finished in" in line for line in lines)


def test_artifacts_of_every_stage_are_under_the_root(compiled: dict, first_run: tuple) -> None:
    summary, _ = first_run
    out = summary.outputs
    root = compiled["root"]
    examples = Path(out["example_gen"]["examples"][0])
    assert {p.name for p in examples.iterdir()} >= {"Split-train", "Split-eval"}
    assert list(Path(out["statistics_gen"]["statistics"][0]).glob("Split-*/FeatureStats.pb"))
    assert Path(out["schema_gen"]["schema"][0], "schema.pbtxt").is_file()
    assert list(Path(out["example_validator"]["anomalies"][0]).glob("Split-*/SchemaDiff.pb"))
    assert Path(out["transform"]["transform_graph"][0], "transform_fn").is_dir()
    assert list(Path(out["evaluator"]["evaluation"][0]).glob("metrics*"))
    for uris in (u for task in out.values() for u in task.values()):
        assert all(Path(uri).is_relative_to(root) for uri in uris)


def test_model_is_blessed_and_pushed(compiled: dict, first_run: tuple) -> None:
    import tensorflow as tf

    summary, _ = first_run
    model = Path(summary.outputs["trainer"]["model"][0])
    assert (model / "Format-Serving" / "saved_model.pb").is_file()

    [blessing] = summary.artifacts["evaluator"]["blessing"]
    assert blessing["metadata"]["blessed"] == 1.0
    assert Path(blessing["uri"], "BLESSED").is_file()
    assert (
        blessing["metadata"]["current_model_id"]
        == (summary.artifacts["trainer"]["model"][0]["name"])
    )

    [pushed] = summary.artifacts["pusher"]["pushed_model"]
    assert pushed["metadata"]["pushed"] == 1.0
    destination = Path(pushed["metadata"]["pushed_destination"])
    assert destination.parent == compiled["push_dir"]
    assert versions(compiled["push_dir"]) == [1] and destination == compiled["push_dir"] / "1"
    loaded = tf.saved_model.load(str(destination))
    assert "serving_default" in loaded.signatures


def test_the_run_report_is_written_as_kfp_ui_outputs(compiled: dict, first_run: tuple) -> None:
    """The report task's outputs are KFP system types: a self-contained HTML page and a
    Markdown summary at their URIs, the evaluation's metrics and the confusion matrix (named
    by the label vocabulary) as the artifacts' metadata, which the pipeline UI reads."""
    summary, _ = first_run
    spec = compiled["spec"]["pipelineSpec"]
    outputs = spec["components"][RUN_REPORT]["outputDefinitions"]["artifacts"]
    assert {k: v["artifactType"]["schemaTitle"] for k, v in outputs.items()} == {
        "html": "system.HTML",
        "markdown": "system.Markdown",
        "metrics": "system.Metrics",
        "classification_metrics": "system.ClassificationMetrics",
    }
    made = summary.artifacts[RUN_REPORT]
    html = Path(made["html"][0]["uri"]).read_text()
    blessing = summary.artifacts["evaluator"]["blessing"][0]["metadata"]
    for text in ("Data statistics", "bill_length_mm", "Training curves", "<polyline", "Adelie"):
        assert text in html, text
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "blessed" in Path(made["markdown"][0]["uri"]).read_text()
    metrics = made["metrics"][0]["metadata"]
    assert 0.0 <= metrics["sparse_categorical_accuracy"] <= 1.0 and metrics["example_count"] > 0
    matrix = made["classification_metrics"][0]["metadata"]["confusionMatrix"]
    names = [spec["displayName"] for spec in matrix["annotationSpecs"]]
    assert sorted(names) == ["Adelie", "Chinstrap", "Gentoo"]
    assert sum(sum(row["row"]) for row in matrix["rows"]) == metrics["example_count"]
    assert blessing["blessed"] == 1.0  # and the summary says so


def test_second_run_evaluates_against_the_first_runs_model(
    compiled: dict, first_run: tuple, second_run: tuple
) -> None:
    first, _ = first_run
    second, _ = second_run
    assert second.run_id != first.run_id
    blessing_resolver, model_resolver = RESOLVERS
    assert second.status(blessing_resolver) == "resolved"
    assert (
        second.outputs[blessing_resolver]["model_blessing"]
        == (first.outputs["evaluator"]["blessing"])
    )
    assert second.outputs[model_resolver]["model"] == first.outputs["trainer"]["model"]

    # The Evaluator really ran again and compared with that baseline.
    assert second.status("evaluator") == "finished"
    [blessing] = second.artifacts["evaluator"]["blessing"]
    assert blessing["uri"] != first.outputs["evaluator"]["blessing"][0]
    assert (
        blessing["metadata"]["baseline_model_id"]
        == (first.artifacts["trainer"]["model"][0]["name"])
    )
    assert blessing["metadata"]["baseline_model"] == first.outputs["trainer"]["model"][0]
    # Unchanged inputs: the data-processing and training tasks are cache hits (KFP caching).
    for task in ("example_gen", "statistics_gen", "transform", "trainer"):
        assert second.status(task) == "cached", second.tasks
    # The same model blessed again is not pushed again under a new version.
    assert versions(compiled["push_dir"]) == [1]
