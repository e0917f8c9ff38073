"""Text encoders (``tfxkit.training.text_models``) on tiny shapes: one vector per row, padding
ignored where the encoder masks it, a mixed config (numbers beside text) that trains, and a
transformer that saves and loads back as Keras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("tf_keras")

IDS = np.array([[3, 1, 4, 0, 0, 0], [2, 0, 0, 0, 0, 0], [5, 5, 5, 5, 5, 5]], dtype=np.int64)


def _encoder(kind: str, **text) -> keras.Model:
    from tfxkit.training.text_models import encode_text

    keras.utils.set_random_seed(1)
    ids = keras.Input(shape=(IDS.shape[1],), dtype=tf.int64, name="ids")
    config = {"type": kind, "embedding_dim": 8, "text": text}
    return keras.Model(ids, encode_text(ids, 6, config, "review"))


@pytest.mark.parametrize(
    ("kind", "width"),
    [("text_pooling", 8), ("text_cnn", 5), ("text_transformer", 8), ("dnn", 8)],
)
def test_each_encoder_gives_one_vector_per_row(kind: str, width: int) -> None:
    model = _encoder(kind, filters=5, kernel_size=2, heads=2, blocks=2)
    out = model(IDS).numpy()
    assert out.shape == (3, width) and np.isfinite(out).all()


@pytest.mark.parametrize("kind", ["text_pooling", "text_transformer"])
def test_padding_does_not_change_a_masked_encoder(kind: str) -> None:
    """The padding id's embedding is never read: setting it to anything changes nothing."""
    model = _encoder(kind)
    before = model(IDS).numpy()
    embedding = model.get_layer("review_embedding")
    table = embedding.get_weights()[0]
    table[0] = np.random.default_rng(0).normal(scale=50.0, size=table.shape[1])
    embedding.set_weights([table])
    np.testing.assert_allclose(model(IDS).numpy(), before, rtol=1e-5, atol=1e-5)


def test_the_encoder_settings_reach_the_layers() -> None:
    cnn = _encoder("text_cnn", filters=7, kernel_size=3)
    assert cnn.get_layer("review_conv").kernel_size == (3,)
    assert cnn.get_layer("review_conv").filters == 7
    transformer = _encoder("text_transformer", heads=4, blocks=2, ff_dim=12)
    assert transformer.get_layer("review_block1_attention").get_config()["num_heads"] == 4
    assert transformer.get_layer("review_block0_ff1").units == 12


class _Output:
    """What build_model reads of a TFTransformOutput, for a text and a number feature."""

    def vocabulary_size_by_name(self, name: str) -> int:
        return {"review_vocab": 4, "label_vocab": 2}[name]


def test_a_mixed_config_trains_and_a_transformer_loads_back(tmp_path: Path) -> None:
    from tfxkit.training.model import build_model

    config = {
        "features": [
            {"key": "review", "transform": "text", "max_tokens": 6, "missing": {}},
            {"key": "stars", "transform": "zscore", "missing": {"indicator": False}},
        ],
        "label": {"name": "y", "key": "y", "task": "binary", "positive": "1"},
        "model": {"type": "text_transformer", "hidden_units": [4], "learning_rate": 0.01},
    }
    model = build_model(config, _Output())
    inputs = {"review_xf": IDS, "stars_xf": np.array([[0.5], [-1.0], [2.0]], np.float32)}
    history = model.fit(inputs, np.array([1, 0, 1]), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    model.save(str(tmp_path / "model"), save_format="tf")
    loaded = keras.models.load_model(str(tmp_path / "model"), compile=False)
    np.testing.assert_allclose(loaded(inputs).numpy(), model(inputs).numpy(), atol=1e-6)
