"""Column names a CSV can hold as serving input names: the export's argument names, and the
serving side's mapping from SignatureDef keys (the data's names) back to the arguments."""

from __future__ import annotations

import keyword
import random
import string
from pathlib import Path

import pytest

from tfxkit.config.sections import column_key

_ALPHABET = string.ascii_letters + string.digits + " -._/()%é€性"


def _random_names(seed: int, count: int = 40) -> list[str]:
    rng = random.Random(seed)
    names = {
        "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 12))) for _ in range(count)
    }
    names |= set(rng.sample(keyword.kwlist, 5)) | {"match", "_", "1st", "a-b", "a_b"}
    return sorted(n for n in names if n.strip())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_argument_names_are_unique_identifiers_for_any_column(seed: int) -> None:
    pytest.importorskip("tensorflow_transform")
    from tfxkit.training.export import serving_argument_names

    keys = sorted({column_key(n) for n in _random_names(seed)})
    names = serving_argument_names(keys)
    assert set(names) == set(keys)
    assert len(set(names.values())) == len(keys)  # a-b and a_b do not collide
    for name in names.values():
        assert name.isidentifier() and name.isascii(), name
        assert not keyword.iskeyword(name) and not keyword.issoftkeyword(name), name
    assert serving_argument_names(keys) == names  # stable


def _toy_model(path: Path) -> dict[str, str]:
    """A model whose raw signature is traced with argument names and saved with the data's
    names as SignatureDef keys, the way the trainer's export does it. Returns name -> arg."""
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    names = {"class": "class_", "unit-price": "unit_price", "zone code": "zone_code"}
    specs = {
        "class": tf.TensorSpec([None], tf.string, name="class_"),
        "unit-price": tf.TensorSpec([None], tf.float64, name="unit_price"),
        "zone code": tf.TensorSpec([None], tf.string, name="zone_code"),
    }
    module = tf.Module()

    @tf.function(input_signature=[specs])
    def serve(raw):
        flag = tf.cast(tf.equal(raw["class"], "a"), tf.float64)
        return {
            "score": raw["unit-price"] * 2.0
            + flag
            + tf.strings.to_number(raw["zone code"], tf.float64)
        }

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
    def classify(inputs):
        parsed = tf.io.parse_example(
            inputs,
            {
                "unit-price": tf.io.FixedLenFeature([], tf.float32),
                "zone_code": tf.io.FixedLenFeature([], tf.string),
            },
        )
        score = tf.sigmoid(parsed["unit-price"] + tf.strings.to_number(parsed["zone_code"]))
        batch = tf.shape(score)[0]
        return {
            "classes": tf.tile(tf.constant([["no", "yes"]]), [batch, 1]),
            "scores": tf.stack([1.0 - score, score], axis=1),
        }

    module.serve, module.classify = serve, classify
    signatures = {
        "serving_default": serve.get_concrete_function(),
        "classification": classify.get_concrete_function(),
    }
    tf.saved_model.save(module, str(path), signatures=signatures)
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((path / "saved_model.pb").read_bytes())
    graph = proto.meta_graphs[0]
    graph.signature_def["classification"].method_name = "tensorflow/serving/classify"
    raw = graph.signature_def["serving_default"]
    for name, argument in names.items():
        raw.inputs[name].CopyFrom(raw.inputs[argument])
        del raw.inputs[argument]
    (path / "saved_model.pb").write_bytes(proto.SerializeToString())
    return names


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    import tensorflow as tf

    from tfxkit.serving.models import LoadedVersion, _read_signature_defs

    path = tmp_path_factory.mktemp("names") / "1"
    _toy_model(path)
    version = LoadedVersion(1, str(path), state="AVAILABLE")
    version.signature_defs = _read_signature_defs(str(path))
    version.saved_model = tf.saved_model.load(str(path))
    return version


def test_predict_takes_the_data_s_names_and_the_older_spellings(loaded) -> None:
    from tfxkit.serving import inference

    rows = [{"class": "a", "unit-price": 1.5, "zone code": "07"}]
    assert inference.predict_json(loaded, {"instances": rows}) == {"predictions": [11.0]}
    older = [{"class_": "b", "unit_price": 1.5, "zone_code": "07"}]  # argument / key spellings
    assert inference.predict_json(loaded, {"instances": older}) == {"predictions": [10.0]}
    columns = {"class": ["a"], "unit-price": [0.5], "zone code": ["01"]}
    assert inference.predict_json(loaded, {"inputs": columns}) == {"outputs": [3.0]}


def test_an_unknown_name_lists_what_the_signature_takes(loaded) -> None:
    from tfxkit.serving import inference
    from tfxkit.serving.models import RequestError

    with pytest.raises(RequestError) as raised:
        inference.predict_json(loaded, {"instances": [{"class": "a", "price": 1.0}]})
    message = raised.value.message
    assert (
        "unknown input(s) price" in message and "unit-price" in message and "zone code" in message
    )


def test_classify_reads_example_features_through_column_key(loaded) -> None:
    from tfxkit.serving import inference

    by_header = inference.examples_from_json({"examples": [{"unit-price": 0.0, "zone code": "0"}]})
    (row,) = inference.classify(loaded, "classification", by_header)
    assert [c for c, _ in row] == ["no", "yes"] and row[1][1] == pytest.approx(0.5)
    serialized = inference.examples_from_json({"examples": [{"zone_code": "0", "unit-price": 0.0}]})
    assert inference.canonical_examples(serialized) == serialized  # already keyed: untouched
    with pytest.raises(inference.RequestError, match="example 0 is not a serialized"):
        inference.canonical_examples([b"\xff\xff not a proto"])
