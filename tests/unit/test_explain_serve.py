"""tfxkit serve's explanations (issue 26): request values as the Transform layer's raw features,
and model inputs mapped back to the request's column names. End to end on a served model:
tests/integration/test_responsible_ai.py."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tfxkit.serving.explain import _raw_tensor, raw_column, raw_specs
from tfxkit.serving.models import RequestError


def test_missing_values_are_absent_from_a_sparse_raw_feature_and_ints_are_rounded() -> None:
    spec = tf.SparseTensorSpec([None, 1], tf.int64)

    tensor = _raw_tensor("body mass", [3750.4, None, float("nan"), 4000], spec)

    assert tensor.dense_shape.numpy().tolist() == [4, 1]
    assert tensor.indices.numpy().tolist() == [[0, 0], [3, 0]]
    assert tensor.values.numpy().tolist() == [3750, 4000]


def test_dense_raw_features_fill_the_type_s_zero_and_strings_are_bytes() -> None:
    strings = _raw_tensor("island", ["Biscoe", ""], tf.TensorSpec([None, 1], tf.string))
    numbers = _raw_tensor("x", [1.5, None], tf.TensorSpec([None], tf.float32))

    assert strings.numpy().tolist() == [[b"Biscoe"], [b""]]
    np.testing.assert_allclose(numbers.numpy(), [1.5, 0.0])


def test_a_value_of_the_wrong_type_is_a_bad_request_naming_the_input() -> None:
    with pytest.raises(RequestError, match="input 'body mass'"):
        _raw_tensor("body mass", ["heavy"], tf.SparseTensorSpec([None, 1], tf.float32))


def test_model_inputs_map_to_the_request_s_column_names() -> None:
    columns = {"unit_price": "unit price", "island": "island"}

    assert raw_column("unit_price_xf", columns) == "unit price"
    assert raw_column("unit_price_missing_xf", columns) == "unit price"
    assert raw_column("island_xf", columns) == "island"
    assert raw_column("island_X_sex_xf", columns) == "island_X_sex_xf"  # a cross keeps its name


def test_a_saved_model_without_a_transform_layer_cannot_explain() -> None:
    with pytest.raises(RequestError, match="no Transform layer") as raised:
        raw_specs(tf.Module())
    assert raised.value.code == "FAILED_PRECONDITION"
