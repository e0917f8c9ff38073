"""ImageExampleGen component: its spec and the config rules of ``data.format: images`` (how the
stages wire them: tests/integration/test_images.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.proto import example_gen_pb2
from tfx.types import standard_artifacts

from tfxkit.components.content_fingerprint import ContentFingerprintDriver, content_fingerprint
from tfxkit.components.image_example_gen import component, executor
from tfxkit.config.pipeline_config import validate_config
from tfxkit.data.images import DEFAULT_PATTERN, ImageSpec
from tfxkit.errors import ConfigError
from tfxkit.fingerprint import code_fingerprint

EXECUTOR_PATH = "tfxkit.components.image_example_gen.executor.Executor"
IMAGES = {
    "name": "shapes",
    "data": {"path": "/data/shapes", "format": "images"},
    "evaluation": {"thresholds": {"SparseCategoricalAccuracy": {"lower_bound": 0.5}}},
}


def _config(**extra):
    return validate_config({**IMAGES, "label": {"name": "label"}, **extra})


def test_spec_carries_label_key_image_spec_and_fingerprint() -> None:
    gen = component.ImageExampleGen(
        input_base="/data/shapes", label_key="shape", image_spec=ImageSpec((28, 28), 1)
    )
    props = gen.exec_properties
    assert props["input_base"] == "/data/shapes"
    assert props["label_key"] == "shape"
    assert ImageSpec.from_json(props["image_spec"]) == ImageSpec((28, 28), 1)
    assert props["code_fingerprint"] == code_fingerprint(executor.__name__)
    (split,) = json.loads(props["input_config"])["splits"]
    assert split["pattern"] == DEFAULT_PATTERN  # every file of every class folder
    output = json.loads(props["output_config"])["split_config"]
    assert [s["name"] for s in output["splits"]] == ["train", "eval"]
    assert output["partition_feature_name"] == "image_path"  # the split: by relative path
    assert gen.outputs["examples"].type == standard_artifacts.Examples


def test_a_given_split_is_kept_and_split_by_path() -> None:
    given = example_gen_pb2.Output(
        split_config=example_gen_pb2.SplitConfig(
            splits=[example_gen_pb2.SplitConfig.Split(name=n, hash_buckets=1) for n in "abc"]
        )
    )
    gen = component.ImageExampleGen(input_base="/d", output_config=given)
    output = json.loads(gen.exec_properties["output_config"])["split_config"]
    assert [s["name"] for s in output["splits"]] == ["a", "b", "c"]
    assert output["partition_feature_name"] == "image_path"
    assert not given.split_config.partition_feature_name  # the caller's proto is untouched


def test_it_is_a_file_based_example_gen_fingerprinted_by_content(tmp_path: Path) -> None:
    gen = component.ImageExampleGen(input_base="/d")
    assert isinstance(gen, FileBasedExampleGen)  # spans, versions, the Kubeflow V2 driver
    assert gen.driver_class is ContentFingerprintDriver
    cls = component.ImageExampleGen.EXECUTOR_SPEC.executor_class
    assert f"{cls.__module__}.{cls.__qualname__}" == EXECUTOR_PATH

    image = tmp_path / "cat" / "a.png"
    image.parent.mkdir()
    image.write_bytes(b"\x89PNG one")
    before = content_fingerprint("single_split", str(tmp_path), DEFAULT_PATTERN)
    os.utime(image, (1, 1))  # a touch: the same content
    assert content_fingerprint("single_split", str(tmp_path), DEFAULT_PATTERN) == before
    image.write_bytes(b"\x89PNG two")
    assert content_fingerprint("single_split", str(tmp_path), DEFAULT_PATTERN) != before


# ---------------------------------------------------------------- config


def test_an_images_config_needs_no_features_and_trains_a_cnn() -> None:
    config = _config(data={**IMAGES["data"], "images": {"size": [28, 28], "channels": 1}})
    assert config.features == []
    assert ImageSpec.of(config.data) == ImageSpec((28, 28), 1)
    assert config.label.resolved_task == "multiclass"
    assert config.model.type == "cnn" and config.model.hidden_units == [64]
    assert config.data.images.model_input() == {"key": "image", "size": [28, 28], "channels": 1}
    resized = _config(data={**IMAGES["data"], "images": {"resize": [16, 12]}})
    assert resized.data.images.model_input() == {"key": "image", "size": [16, 12], "channels": 3}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"features": [{"name": "x", "type": "float", "transform": "zscore"}]}, "leave features"),
        ({"label": {"name": "image"}}, "'image' is an image feature"),
        ({"label": {"name": "label", "type": "int"}}, "labelled by their folder name"),
        ({"data": {**IMAGES["data"], "split_column": "image_path"}}, "split by their path"),
        ({"data": {**IMAGES["data"], "images": {"size": [0, 28]}}}, "greater than 0"),
        ({"data": {**IMAGES["data"], "images": {"channels": 2}}}, "channels"),
        ({"data": {"path": "/d", "images": {"channels": 1}}}, "applies to format: images"),
        ({"data": {"path": "/d"}}, "features: list at least one input column"),
        ({"evaluation": {}}, "evaluation.thresholds is empty"),  # blessed by a rule, as tables
        ({"model": {"type": "dnn"}}, "images are learned by cnn or mobilenet"),
        ({"model": {"type": "cnn", "alpha": 0.5}}, "alpha applies to type mobilenet"),
        ({"optimize": {"prune": {"sparsity": 0.5}}}, "optimize.prune: not supported for images"),
        ({"optimize": {"distill": {}}}, "optimize.distill: not supported for images"),
        ({"batch": {"data": "/b"}}, "batch: not supported for images yet"),
        ({"training": {"augment": {}}}, "set flip, crop or brightness"),
        ({"evaluation": {"bless": "always", "slices": [["shape"]]}}, "'shape' is not the label"),
    ],
)
def test_config_rules_of_images(edit: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config({**IMAGES, "label": {"name": "label"}, **edit})


def test_images_may_be_quantized() -> None:
    config = _config(optimize={"quantize": "int8", "gate": {"max_accuracy_drop": 2.0}})
    assert config.optimize.quantize.mode == "int8"
    assert config.optimize.gate.max_accuracy_drop == 2.0


def test_table_configs_refuse_image_models_and_augmentation() -> None:
    table = {
        "data": {"path": "/d"},
        "features": [{"name": "x", "type": "float", "transform": "zscore"}],
    }
    with pytest.raises(ConfigError, match="model.type: mobilenet applies to images"):
        _config(**table, model={"type": "mobilenet"})
    with pytest.raises(ConfigError, match="training.augment applies to images"):
        _config(**table, training={"augment": {"flip": True}})
