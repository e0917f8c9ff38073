"""tfxkit.optimization on a toy tf_keras classifier: quantize, prune, distill, measure, gate.

One small model (8 floats -> 64 -> 32 -> softmax 3) trained for a few seconds on separable
synthetic data serves every test; conversions and fine-tuning are cached per module so the file
runs in well under a minute on two cores. Measured numbers print with ``pytest -s``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

from tfxkit.errors import ConfigError  # noqa: E402
from tfxkit.optimization import distill as D  # noqa: E402
from tfxkit.optimization import measure as M  # noqa: E402
from tfxkit.optimization import prune as P  # noqa: E402
from tfxkit.optimization import quantize as Q  # noqa: E402
from tfxkit.optimization.gate import gate  # noqa: E402

N_FEATURES, N_CLASSES, BATCH = 8, 3, 32
# Float16 rounds weights to ~3 significant digits; dynamic-range quantizes the 64x32 kernel to
# int8 (per channel); int8 also quantizes every activation and the softmax output (1/256 steps),
# which moves a few near-border rows by up to ~0.1 while the mean shift stays near 0.01.
PROBABILITY_TOLERANCE = {"dynamic": 0.03, "float16": 0.005, "int8": 0.15}
MEAN_TOLERANCE = {"dynamic": 0.005, "float16": 0.001, "int8": 0.03}


def _data(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows labelled by a fixed random linear map: separable, with some rows near the border."""
    x = np.random.default_rng(seed).normal(size=(rows, N_FEATURES)).astype(np.float32)
    weights = np.random.default_rng(0).normal(size=(N_FEATURES, N_CLASSES)).astype(np.float32)
    return x, (x @ weights).argmax(axis=1).astype(np.int64)


def _model(hidden_units: list[int], seed: int = 1) -> keras.Model:
    """A head like tfxkit's multiclass one: relu Dense stack, softmax named probabilities."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(N_FEATURES,), name="features")
    x = inputs
    for units in hidden_units:
        x = keras.layers.Dense(units, activation="relu")(x)
    outputs = keras.layers.Dense(N_CLASSES, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy())
    return model


def _train_ds(x: np.ndarray, y: np.ndarray) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0).batch(BATCH).repeat()


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> dict:
    x_train, y_train = _data(640, seed=1)
    x_test, y_test = _data(300, seed=2)
    model = _model([64, 32])
    model.fit(x_train, y_train, batch_size=BATCH, epochs=8, verbose=0)
    saved = tmp_path_factory.mktemp("toy") / "saved_model"
    model.save(saved, save_format="tf")  # as keras_trainer exports: optimizer included
    probabilities = model.predict(x_test, verbose=0)
    return {
        "model": model,
        "saved": saved,
        "x_train": x_train,
        "y_train": y_train,
        "x_test": x_test,
        "y_test": y_test,
        "probabilities": probabilities,
        "accuracy": float(np.mean(probabilities.argmax(1) == y_test)),
        "tflite": {},
    }


def _representative(x: np.ndarray):
    def batches():
        for row in x[:200]:
            yield [row[None, :]]

    return batches


def _tflite(toy: dict, mode: str) -> bytes:
    if mode not in toy["tflite"]:
        examples = _representative(toy["x_train"]) if mode == "int8" else None
        toy["tflite"][mode] = Q.to_tflite(toy["model"], mode, examples)
    return toy["tflite"][mode]


def test_toy_teacher_learns(toy: dict) -> None:
    print(f"\nteacher accuracy {toy['accuracy']:.3f}")
    assert toy["accuracy"] >= 0.9


@pytest.mark.parametrize("mode", ["dynamic", "float16", "int8"])
def test_quantized_tflite_is_smaller_and_agrees(toy: dict, mode: str) -> None:
    saved_raw, saved_gzip = M.saved_model_size(toy["saved"])
    float_raw, _ = M.tflite_size(_tflite(toy, "float32"))
    raw, gzipped = M.tflite_size(_tflite(toy, mode))
    predicted = Q.TFLitePredictor(_tflite(toy, mode))(toy["x_test"])
    expected = toy["probabilities"]
    agreement = float(np.mean(predicted.argmax(1) == expected.argmax(1)))
    max_diff = float(np.max(np.abs(predicted - expected)))
    mean_diff = float(np.mean(np.abs(predicted - expected)))
    print(
        f"\n{mode}: tflite {raw} B (gzip {gzipped}), float32 tflite {float_raw} B, SavedModel "
        f"{saved_raw} B (gzip {saved_gzip}); argmax agreement {agreement:.3f}, "
        f"max |dp| {max_diff:.4f}, mean |dp| {mean_diff:.4f}"
    )
    assert raw < float_raw and raw < saved_raw and gzipped < saved_gzip
    if mode == "int8":
        assert gzipped < 0.5 * saved_gzip
        assert raw < 0.5 * float_raw
    assert predicted.shape == expected.shape
    assert agreement >= 0.95
    assert max_diff <= PROBABILITY_TOLERANCE[mode]
    assert mean_diff <= MEAN_TOLERANCE[mode]


def test_tflite_inputs_match_by_name_position_and_batch(toy: dict) -> None:
    tflite = _tflite(toy, "int8")
    rows = toy["x_test"][:5]
    by_name = Q.tflite_predict(tflite, {"features": rows})
    by_position = Q.tflite_predict(tflite, [rows])
    row_by_row = np.concatenate([Q.tflite_predict(tflite, [row[None, :]]) for row in rows])
    np.testing.assert_allclose(by_name, by_position)
    np.testing.assert_allclose(by_name, row_by_row, atol=1e-6)
    with pytest.raises(ConfigError, match="features"):
        Q.tflite_predict(tflite, {"wrong": rows})


def test_int8_is_full_integer_with_float_io(toy: dict) -> None:
    interpreter = tf.lite.Interpreter(model_content=_tflite(toy, "int8"))
    assert [d["dtype"] for d in interpreter.get_input_details()] == [np.float32]
    assert [d["dtype"] for d in interpreter.get_output_details()] == [np.float32]
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert {"QUANTIZE", "DEQUANTIZE", "FULLY_CONNECTED"} <= ops
    int8_tensors = [d for d in interpreter.get_tensor_details() if d["dtype"] == np.int8]
    assert len(int8_tensors) >= 6  # three kernels and the activations between them


def _one_hot_model() -> keras.Model:
    """Like tfxkit's multi-input head: float inputs plus an int64 id one-hot encoded."""
    inputs = {
        "b_num": keras.Input((1,), name="b_num"),
        "a_num": keras.Input((1,), name="a_num"),
        "cat": keras.Input((1,), name="cat", dtype=tf.int64),
    }
    one_hot = keras.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")(inputs["cat"])
    x = keras.layers.concatenate([inputs["b_num"], inputs["a_num"], one_hot])
    x = keras.layers.Dense(8, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


def test_one_hot_inputs_need_select_tf_ops_and_refuse_int8() -> None:
    """CategoryEncoding lowers to DenseBincount, no TFLite builtin; the int8 calibrator would
    segfault on it, so to_tflite refuses before calibrating."""
    model = _one_hot_model()
    rng = np.random.default_rng(0)
    features = {
        "a_num": rng.normal(size=(20, 1)).astype(np.float32),
        "b_num": rng.normal(size=(20, 1)).astype(np.float32),
        "cat": rng.integers(0, 4, size=(20, 1)),
    }

    def examples():
        yield {name: value[:1] for name, value in features.items()}

    with pytest.raises(ConfigError, match="DenseBincount"):
        Q.to_tflite(model, "int8", examples)
    with pytest.raises(ConfigError, match="select_tf_ops"):
        Q.to_tflite(model, "int8", examples, select_tf_ops=True)
    with pytest.raises(ConfigError, match="select_tf_ops=True"):
        Q.to_tflite(model, "dynamic")
    predictor = Q.TFLitePredictor(Q.to_tflite(model, "dynamic", select_tf_ops=True))
    assert predictor.input_names == ["b_num", "a_num", "cat"]  # the model's input order
    expected = model.predict(features, verbose=0)
    np.testing.assert_allclose(predictor(features), expected, atol=1e-5)
    positional = predictor([features["b_num"], features["a_num"], features["cat"]])
    np.testing.assert_allclose(positional, expected, atol=1e-5)


def test_saved_model_dir_converts(toy: dict) -> None:
    tflite = Q.to_tflite(str(toy["saved"]), "dynamic")
    predicted = Q.tflite_predict(tflite, [toy["x_test"]])
    assert np.mean(predicted.argmax(1) == toy["probabilities"].argmax(1)) >= 0.95


def test_int8_without_representative_data_is_refused(toy: dict) -> None:
    with pytest.raises(ConfigError, match="representative_examples"):
        Q.to_tflite(toy["model"], "int8", None)
    with pytest.raises(ConfigError, match="mode"):
        Q.to_tflite(toy["model"], "int4", None)  # type: ignore[arg-type]


def test_quantization_aware_training_converts(toy: dict) -> None:
    qat = Q.quantization_aware(toy["model"])
    qat.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy())
    qat.fit(_train_ds(toy["x_train"], toy["y_train"]), epochs=1, steps_per_epoch=10, verbose=0)
    tflite = Q.to_tflite(qat, "dynamic")
    predicted = Q.tflite_predict(tflite, [toy["x_test"]])
    agreement = float(np.mean(predicted.argmax(1) == toy["probabilities"].argmax(1)))
    print(f"\nQAT: tflite {len(tflite)} B, argmax agreement {agreement:.3f}")
    assert len(tflite) < 0.5 * len(_tflite(toy, "float32"))
    assert agreement >= 0.9


def test_pruning_reaches_sparsity_and_compresses(toy: dict, tmp_path: Path) -> None:
    original = toy["model"]
    before = [w.copy() for w in original.get_weights()]
    pruned = P.prune(
        original,
        _train_ds(toy["x_train"], toy["y_train"]),
        target_sparsity=0.8,
        schedule="polynomial",
        epochs=3,
        steps_per_epoch=20,
    )
    for old, new in zip(before, original.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # the input model is left alone
    assert P.sparsity(original) < 0.01
    reached = P.sparsity(pruned)
    accuracy = float(np.mean(pruned.predict(toy["x_test"], verbose=0).argmax(1) == toy["y_test"]))
    # Without optimizer slots on either side, so the sizes differ only by the weights.
    sizes = {}
    for name, model in (("original", original), ("pruned", pruned)):
        model.save(tmp_path / name, save_format="tf", include_optimizer=False)
        sizes[name] = M.saved_model_size(tmp_path / name)
    tfl = {n: M.tflite_size(Q.to_tflite(m, "float32")) for n, m in (("o", original), ("p", pruned))}
    print(
        f"\npruned: sparsity {reached:.3f}, accuracy {accuracy:.3f} (teacher "
        f"{toy['accuracy']:.3f}); SavedModel gzip {sizes['original'][1]} -> {sizes['pruned'][1]}"
        f"; float32 tflite gzip {tfl['o'][1]} -> {tfl['p'][1]}"
    )
    assert reached >= 0.79
    assert sizes["pruned"][1] < 0.85 * sizes["original"][1]
    assert tfl["p"][1] < 0.5 * tfl["o"][1]
    assert accuracy >= toy["accuracy"] - 0.1
    total, nonzero = M.parameter_count(pruned)
    assert nonzero < 0.35 * total


def test_pruning_refuses_bad_settings(toy: dict) -> None:
    ds = _train_ds(toy["x_train"], toy["y_train"])
    with pytest.raises(ConfigError, match="target_sparsity"):
        P.prune(
            toy["model"], ds, target_sparsity=1.0, schedule="constant", epochs=1, steps_per_epoch=5
        )
    with pytest.raises(ConfigError, match="compiled"):
        P.prune(
            _uncompiled(), ds, target_sparsity=0.5, schedule="constant", epochs=1, steps_per_epoch=5
        )


def _uncompiled() -> keras.Model:
    inputs = keras.Input(shape=(N_FEATURES,))
    return keras.Model(inputs, keras.layers.Dense(N_CLASSES, activation="softmax")(inputs))


def test_distillation_student_keeps_most_accuracy(toy: dict) -> None:
    units = D.student_like([64, 32], 0.25)
    student = _model(units, seed=2)
    teacher_params, _ = M.parameter_count(toy["model"])
    student_params, _ = M.parameter_count(student)
    D.distill(
        toy["model"],
        student,
        _train_ds(toy["x_train"], toy["y_train"]),
        temperature=4.0,
        alpha=0.3,
        epochs=4,
        steps_per_epoch=20,
    )
    accuracy = float(np.mean(student.predict(toy["x_test"], verbose=0).argmax(1) == toy["y_test"]))
    print(
        f"\nstudent {units}: {student_params} params ({student_params / teacher_params:.3f}x), "
        f"accuracy {accuracy:.3f} vs teacher {toy['accuracy']:.3f}"
    )
    assert units == [16, 8]
    assert student_params <= 0.25 * teacher_params
    assert accuracy >= 0.9 * toy["accuracy"]


def test_distillation_trains_regression_and_binary_students() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], dtype=np.float32)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH).repeat()

    def regressor(units: int, seed: int) -> keras.Model:
        keras.utils.set_random_seed(seed)
        return keras.Sequential(
            [keras.Input((3,)), keras.layers.Dense(units, activation="relu"), keras.layers.Dense(1)]
        )

    teacher = regressor(16, 1)
    teacher.compile(keras.optimizers.Adam(0.02), "mse")
    teacher.fit(ds, epochs=3, steps_per_epoch=16, verbose=0)
    student = regressor(4, 2)
    before = M.accuracy(student.predict(x, verbose=0), y, "regression")[1]
    D.distill(
        teacher,
        student,
        ds,
        temperature=1.0,
        alpha=0.5,
        epochs=2,
        steps_per_epoch=16,
        optimizer=keras.optimizers.Adam(0.02),
    )
    after = M.accuracy(student.predict(x, verbose=0), y, "regression")[1]
    assert after < 0.5 * before

    labels = (y > 0).astype(np.int64)
    binary_ds = tf.data.Dataset.from_tensor_slices((x, labels)).batch(BATCH).repeat()
    keras.utils.set_random_seed(3)
    binary_teacher = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, "sigmoid")])
    binary_teacher.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    binary_teacher.fit(binary_ds, epochs=2, steps_per_epoch=16, verbose=0)
    binary_student = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, "sigmoid")])
    D.distill(
        binary_teacher,
        binary_student,
        binary_ds,
        temperature=2.0,
        alpha=0.5,
        epochs=2,
        steps_per_epoch=16,
        optimizer=keras.optimizers.Adam(0.05),
    )
    assert M.accuracy(binary_student.predict(x, verbose=0), labels, "classification")[1] >= 0.8
    with pytest.raises(ConfigError, match="regression"):
        D.distill(
            binary_teacher,
            student,
            binary_ds,
            temperature=2.0,
            alpha=0.5,
            epochs=1,
            steps_per_epoch=1,
        )


def test_distillation_losses_per_task() -> None:
    """Probabilities and logits give the same soft loss; binary and regression are handled."""
    probs = keras.Model()  # placeholders: _losses only reads task/outputs/temperature
    logits = tf.constant([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    student_logits = tf.constant([[1.0, 1.0, 0.0], [0.0, 0.5, 0.1]])
    labels = tf.constant([0, 2])

    def losses(task: str, outputs: str, y, t, s, temperature: float = 2.0):
        d = D.Distiller(
            probs, probs, task=task, outputs=outputs, temperature=temperature, alpha=0.5
        )
        return [float(v) for v in d._distillation_losses(y, t, s)]

    from_logits = losses("multiclass", "logits", labels, logits, student_logits)
    from_probs = losses(
        "multiclass", "probabilities", labels, tf.nn.softmax(logits), tf.nn.softmax(student_logits)
    )
    np.testing.assert_allclose(from_logits, from_probs, rtol=1e-4)
    t = tf.nn.softmax(logits / 2.0).numpy()
    s = tf.nn.softmax(student_logits / 2.0).numpy()
    expected_soft = np.mean(np.sum(t * np.log(t / s), axis=1)) * 4.0
    np.testing.assert_allclose(from_logits[1], expected_soft, rtol=1e-4)
    assert losses("multiclass", "logits", labels, logits, logits)[1] == pytest.approx(0, abs=1e-5)

    p_t, p_s = tf.constant([[0.9], [0.2]]), tf.constant([[0.6], [0.4]])
    binary = losses("binary", "probabilities", tf.constant([1, 0]), p_t, p_s, temperature=1.0)
    bce = -np.mean([np.log(0.6), np.log(0.6)])
    kl = np.mean(
        [
            0.9 * np.log(0.9 / 0.6) + 0.1 * np.log(0.1 / 0.4),
            0.2 * np.log(0.2 / 0.4) + 0.8 * np.log(0.8 / 0.6),
        ]
    )
    np.testing.assert_allclose(binary, [bce, kl], rtol=1e-4)
    z_t, z_s = tf.math.log(p_t / (1 - p_t)), tf.math.log(p_s / (1 - p_s))
    binary_logits = losses("binary", "logits", tf.constant([1, 0]), z_t, z_s, temperature=1.0)
    np.testing.assert_allclose(binary_logits, binary, rtol=1e-4)

    y, t_out, s_out = (
        tf.constant([1.0, 3.0]),
        tf.constant([[1.5], [2.5]]),
        tf.constant([[1.0], [2.0]]),
    )
    np.testing.assert_allclose(losses("regression", "logits", y, t_out, s_out), [0.5, 0.25])


def test_infer_task_and_student_like() -> None:
    inputs = keras.Input(shape=(4,))
    head = {
        "multiclass": keras.layers.Dense(3, activation="softmax"),
        "binary": keras.layers.Dense(1, activation="sigmoid"),
        "regression": keras.layers.Dense(1),
    }
    for task, layer in head.items():
        assert D.infer_task(keras.Model(inputs, layer(inputs)))[0] == task
    assert D.student_like([128, 64, 3], 0.1) == [13, 6, 1]
    with pytest.raises(ConfigError):
        D.student_like([8], 0)


def test_reports_compare_and_gate(toy: dict) -> None:
    x_test, y_test = toy["x_test"], toy["y_test"]
    batches = {"inputs_batch1": x_test[:1], "inputs_batch32": x_test[:32]}
    params = M.parameter_count(toy["model"])
    original = M.make_report(
        "keras",
        predict=M.keras_predictor(toy["model"]),
        size=M.saved_model_size(toy["saved"]),
        params=params,
        eval_inputs=x_test,
        eval_labels=y_test,
        task="classification",
        repeats=20,
        **batches,
    )
    int8 = _tflite(toy, "int8")
    quantized = M.make_report(
        "int8",
        predict=Q.TFLitePredictor(int8),
        size=M.tflite_size(int8),
        params=params,
        eval_inputs=x_test,
        eval_labels=y_test,
        task="classification",
        repeats=20,
        **batches,
    )
    comparison = M.compare(original, quantized)
    print(f"\noriginal {original.to_dict()}\nint8 {quantized.to_dict()}\ncompare {comparison}")
    assert original.quality == pytest.approx(toy["accuracy"])
    assert original.gzip_bytes == M.saved_model_size(toy["saved"])[1]  # deterministic
    assert comparison["gzip_size_ratio"] < 0.5
    assert all(v > 0 for v in original.latency_ms.values())
    assert comparison["accuracy_drop_points"] == pytest.approx(
        (original.quality - quantized.quality) * 100
    )
    passed, reasons = gate(comparison, max_accuracy_drop=5.0, min_speedup=None, max_size_ratio=0.5)
    assert passed, reasons

    untrained = _model([16, 8], seed=3)  # a measurably worse "optimized" model
    worse = M.make_report(
        "untrained",
        predict=M.keras_predictor(untrained),
        size=M.tflite_size(int8),
        params=M.parameter_count(untrained),
        eval_inputs=x_test,
        eval_labels=y_test,
        task="classification",
        repeats=5,
        **batches,
    )
    worse_comparison = M.compare(original, worse)
    assert worse_comparison["accuracy_drop_points"] > 0
    passed, reasons = gate(
        worse_comparison, max_accuracy_drop=0.0, min_speedup=None, max_size_ratio=None
    )
    assert not passed and "accuracy drop" in reasons[0]
    passed, _ = gate(
        worse_comparison, max_accuracy_drop=100.0, min_speedup=None, max_size_ratio=None
    )
    assert passed


def test_gate_reasons_name_bound_measured_and_allowed() -> None:
    comparison = {"accuracy_drop_points": 1.5, "speedup_b1": 0.8, "gzip_size_ratio": 0.7}
    passed, reasons = gate(comparison, max_accuracy_drop=1.0, min_speedup=1.2, max_size_ratio=0.5)
    assert not passed and len(reasons) == 3
    assert "1.5 > max allowed 1" in reasons[0]
    assert "speedup_b1" in reasons[1] and "0.8 < min allowed 1.2" in reasons[1]
    assert "0.7 > max allowed 0.5" in reasons[2]
    assert gate(comparison, max_accuracy_drop=2, min_speedup=0.5, max_size_ratio=0.8) == (True, [])
    passed, reasons = gate(
        {"accuracy_drop_points": 0.0}, max_accuracy_drop=0, min_speedup=2.0, max_size_ratio=None
    )
    assert not passed and "not measured" in reasons[0]


def test_measure_regression_and_binary_quality() -> None:
    assert M.accuracy(np.array([[0.2], [0.7]]), np.array([0, 1]), "classification") == (
        "accuracy",
        1.0,
    )
    assert M.accuracy(np.array([1.0, 4.0]), np.array([2.0, 2.0]), "regression") == ("mae", 1.5)
    report = M.ModelReport("a", 10, 5, 3, 3, {}, "mae", 2.0)
    worse = M.ModelReport("b", 5, 4, 3, 1, {}, "mae", 2.5)
    comparison = M.compare(report, worse)
    assert comparison["accuracy_drop_points"] == pytest.approx(25.0)
    assert comparison["nonzero_params_ratio"] == pytest.approx(1 / 3)
    assert comparison["speedup_b1"] is None
