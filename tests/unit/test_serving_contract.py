"""The raw-feature signature's answer names what it predicts (issue 30 #6): ``classes`` is the
predicted class, ``probabilities`` one per class and ``class_names`` the class of each, for
binary as for multiclass; regression answers ``predictions``. A binary model's one sigmoid
must not read as predicting the positive class (the old ``{"classes": "Gentoo",
"probabilities": 0.188}``)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def named_outputs():
    pytest.importorskip("tensorflow_transform")
    from tfxkit.training.export import named_outputs

    return named_outputs


def test_binary_names_the_predicted_class_and_both_probabilities(named_outputs) -> None:
    import tensorflow as tf

    sigmoid = tf.constant([[0.188], [0.9], [0.5]])
    out = named_outputs(sigmoid, "binary", tf.constant(["not Gentoo", "Gentoo"]))
    assert set(out) == {"classes", "probabilities", "class_names"}
    assert out["classes"].numpy().tolist() == [b"not Gentoo", b"Gentoo", b"not Gentoo"]
    np.testing.assert_allclose(
        out["probabilities"].numpy(), [[0.812, 0.188], [0.1, 0.9], [0.5, 0.5]], atol=1e-6
    )
    assert out["class_names"].numpy().tolist() == [[b"not Gentoo", b"Gentoo"]] * 3


def test_multiclass_and_regression(named_outputs) -> None:
    import tensorflow as tf

    names = tf.constant(["Adelie", "Chinstrap", "Gentoo"])
    out = named_outputs(tf.constant([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]]), "multiclass", names)
    assert out["classes"].numpy().tolist() == [b"Gentoo", b"Adelie"]
    assert out["probabilities"].shape == (2, 3) and out["class_names"].shape == (2, 3)
    regression = named_outputs(tf.constant([[3.5], [4.0]]), "regression", tf.constant([""]))
    assert set(regression) == {"predictions"}
    assert regression["predictions"].numpy().tolist() == [3.5, 4.0]


def test_the_rest_answer_reads_as_the_batch_output(named_outputs) -> None:
    """Row format: one object per row with the predicted class, and each probability beside
    its class name (what docs/serving.md shows)."""
    import tensorflow as tf

    from tfxkit.serving.inference import _jsonable

    out = named_outputs(tf.constant([[0.188]]), "binary", tf.constant(["not Gentoo", "Gentoo"]))
    row = {k: _jsonable(v.numpy())[0] for k, v in out.items()}
    assert row["classes"] == "not Gentoo"
    assert row["class_names"] == ["not Gentoo", "Gentoo"]
    assert dict(zip(row["class_names"], row["probabilities"], strict=True))[
        "Gentoo"
    ] == pytest.approx(0.188)
