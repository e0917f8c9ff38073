"""The optimize stage in a real pipeline run: quantized, pruned and distilled penguin models,
measured against the original, gated, and pushed each to its own destination.

Builds on the session's penguin cold run: the optimize run re-uses every cached node and
executes only the three optimizers and their pushers. A second run with a bound no student
can meet (``max_accuracy_drop: 0`` for a two-unit student) must push nothing of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.pipeline_runs import executions, run_pipeline, versions

pytestmark = pytest.mark.slow

OPTIMIZE = (
    "optimize={quantize: int8, prune: {sparsity: 0.8, steps: 300}, "
    "distill: {steps: 800}, gate: {max_accuracy_drop: 10.0}}"
)


@pytest.fixture(scope="module")
def optimized(penguin_cold_run: dict, penguin_workspace: Path) -> dict:
    summary = penguin_workspace.parent / "optimize.json"
    result = run_pipeline(penguin_workspace, "--set", OPTIMIZE, summary=summary)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(summary.read_text())
    return {"summary": report, "stdout": result.stdout, "ws": penguin_workspace}


def _report(optimized: dict, kind: str) -> dict:
    [report] = [r for r in optimized["summary"]["optimizations"] if r["kind"] == kind]
    return report


def test_only_the_optimizers_and_their_pushers_execute(optimized: dict) -> None:
    ran = executions(optimized["ws"], "penguin", optimized["summary"]["run_id"])
    executed = {node for node, e in ran.items() if e.state == "COMPLETE"}
    assert {"model_quantizer", "model_pruner", "distiller"} <= executed
    assert {"pruned_evaluator", "distilled_evaluator"} <= executed  # TFMA vs the original
    assert "trainer" not in executed, "the trained model is re-used, not re-trained"


def test_reports_are_measured_side_by_side(optimized: dict) -> None:
    for kind in ("quantize", "prune", "distill"):
        report = _report(optimized, kind)
        original, ours = report["original"], report["optimized"]
        assert original["size_bytes"] > 0 and ours["size_bytes"] > 0
        assert original["gzip_bytes"] < original["size_bytes"]
        assert set(ours["latency_ms"]) == {"p50_ms_b1", "p95_ms_b1", "p50_ms_b32", "p95_ms_b32"}
        assert all(v > 0 for v in ours["latency_ms"].values())
        assert 0.0 <= ours["quality"] <= 1.0 and report["eval_rows"] > 50
    assert _report(optimized, "quantize")["comparison"]["size_ratio"] < 0.3
    # The configured tolerance (default 0.1) on every eval row's answer is part of the gate.
    assert 0 < _report(optimized, "quantize")["comparison"]["max_prediction_diff"] <= 0.1
    assert _report(optimized, "prune")["sparsity"] >= 0.79
    assert _report(optimized, "distill")["comparison"]["params_ratio"] < 0.5
    lines = [line for line in optimized["stdout"].splitlines() if line.startswith("optimized:")]
    assert len(lines) == 3, optimized["stdout"][-2000:]
    # The SavedModels are also judged by TFMA against the original (an Evaluator each).
    assert optimized["summary"]["optimized_evaluations"] == {
        "pruned_evaluator": True,
        "distilled_evaluator": True,
    }
    assert sum("TFMA vs original: blessed" in line for line in lines) == 2
    # The original's metrics stay the main Evaluator's, not an optimized model's.
    assert optimized["summary"]["metrics"]["sparse_categorical_accuracy"] > 0.6


def test_passing_models_are_pushed_each_to_its_destination(optimized: dict) -> None:
    import tensorflow as tf

    ws = optimized["ws"]
    for kind in ("quantize", "prune", "distill"):
        assert _report(optimized, kind)["gate"]["passed"], _report(optimized, kind)["gate"]
    assert versions(ws / "tflite" / "penguin-int8") == [1]
    assert (ws / "tflite" / "penguin-int8" / "1" / "model.tflite").stat().st_size > 0
    original = tf.saved_model.load(str(ws / "serving" / "penguin" / "1"))
    for name in ("penguin-pruned", "penguin-distilled"):
        assert versions(ws / "serving" / name) == [1]
        model = tf.saved_model.load(str(ws / "serving" / name / "1"))
        assert set(model.signatures) == set(original.signatures)
        ours = model.signatures["serving_default"].structured_input_signature
        assert ours == original.signatures["serving_default"].structured_input_signature
    config = (ws / "serving" / "models.config").read_text()
    assert 'name: "penguin-pruned"' in config and 'name: "penguin-distilled"' in config


def test_tflite_answers_agree_with_the_original_on_eval_rows(optimized: dict) -> None:
    import tensorflow_transform as tft

    from tfxkit.optimization import pipeline_io, quantize

    ws = optimized["ws"]
    root = ws / "penguin" / "pipeline_root"
    graph = max((root / "transform" / "transform_graph").iterdir(), key=lambda p: int(p.name))
    examples = max(
        (root / "transform" / "transformed_examples").iterdir(), key=lambda p: int(p.name)
    )
    # The model this run optimized: what its pusher pushed (a copy of the Trainer's output; the
    # newest trainer output may be another run's when the penguin tests share the workspace).
    model_dir = Path(optimized["summary"]["pushed_path"])
    tft_output = tft.TFTransformOutput(str(graph))
    from tests.paths import PENGUIN_CONFIG
    from tfxkit.config.features import feature_spec_config
    from tfxkit.config.pipeline_config import load_config

    config = load_config(PENGUIN_CONFIG)
    custom = {**feature_spec_config(config), "model": config.model.model_dump(mode="json")}
    original, custom = pipeline_io.load_trained(str(model_dir), custom, tft_output)
    names = list(original.input.keys())
    data = pipeline_io.dataset(str(examples), "eval", tft_output, custom, names, 64, False)
    inputs, _ = pipeline_io.arrays(data, 500)
    expected = original.predict(inputs, verbose=0)
    tflite = (ws / "tflite" / "penguin-int8" / "1" / "model.tflite").read_bytes()
    got = quantize.TFLitePredictor(tflite)(inputs)
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).mean() >= 0.95
    assert np.abs(got - expected).max() < 0.15  # int8 activations: a few hundredths typical


def test_a_zero_drop_bound_rejects_a_worse_student_and_pushes_nothing(optimized: dict) -> None:
    """Also: a pruned model, quantization-aware trained and quantized, measured against the
    trained model, is rejected by a prediction tolerance no quantized model meets."""
    ws = optimized["ws"]
    summary = ws.parent / "reject.json"
    strict = (
        "optimize={distill: {hidden_units: [2], steps: 5}, prune: {sparsity: 0.5, steps: 20}, "
        "quantize: {mode: dynamic, after_pruning: true, aware_training_steps: 20, "
        "max_prediction_diff: 0.000001}, "
        "tflite_destination: " + str(ws / "tflite-strict") + ", "
        "gate: {max_accuracy_drop: 0, max_size_ratio: 100}}"
    )
    result = run_pipeline(ws, "--set", strict, "--set", "push.model_name=strict", summary=summary)
    assert result.returncode == 0, result.stderr[-3000:]
    reports = {r["kind"]: r for r in json.loads(summary.read_text())["optimizations"]}
    student = reports["distill"]
    assert student["gate"]["passed"] is False
    assert student["comparison"]["accuracy_drop_points"] > 0
    assert any("accuracy drop" in reason for reason in student["gate"]["reasons"])
    assert versions(ws / "serving" / "strict-distilled") == []
    assert json.loads(summary.read_text())["optimized_evaluations"]["distilled_evaluator"] is False
    quantized = reports["quantize"]
    # Quantization-aware training (20 steps) on the pruned model, then dynamic-range TFLite.
    assert quantized["optimized"]["name"] == "tflite-dynamic-qat-after-pruning"
    assert quantized["original"]["params"] == _report(optimized, "quantize")["original"]["params"]
    assert any("max prediction difference" in r for r in quantized["gate"]["reasons"])
    assert versions(ws / "tflite-strict" / "strict-pruned-dynamic") == []
    assert "rejected" in result.stdout
