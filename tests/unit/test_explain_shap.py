"""SHAP's gradient and kernel explainers (``explain.method: shap_gradient | shap_kernel``) on the
model and data of ``test_explain``: the planted copy of the label ranks first, SHAP agrees with
integrated gradients on the ranking, attributions add up (completeness), and the same seed
gives the same numbers. Also multiclass: each example's predicted class is what is explained."""

from __future__ import annotations

import numpy as np
import pytest
import tf_keras as keras

from tests.unit.test_explain import RAW_OF, _data, _model
from tfxkit.components.explainer import attributions as A
from tfxkit.components.explainer import shap_methods

EXPLAINED = 120


@pytest.fixture(scope="module")
def trained() -> tuple[keras.Model, dict[str, np.ndarray]]:
    inputs, label = _data(seed=1)
    model = _model(seed=1)
    model.fit(inputs, label, epochs=4, batch_size=64, verbose=0)
    return model, {k: v[:EXPLAINED] for k, v in inputs.items()}


@pytest.mark.parametrize("method", ["shap_gradient", "shap_kernel"])
def test_shap_ranks_the_planted_feature_first_and_agrees_with_integrated_gradients(
    trained, method: str
) -> None:
    model, sample = trained
    per_input, gap = shap_methods.METHODS[method](model, sample, None, seed=0)
    assert set(per_input) == set(RAW_OF) and all(len(v) == EXPLAINED for v in per_input.values())
    shap_importance = A.importance(A.raw_attributions(per_input, RAW_OF))
    ig, _ = A.integrated_gradients(model, sample, A.model_target("binary"), steps=24)
    ig_importance = A.importance(A.raw_attributions(ig, RAW_OF))
    correlation = A.rank_correlation(shap_importance, ig_importance)
    print(method, A.ranks(shap_importance), f"rank correlation with IG {correlation:.2f}")  # noqa: T201
    assert A.ranks(shap_importance)[0] == "planted"
    assert shap_importance["planted"] > 3 * max(shap_importance["noise"], shap_importance["color"])
    assert correlation >= 0.8
    # Kernel SHAP is exact here (6 inputs: every coalition is enumerated); expected gradients
    # is a sampled estimate, so its sums are only near the model's output minus its mean.
    assert float(np.mean(gap)) < (1e-4 if method == "shap_kernel" else 0.05)


@pytest.mark.parametrize("method", ["shap_gradient", "shap_kernel"])
def test_the_same_seed_gives_the_same_attributions(trained, method: str) -> None:
    model, sample = trained
    few = {k: v[:20] for k, v in sample.items()}
    first, _ = shap_methods.METHODS[method](model, few, None, seed=3)
    again, _ = shap_methods.METHODS[method](model, few, None, seed=3)
    for name in first:
        np.testing.assert_allclose(first[name], again[name], rtol=1e-5, atol=1e-7)


def test_multiclass_explains_each_examples_predicted_class() -> None:
    keras.utils.set_random_seed(0)
    x = keras.Input((1,), name="x")
    y = keras.Input((1,), name="y")
    out = keras.layers.Dense(3, activation="softmax")(keras.layers.concatenate([x, y]))
    model = keras.Model([x, y], out)
    rng = np.random.default_rng(0)
    inputs = {n: rng.normal(size=(30, 1)).astype("float32") for n in ("x", "y")}
    probabilities = np.asarray(model(inputs))
    classes = probabilities.argmax(axis=1)
    per_input, gap = shap_methods.shap_kernel(model, inputs, classes, seed=0)
    # The kernel's base value is the background rows' mean output, per class; the background
    # is KERNEL_BACKGROUND rows the seed picks (as shap_kernel picks them).
    rows = np.random.default_rng(0).permutation(30)[: shap_methods.KERNEL_BACKGROUND]
    base = probabilities[np.sort(rows)].mean(axis=0)
    chosen = probabilities[np.arange(30), classes]
    summed = per_input["x"] + per_input["y"]
    np.testing.assert_allclose(summed, chosen - base[classes], atol=1e-4)
    assert np.all(gap < 1e-4)


def test_an_integer_input_without_an_encoding_layer_is_a_clear_error() -> None:
    import tensorflow as tf

    ids = keras.Input((1,), name="ids", dtype="int64")
    out = keras.layers.Dense(1)(keras.layers.Lambda(lambda t: tf.cast(t, tf.float32))(ids))
    with pytest.raises(ValueError, match="model input 'ids' is int64"):
        shap_methods.dense_points(keras.Model(ids, out))
