"""ParquetExampleGen executor: every Arrow type's tf.Example form, nulls, and a real Beam run."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tensorflow as tf
from apache_beam.testing.util import assert_that

from tfxkit.components.parquet_example_gen import executor
from tfxkit.errors import DataError


def _examples(table: pa.Table) -> list[dict]:
    """Each row as {feature: values list, or None when the feature is missing}."""
    rows = []
    for serialized in executor.to_examples(table):
        example = tf.train.Example.FromString(serialized)
        row = {}
        for key, feature in example.features.feature.items():
            kind = feature.WhichOneof("kind")
            row[key] = list(getattr(feature, kind).value) if kind else None
        rows.append(row)
    return rows


def test_zero_false_and_empty_are_values_not_missing() -> None:
    """TFX's Parquet executor writes every falsy value as a missing feature."""
    table = pa.table({"n": [0, 3], "x": [0.0, 1.5], "b": [False, True], "s": ["", "a"]})
    first, second = _examples(table)
    assert first == {"n": [0], "x": [0.0], "b": [0], "s": [b""]}
    assert second == {"n": [3], "x": [1.5], "b": [1], "s": [b"a"]}


def test_nulls_and_nan_are_missing() -> None:
    table = pa.table(
        {"n": pa.array([None, 1], pa.int32()), "x": [float("nan"), None], "s": [None, "z"]}
    )
    assert _examples(table) == [
        {"n": None, "x": None, "s": None},
        {"n": [1], "x": None, "s": [b"z"]},
    ]


def test_timestamps_dates_decimals_and_dictionaries_convert() -> None:
    moment = datetime.datetime(2001, 1, 1, 0, 1, tzinfo=datetime.timezone.utc)
    table = pa.table(
        {
            "t": pa.array([moment], pa.timestamp("us", tz="UTC")),
            "naive": pa.array([moment.replace(tzinfo=None)], pa.timestamp("ms")),
            "d": pa.array([datetime.date(2013, 1, 5)], pa.date32()),
            "m": pa.array([Decimal("12.50")], pa.decimal128(5, 2)),
            "cat": pa.array(["JFK"]).dictionary_encode(),
            "big": pa.array(["LGA"], pa.large_string()),
        }
    )
    (row,) = _examples(table)
    assert row == {
        "t": [978307260],
        "naive": [978307260],
        "d": [b"2013-01-05"],
        "m": [12.5],
        "cat": [b"JFK"],
        "big": [b"LGA"],
    }


def test_list_columns_become_multivalued_features() -> None:
    table = pa.table({"tags": pa.array([["a", "b"], None, []], pa.list_(pa.string()))})
    sliced = table.slice(1)  # a slice's offsets do not start at zero
    # null: missing; []: present with no values (a typed, empty feature)
    assert _examples(table) == [{"tags": [b"a", b"b"]}, {"tags": None}, {"tags": []}]
    assert _examples(sliced) == [{"tags": None}, {"tags": []}]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (pa.array([{"a": 1}]), "has type struct"),
        (pa.array([[1, None]], pa.list_(pa.int64())), "a list holds a null"),
    ],
)
def test_unconvertible_columns_name_the_column(column: pa.Array, message: str) -> None:
    with pytest.raises(DataError, match=f"'col'.*{message}|{message}"):
        executor.to_examples(pa.table({"col": column}))


def test_beam_reads_every_row_group(tmp_path: Path) -> None:
    """The real transform: two files, several row groups each, every row once."""
    for part in range(2):
        table = pa.table({"id": list(range(part * 1000, part * 1000 + 1000)), "zero": [0] * 1000})
        pq.write_table(table, tmp_path / f"part-{part}.parquet", row_group_size=300)

    def check(examples: list[bytes]) -> None:
        ids = sorted(
            tf.train.Example.FromString(e).features.feature["id"].int64_list.value[0]
            for e in examples
        )
        assert ids == list(range(2000))
        zero = tf.train.Example.FromString(examples[0]).features.feature["zero"]
        assert list(zero.int64_list.value) == [0]

    with beam.Pipeline() as pipeline:
        examples = pipeline | executor.ParquetToExample({"input_base": str(tmp_path)}, "*.parquet")
        assert_that(examples, check)
