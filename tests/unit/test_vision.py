"""training.vision: the cnn and mobilenet a config describes, and augmentation that runs in
training only: the served model answers the same for the same image, exactly as the model does
with ``training=False``, whatever ``training.augment`` says."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from tfxkit.config.pipeline_config import validate_config  # noqa: E402

AUGMENT = {"flip": True, "crop": 0.2, "brightness": 0.2}


class _Transformed:
    """What the builders read of a TFTransformOutput: the pixels' shape and the class count."""

    def __init__(self, shape: tuple[int, int, int], classes: int = 3) -> None:
        self.shape, self.classes = shape, classes

    def transformed_feature_spec(self) -> dict:
        return {"image_xf": tf.io.FixedLenFeature(list(self.shape), tf.float32)}

    def vocabulary_size_by_name(self, name: str) -> int:
        return self.classes


def _custom_config(model: dict, size: int = 8, channels: int = 1, **training) -> dict:
    from tfxkit.config import features as F

    images = {"size": [size, size], "channels": channels}
    config = validate_config(
        {
            "name": "shapes",
            "data": {"path": "/d", "format": "images", "images": images},
            "label": {"name": "label"},
            "model": model,
            "training": training,
            "evaluation": {"bless": "always"},
        }
    )
    return {
        **F.feature_spec_config(config),
        "model": config.model.model_dump(mode="json"),
        "training": config.training.model_dump(mode="json"),
    }


def _build(model: dict, size: int = 8, channels: int = 1, **training):
    from tfxkit.training.model import build_model

    custom = _custom_config(model, size, channels, **training)
    return build_model(custom, _Transformed((size, size, channels)))


def _layers(model, kind: str) -> list:
    return [layer for layer in model.layers if type(layer).__name__ == kind]


def test_cnn_blocks_hidden_layers_and_head() -> None:
    model = _build({"type": "cnn", "conv_filters": [4, 8, 16], "kernel_size": 5, "dropout": 0.25})
    convs = _layers(model, "Conv2D")
    assert [c.filters for c in convs] == [4, 8, 16] and convs[0].kernel_size == (5, 5)
    assert len(_layers(model, "MaxPooling2D")) == 3  # 8 -> 4 -> 2 -> 1
    assert [d.units for d in _layers(model, "Dense")] == [64, 3]  # default hidden, 3 classes
    assert len(_layers(model, "Dropout")) == 2
    assert list(model.input) == ["image_xf"] and model.output.shape[-1] == 3


def test_cnn_stops_pooling_at_one_pixel_and_averages_large_maps() -> None:
    tiny = _build({"type": "cnn", "conv_filters": [4, 4, 4, 4]}, size=4)
    assert len(_layers(tiny, "MaxPooling2D")) == 2  # 4 -> 2 -> 1, then no more
    large = _build({"type": "cnn", "conv_filters": [64], "hidden_units": []}, size=32)
    assert _layers(large, "GlobalAveragePooling2D")  # 16 x 16 x 64 values: averaged
    assert not _layers(_build({"type": "cnn"}), "GlobalAveragePooling2D")  # 2 x 2 x 64: flat


def test_mobilenet_width_multiplier_and_small_inputs() -> None:
    model = _build({"type": "mobilenet", "alpha": 0.5}, size=8, channels=3)
    assert len(_layers(model, "DepthwiseConv2D")) == 5
    pointwise = [c.filters for c in _layers(model, "Conv2D")]
    assert pointwise == [16, 32, 64, 64, 128, 128]  # stem, then the blocks' widths x 0.5
    assert min(model.layers[-3].output.shape[1:3]) >= 2  # strides stop at 2 pixels
    full = _build({"type": "mobilenet"}, size=32, channels=3)
    assert full.count_params() > model.count_params() * 2
    assert full.output.shape[-1] == 3


def test_augmentation_runs_only_when_training() -> None:
    model = _build({"type": "cnn", "conv_filters": [4]}, augment=AUGMENT)
    augment = model.get_layer("augment")
    assert [type(s).__name__ for s in augment.steps] == [
        "RandomFlip",
        "RandomZoom",
        "RandomTranslation",
        "RandomBrightness",
    ]
    images = tf.random.stateless_uniform([4, 8, 8, 1], seed=[1, 2])
    for training in (None, False):
        np.testing.assert_array_equal(augment(images, training=training), images)
    assert not np.allclose(augment(images, training=True), images)
    inference = model(images, training=False).numpy()
    np.testing.assert_array_equal(model(images).numpy(), inference)  # no flag: inference
    np.testing.assert_array_equal(model.predict(images, verbose=0), inference)
    assert not _layers(_build({"type": "cnn"}), "TrainingOnly")  # no augment: no layer


def _png(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels, "L").save(buffer, format="PNG")
    return buffer.getvalue()


def test_served_model_is_deterministic_and_never_augments(tmp_path: Path) -> None:
    """The whole serving path on a real Transform graph: PNG bytes in, decoded and scaled by
    TF Transform's graph, through a cnn trained with every augmentation; the same image twice
    gets the same answer, which is the model's own with ``training=False``."""
    import apache_beam as beam
    import tensorflow_transform as tft
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, metadata_io, schema_utils

    from tfxkit.training.export import save_serving_model
    from tfxkit.training.model import build_model
    from tfxkit.transform.images import decode
    from tfxkit.transform.preprocessing import preprocessing_fn

    spec = _custom_config({"type": "cnn", "conv_filters": [4], "hidden_units": [8]}, size=6)
    spec["training"]["augment"] = AUGMENT
    raw_spec = {"image": tf.io.VarLenFeature(tf.string), "label": tf.io.VarLenFeature(tf.string)}
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(raw_spec))
    rng = np.random.default_rng(0)
    shades = {"dark": 20, "mid": 120, "light": 220}
    images = {
        name: [_png(rng.integers(0, 30, (6, 6), dtype=np.uint8) + v) for _ in range(4)]
        for name, v in shades.items()
    }
    data = [{"image": [i], "label": [n]} for n, batch in images.items() for i in batch]
    out = tmp_path / "transform"
    with beam.Pipeline() as pipeline, tft_beam.Context(temp_dir=str(tmp_path / "tmp")):
        raw = pipeline | beam.Create(data)
        (transformed, _), transform_fn = (raw, metadata) | tft_beam.AnalyzeAndTransformDataset(
            lambda inputs: preprocessing_fn(inputs, spec)
        )
        _ = transform_fn | tft_beam.WriteTransformFn(str(out))
        _ = (
            transformed
            | beam.Map(lambda row: json.dumps({k: np.asarray(v).tolist() for k, v in row.items()}))
            | beam.io.WriteToText(str(tmp_path / "transformed"), shard_name_template="")
        )
    metadata_io.write_metadata(metadata, str(out / "metadata"))
    rows = [json.loads(line) for line in (tmp_path / "transformed").open()]
    pixels = np.array([r["image_xf"] for r in rows], np.float32)
    assert pixels.shape == (12, 6, 6, 1) and 0.0 <= pixels.min() and pixels.max() <= 1.0

    output = tft.TFTransformOutput(str(out))
    model = build_model(spec, output)
    labels = np.array([r["label_xf"] for r in rows])
    model.fit(pixels, labels, epochs=2, verbose=0)  # the augmentation runs here
    model_dir = tmp_path / "model"
    save_serving_model(model, output, spec, str(model_dir))
    served = tf.saved_model.load(str(model_dir)).signatures["serving_default"]
    batch = [images["dark"][0], images["light"][0], images["dark"][0], images["light"][0]]
    first = served(image=tf.constant(batch))
    second = served(image=tf.constant(batch))
    np.testing.assert_array_equal(first["probabilities"], second["probabilities"])
    np.testing.assert_array_equal(first["probabilities"][:2], first["probabilities"][2:])
    decoded = tf.stack([decode(tf.constant(b), [6, 6], 1) for b in batch])  # Transform's ops
    expected = model(decoded, training=False).numpy()
    np.testing.assert_allclose(first["probabilities"].numpy(), expected, atol=1e-6)
    names = {n.decode() for n in first["class_names"].numpy()[0]}
    assert names == set(shades)
