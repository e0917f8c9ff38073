"""End to end: the penguin pipeline really runs on this machine (TFX LocalDagRunner + Beam).

One workspace is shared by the runs in this module, in order: a cold run, an unchanged re-run
(reported without TFX), a cached re-run, a run whose blessing threshold cannot be met (nothing
may be pushed), and a run whose Transform fails. Every claim is checked against ML Metadata or
the pushed SavedModel, not the console.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pytest

from tests.paths import PENGUIN_CONFIG, PENGUIN_DATA, PENGUIN_EXECUTOR_NODES
from tests.pipeline_runs import executions, run_pipeline, sqlite_store, versions

pytestmark = pytest.mark.slow


def _executions(workspace: Path, run_id: str) -> dict:
    return executions(workspace, "penguin", run_id)


@pytest.fixture(scope="module")
def workspace(penguin_workspace: Path) -> Path:
    return penguin_workspace


@pytest.fixture(scope="module")
def cold_run(penguin_cold_run: dict) -> dict:
    return penguin_cold_run


def test_cold_run_completes_every_component(workspace: Path, cold_run: dict) -> None:
    summary = cold_run["summary"]
    executions = _executions(workspace, summary["run_id"])
    executor_nodes = PENGUIN_EXECUTOR_NODES
    assert executor_nodes <= set(executions), executions.keys()
    assert {executions[n].state for n in executor_nodes} == {"COMPLETE"}
    assert executions["latest_blessed_model_resolver"].state == "COMPLETE"
    # Progress lines and summary on the console.
    out = cold_run["stdout"]
    for node in executor_nodes:
        assert f"{node}: started" in out and f"{node}: finished in" in out
    assert "blessed:   yes" in out
    assert summary["blessed"] is True


def test_summary_has_per_class_metrics_by_species(cold_run: dict) -> None:
    summary = cold_run["summary"]
    per_class = summary["per_class"]
    assert set(per_class) == {"Adelie", "Chinstrap", "Gentoo"}
    # Every labelled evaluation example is counted once, under its true class.
    total = sum(values["examples"] for values in per_class.values())
    assert total == pytest.approx(summary["metrics"]["example_count"])
    for values in per_class.values():
        assert 0.0 <= values["precision"] <= 1.0 and 0.0 <= values["recall"] <= 1.0
    assert "per class: Adelie (" in cold_run["stdout"]


def test_model_and_pushed_model_recorded(workspace: Path, cold_run: dict) -> None:
    from tfxkit.metadata.store import output_artifacts

    store = sqlite_store(workspace / "penguin" / "metadata.sqlite")
    executions = _executions(workspace, cold_run["summary"]["run_id"])
    [model] = output_artifacts(store, executions["trainer"].execution_id, "Model")
    assert Path(model.uri, "Format-Serving", "saved_model.pb").is_file()
    [pushed] = output_artifacts(store, executions["pusher"].execution_id, "PushedModel")
    assert pushed.custom_properties["pushed"].int_value == 1
    destination = pushed.custom_properties["pushed_destination"].string_value
    assert destination == cold_run["summary"]["pushed_path"]
    assert Path(destination).parent == workspace / "serving" / "penguin"


def test_pushed_model_answers_raw_features(cold_run: dict) -> None:
    import tensorflow as tf

    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    # Two birds of each species.
    picked = [
        r
        for s in ("Adelie", "Chinstrap", "Gentoo")
        for r in [row for row in rows if row["species"] == s][:2]
    ]
    model = tf.saved_model.load(cold_run["summary"]["pushed_path"])
    serve = model.signatures["serving_default"]
    numbers = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
    strings = ("island", "sex")
    inputs = {
        **{k: tf.constant([float(r[k]) for r in picked], tf.float64) for k in numbers},
        **{k: tf.constant([r[k] for r in picked]) for k in strings},
    }
    # Exactly the configured features are inputs: no unused column, no label.
    assert set(serve.structured_input_signature[1]) == set(numbers) | set(strings)
    outputs = serve(**inputs)
    probabilities = outputs["probabilities"].numpy()
    assert probabilities.shape == (6, 3)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert abs(probabilities.sum(axis=1) - 1).max() < 1e-4
    predicted = [c.decode() for c in outputs["classes"].numpy()]
    assert set(predicted) <= {"Adelie", "Chinstrap", "Gentoo"}
    correct = sum(p == r["species"] for p, r in zip(predicted, picked, strict=True))
    assert correct >= 5, list(zip(predicted, [r["species"] for r in picked], strict=True))
    # Any numeric width that converts safely gives the same answer (numpy arrays and lists
    # convert to the signature's float64; TF Serving's REST API converts JSON numbers too).
    import numpy as np

    for width in (np.int16, np.int32, np.int64, np.float32, list):
        narrow = {
            k: [int(float(r[k])) for r in picked] if width is list
            else np.array([float(r[k]) for r in picked]).round().astype(width)
            for k in numbers
        }  # fmt: skip
        wide = {k: tf.constant(np.asarray(v, dtype=np.float64)) for k, v in narrow.items()}
        strings_in = {k: inputs[k] for k in strings}
        same = serve(**narrow, **strings_in)["probabilities"].numpy()
        expected = serve(**wide, **strings_in)["probabilities"].numpy()
        assert np.abs(same - expected).max() < 1e-6, width


def test_pushed_model_was_proved_to_serve_and_warms_up(workspace: Path, cold_run: dict) -> None:
    """Issue 28 #6: the infra check blessed it in a fresh process, and the pushed version holds
    its requests as TF Serving's warm-up file, which a model store replays without error."""
    from tfxkit.components.infra_check import probe
    from tfxkit.components.infra_check.warmup import WARMUP_PATH
    from tfxkit.serving.grpc_service import PredictionService
    from tfxkit.serving.models import ModelStore

    check = cold_run["summary"]["verdicts"]["infra_check"]
    assert check["passed"] and check["examples"] == 32, check
    assert {c["signature"] for c in check["checks"] if c["status"] == "matches"} == {
        "serving_default",
        "serving_examples",
        "classification",
    }
    assert "serves:    passed" in cold_run["stdout"]
    assert "(with warm-up requests)" in cold_run["stdout"]
    records = probe.read_records(str(Path(cold_run["summary"]["pushed_path"], WARMUP_PATH)))
    assert len(records) == len(check["checks"]) == check["warmup_requests"]
    store = ModelStore(str(workspace / "serving"))
    store.refresh()
    answers = probe.replay(PredictionService(store), records)
    assert [a.get("error") for a in answers] == [None] * len(records)


def test_unchanged_rerun_reports_without_importing_tfx(workspace: Path, cold_run: dict) -> None:
    """Nothing changed: the last run is reported from its record (tfxkit.runners.rerun), and the
    process never imports TensorFlow, TFX or Beam (``-X importtime`` lists every import)."""
    # Other modules may have run other configs in this session's workspace since the cold
    # run: this run makes the standard config the last one (fast, cached, either way).
    first_path, summary_path = workspace.parent / "last.json", workspace.parent / "unchanged.json"
    assert run_pipeline(workspace, summary=first_path).returncode == 0
    first = json.loads(first_path.read_text())
    result = run_pipeline(workspace, summary=summary_path, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"nothing changed since run {first['run_id']}" in result.stdout
    assert json.loads(summary_path.read_text()) == first
    assert first["pushed_path"] == cold_run["summary"]["pushed_path"]
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "tfxkit.runners.rerun" in imported  # the listing works
    for heavy in ("tensorflow", "tfx", "apache_beam", "ml_metadata"):
        assert heavy not in imported, f"{heavy} was imported by an unchanged re-run"


def test_cached_rerun_executes_nothing(workspace: Path, cold_run: dict) -> None:
    """The store was touched since the recorded run: any doubt means a real (TFX-cached) run."""
    store = workspace / "penguin" / "metadata.sqlite"
    info = store.stat()
    os.utime(store, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    summary_path = workspace.parent / "cached.json"
    result = run_pipeline(workspace, summary=summary_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    executions = _executions(workspace, summary["run_id"])
    states = {node: e.state for node, e in executions.items() if not node.endswith("_resolver")}
    assert set(states) == PENGUIN_EXECUTOR_NODES
    assert set(states.values()) == {"CACHED"}, states
    # The cached run reports the same pushed model; nothing new was written.
    assert summary["pushed_path"] == cold_run["summary"]["pushed_path"]
    assert versions(workspace / "serving" / "penguin") == [1]


def test_unblessed_model_is_not_pushed(workspace: Path, cold_run: dict) -> None:
    summary_path = workspace.parent / "strict.json"
    result = run_pipeline(
        workspace,
        "--set",
        "evaluation.thresholds.SparseCategoricalAccuracy={lower_bound: 1.01}",
        "--fail-if-not-pushed",  # CI's way to see a refusal: exit 4 (the default is 0)
        summary=summary_path,
    )
    assert result.returncode == 4, result.stderr[-3000:]
    assert "no model was pushed" in result.stderr
    summary = json.loads(summary_path.read_text())
    assert summary["blessed"] is False
    assert summary["pushed_path"] is None
    assert "pusher: skipped" in result.stdout
    executions = _executions(workspace, summary["run_id"])
    assert executions["evaluator"].state == "COMPLETE"
    assert "pusher" not in executions
    assert versions(workspace / "serving" / "penguin") == [1]


def test_runs_list_show_and_compare_read_the_history(workspace: Path, cold_run: dict) -> None:
    """After the cold run and the strict run (one threshold changed): the history names both,
    the strict one not blessed and not pushed, and the config change between them."""
    import subprocess
    import sys

    strict_path = workspace.parent / "strict.json"
    if not strict_path.is_file():
        pytest.skip("needs test_unblessed_model_is_not_pushed's run first (module order)")
    cold, strict = cold_run["summary"]["run_id"], json.loads(strict_path.read_text())["run_id"]
    tfxkit = str(Path(sys.executable).parent / "tfxkit")
    where = ["-c", str(PENGUIN_CONFIG), "--set", f"workspace={workspace}"]

    def cli(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([tfxkit, "runs", *args, *where], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-2000:]
        return result

    listed = {r["run_id"]: r for r in json.loads(cli("list", "--json").stdout)}
    assert listed[cold]["status"] == "blessed" and listed[cold]["pushed"] == "v1"
    assert listed[strict]["status"] == "not blessed" and listed[strict]["pushed"] == "no"
    assert listed[cold]["config_hash"] != listed[strict]["config_hash"]
    shown = cli("show", strict[:-3]).stdout  # a unique prefix is enough
    assert f"run {strict}" in shown and "not blessed" in shown
    assert re.search(r"pusher\s+skipped", shown) and "pushed: no" in shown, shown
    assert "failed:  sparse_categorical_accuracy on overall" in shown and "1.01" in shown, shown
    compared = cli("compare", cold, strict).stdout
    assert "config changes from" in compared
    assert "evaluation.thresholds.SparseCategoricalAccuracy.lower_bound:" in compared
    assert "-> 1.01" in compared, compared
    # Why the Evaluator ran again (the threshold) and the Trainer did not.
    why = [tfxkit, "why"]
    evaluator = subprocess.run([*why, "evaluator", strict, *where], capture_output=True, text=True)
    assert evaluator.returncode == 0, evaluator.stderr[-2000:]
    assert f"evaluator ran in run {strict}" in evaluator.stdout
    assert "lower_bound" in evaluator.stdout and "1.01" in evaluator.stdout, evaluator.stdout
    trainer = subprocess.run([*why, "trainer", strict, *where], capture_output=True, text=True)
    assert "trainer was cached" in trainer.stdout, trainer.stdout + trainer.stderr[-2000:]
    # Lineage: version 1 back to the data files; span 0 forward to every model and push.
    up = json.loads(cli_lineage(tfxkit, "1", *where))
    steps = {s["node_id"]: s for s in up["steps"]}
    assert {"pusher", "trainer", "transform", "example_gen"} <= set(steps)
    assert steps["trainer"]["run_id"] == cold and steps["trainer"]["config_hash"]
    assert steps["trainer"]["properties"]["code_fingerprint"]
    assert steps["example_gen"]["properties"]["input_fingerprint"].count("sha256:") == 1
    gates = {(g["node"], g["run_id"]): g["properties"]["blessed"] for g in up["gates"]}
    assert gates[("evaluator", cold)] == 1 and gates[("infra_check", cold)] == 1
    assert gates[("evaluator", strict)] == 0  # the same model, judged again under 1.01
    down = json.loads(cli_lineage(tfxkit, "--span", "0", *where))
    pushed = [a for s in down["steps"] for a in s["outputs"].get("pushed_model", [])]
    assert "1" in {a["properties"].get("pushed_version") for a in pushed}


def test_failed_component_is_named_and_exit_nonzero(workspace: Path, cold_run: dict) -> None:
    schema = workspace.parent / "schema.pbtxt"
    schema.write_text(
        'feature { name: "species" type: BYTES presence { min_fraction: 1.0 } '
        "shape { dim { size: 1 } } }\n"
    )
    # The anomaly gate would stop this first (columns the schema lacks); warn lets it reach
    # Transform, the component whose failure this test is about.
    result = run_pipeline(
        workspace, "--set", f"schema.path={schema}", "--set", "validation.on_anomaly=warn"
    )
    assert result.returncode == 1
    assert "component 'transform' failed" in result.stderr
    assert "feature 'bill_length_mm' is configured but not in the data's schema" in result.stderr
    assert "Traceback" not in result.stderr
    assert "transform: FAILED" in result.stdout


def test_trainer_code_edit_reruns_trainer_and_downstream(
    workspace: Path, cold_run: dict, tmp_path: Path
) -> None:
    """Cache that sees code: the same config with an edited trainer module re-executes it."""
    import shutil

    from tests.paths import REPO

    code = tmp_path / "code"
    shutil.copytree(REPO / "src" / "tfxkit", code / "tfxkit", symlinks=False)
    trainer_src = code / "tfxkit" / "training" / "keras_trainer.py"
    trainer_src.write_text(trainer_src.read_text() + "\n# an edit the cache must notice\n")
    summary_path = tmp_path / "edited.json"
    result = run_pipeline(workspace, summary=summary_path, env={"PYTHONPATH": str(code)})
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    states = {n: e.state for n, e in _executions(workspace, summary["run_id"]).items()}
    for node in ("example_gen", "statistics_gen", "schema_gen", "example_validator", "transform"):
        assert states[node] == "CACHED", states
    for node in ("trainer", "evaluator", "pusher"):
        assert states[node] == "COMPLETE", states
    # `tfxkit why` names the code change (the trainer module's fingerprint).
    why = _why(workspace, "trainer", summary["run_id"])
    assert "trainer ran in run" in why and "code_fingerprint" in why, why
    # Back to the unedited code: the cold run's trainer execution is found in the cache again
    # (the evaluator may re-run: its baseline is now the edited run's blessed model).
    again = run_pipeline(workspace, summary=tmp_path / "again.json")
    assert again.returncode == 0, again.stderr[-3000:]
    run_id = json.loads((tmp_path / "again.json").read_text())["run_id"]
    states = {n: e.state for n, e in _executions(workspace, run_id).items()}
    assert states["transform"] == states["trainer"] == "CACHED", states


def test_missing_input_is_imputed_as_in_the_training_graph(cold_run: dict) -> None:
    """NaN / "" at serving == the feature absent from a tf.Example (what Transform saw)."""
    import tensorflow as tf

    model = tf.saved_model.load(cold_run["summary"]["pushed_path"])
    row = {"bill_length_mm": 45.2, "bill_depth_mm": 15.8, "flipper_length_mm": 215.0}
    example = tf.train.Example()
    for key, value in row.items():
        feature = example.features.feature[key]
        if key == "flipper_length_mm":
            feature.int64_list.value.append(int(value))
        else:
            feature.float_list.value.append(value)
    example.features.feature["island"].bytes_list.value.append(b"Biscoe")
    # body_mass_g and sex are absent: missing.
    from_examples = model.signatures["serving_examples"](
        examples=tf.constant([example.SerializeToString()])
    )["probabilities"].numpy()
    from_raw = model.signatures["serving_default"](
        **{k: tf.constant([v], tf.float64) for k, v in row.items()},
        body_mass_g=tf.constant([float("nan")], tf.float64),
        island=tf.constant(["Biscoe"]),
        sex=tf.constant([""]),
    )["probabilities"].numpy()
    assert abs(from_examples - from_raw).max() < 1e-5


def _why(workspace: Path, node: str, run_id: str) -> str:
    """``tfxkit why NODE RUN`` on this workspace's store; its output."""
    import subprocess
    import sys

    tfxkit = str(Path(sys.executable).parent / "tfxkit")
    command = [tfxkit, "why", node, run_id, "-c", str(PENGUIN_CONFIG)]
    result = subprocess.run(
        [*command, "--set", f"workspace={workspace}"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def cli_lineage(tfxkit: str, *args: str) -> str:
    """``tfxkit lineage ... --json``: its output (the command must succeed)."""
    import subprocess

    result = subprocess.run([tfxkit, "lineage", *args, "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_cold_run_writes_a_self_contained_report(workspace: Path, cold_run: dict) -> None:
    """The cold run's HTML report: printed in the summary, with its metrics and every gate's
    verdict, and nothing fetched at view time (opened in chromium when it is installed)."""
    summary = cold_run["summary"]
    path = Path(summary["report_path"])
    assert path == workspace / "penguin" / "reports" / f"{summary['run_id']}.html"
    assert f"report:    {path}" in cold_run["stdout"]
    html = path.read_text()
    assert summary["run_id"] in html and "sparse_categorical_accuracy" in html
    for node_id, verdict in summary["verdicts"].items():
        assert node_id in html and verdict["kind"] in html
    assert "Adelie" in html and "flipper_length_mm" in html and "<svg" in html
    # The eval split beside train, and the Trainer's curves (its ModelRun's history.json).
    assert "split &#x27;eval&#x27;" in html and "Training curves" in html and "<polyline" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert len(html) < 200_000

    from tests.unit.test_report_browser import browser_missing, open_in_browser

    if browser_missing() is None:  # the README's screenshot: TFXKIT_SCREENSHOTS=1 rewrites it
        docs = Path(__file__).resolve().parents[2] / "docs" / "img" / "report.png"
        shot = docs if os.environ.get("TFXKIT_SCREENSHOTS") else None
        texts = [summary["run_id"], "Data statistics", "Training curves", "Gates"]
        texts.append("sparse_categorical_accuracy")
        open_in_browser(path, texts, shot or path.with_suffix(".png"))
