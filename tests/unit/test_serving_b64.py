"""Binary inputs (an encoded image) over REST: TF Serving's ``{"b64": ...}``, sent by the Client
and decoded by ``tfxkit serve`` in the row and the columnar format."""

from __future__ import annotations

import base64

import pytest

tf = pytest.importorskip("tensorflow")

from tfxkit.serving import inference  # noqa: E402
from tfxkit.serving.client import as_b64  # noqa: E402
from tfxkit.serving.models import RequestError  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n\x00\xff"


def _signature(*names: str) -> inference.Signature:
    spec = tf.TensorSpec([None], tf.string)
    return inference.Signature(None, {n: spec for n in names}, {n: n for n in names}, {})


def test_the_client_sends_bytes_as_b64_and_text_as_it_is() -> None:
    body = as_b64({"instances": [{"image": PNG, "note": "x"}], "n": 1})
    assert body == {
        "instances": [{"image": {"b64": base64.b64encode(PNG).decode()}, "note": "x"}],
        "n": 1,
    }
    assert base64.b64decode(body["instances"][0]["image"]["b64"]) == PNG


def test_b64_features_of_a_classify_request_become_bytes() -> None:
    (serialized,) = inference.examples_from_json(as_b64({"examples": [{"image": PNG}]}))
    example = tf.train.Example.FromString(serialized)
    assert example.features.feature["image"].bytes_list.value == [PNG]


def test_b64_rows_named_or_bare_and_columns_decode_to_the_bytes() -> None:
    value = {"b64": base64.b64encode(PNG).decode()}
    one = _signature("image")
    assert inference._columns_from_rows([{"image": value}], one) == {"image": [value]}
    assert inference._columns_from_rows([value, value], one) == {"image": [value, value]}
    tensor = inference._tensor("image", [value, value], one.inputs["image"])
    assert tensor.numpy().tolist() == [PNG, PNG]


def test_bad_base64_is_a_request_error() -> None:
    with pytest.raises(RequestError, match="not valid base64"):
        inference._tensor("image", [{"b64": "not base64!"}], _signature("image").inputs["image"])
