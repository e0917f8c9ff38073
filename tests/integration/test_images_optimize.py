"""The int8 quantizer on an image CNN in a real pipeline run (issue 23): the standard pipeline
from a folder of coloured PNGs to a pushed CNN and, beside it, a full-integer TFLite model
calibrated on the transformed training images, measured against the CNN (size, latency,
accuracy on the eval split), gated, and pushed only when the gate passes.

Small on purpose: 150 images of 16x16 pixels and 40 training steps, about a minute.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.integration.test_images import COLOURS, _png
from tests.pipeline_runs import run_pipeline, versions

pytestmark = pytest.mark.slow

CONFIG = """\
name: shapes
data: {path: DATA, format: images, images: {size: [16, 16], channels: 3}}
label: {name: label}
model: {type: cnn, conv_filters: [8, 16], hidden_units: [16], learning_rate: 0.01}
training: {epochs: 2, train_steps: 40, eval_steps: 4, batch_size: 16, augment: {flip: true}}
evaluation: {thresholds: {SparseCategoricalAccuracy: {lower_bound: 0.9}}}
optimize:
  quantize: {mode: int8, representative_examples: 64}
  gate: {max_accuracy_drop: 2.0}
runner: {beam: {mode: in_memory}}
"""


@pytest.fixture(scope="module")
def quantized(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("images_optimize")
    data = root / "colours"
    for colour in COLOURS:
        (data / colour).mkdir(parents=True)
        for i in range(50):
            (data / colour / f"{i:02d}.png").write_bytes(_png(colour, seed=i * 3 + COLOURS[colour]))
    config = root / "config.yaml"
    config.write_text(CONFIG.replace("DATA", str(data)))
    ws, summary_path = root / "ws", root / "summary.json"
    result = run_pipeline(ws, pipeline=None, config=config, data=None, summary=summary_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    (report,) = [r for r in summary["optimizations"] if r["kind"] == "quantize"]
    return {"summary": summary, "report": report, "ws": ws}


def test_the_cnn_is_quantized_measured_and_gated(quantized: dict) -> None:
    report = quantized["report"]
    original, ours = report["original"], report["optimized"]
    assert ours["name"] == "tflite-int8"
    assert report["eval_rows"] > 10 and report["gate"]["passed"] is True
    assert ours["metric"] == original["metric"] == "accuracy"
    assert abs(report["comparison"]["accuracy_drop_points"]) <= 2.0  # the configured bound
    assert set(ours["latency_ms"]) == {"p50_ms_b1", "p95_ms_b1", "p50_ms_b32", "p95_ms_b32"}
    assert all(value > 0 for value in ours["latency_ms"].values())
    # int8 weights: a quarter of the float32 conv and dense kernels, well under a SavedModel.
    assert report["comparison"]["size_ratio"] < 0.3
    assert 0 < report["comparison"]["max_prediction_diff"] <= 0.1


def test_the_pushed_tflite_model_is_int8_and_answers_like_the_cnn(quantized: dict) -> None:
    import tensorflow as tf

    from tfxkit.optimization.quantize import TFLitePredictor

    ws = quantized["ws"]
    (version,) = versions(ws / "tflite" / "shapes-int8")
    tflite = ws / "tflite" / "shapes-int8" / str(version) / "model.tflite"
    interpreter = tf.lite.Interpreter(model_content=tflite.read_bytes())
    kinds = {d["dtype"] for d in interpreter.get_tensor_details()}
    assert np.int8 in kinds  # weights and activations in int8, float only at the edges

    # New images through the pushed CNN's serving graph and, decoded the same way, the TFLite
    # model: the same classes.
    (served,) = versions(ws / "serving" / "shapes")
    model = tf.saved_model.load(str(ws / "serving" / "shapes" / str(served)))
    images = [_png(colour, seed=2000 + i) for i, colour in enumerate(COLOURS)]
    expected = model.signatures["serving_default"](image=tf.constant(images))["probabilities"]
    pixels = np.stack(
        [tf.io.decode_png(image, channels=3).numpy().astype(np.float32) / 255.0 for image in images]
    )
    got = TFLitePredictor(tflite.read_bytes())(pixels)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_array_equal(got.argmax(axis=1), expected.numpy().argmax(axis=1))
    np.testing.assert_allclose(got, expected.numpy(), atol=0.1)
