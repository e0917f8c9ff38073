"""JsonlExampleGen executor: JSON lines files to tf.Examples, one per object.

TFX's ``BaseExampleGenExecutor`` does the rest (hash-bucket splits, output config, the Examples
artifact layout, gzipped TFRecords); this executor supplies the PTransform, built from the
plain functions of ``tfxkit.data.jsonl`` (tested without Beam):

* each file is streamed line by line (through TFX's fileio: local or remote) and each line
  parsed into ``{feature key: value}``, missing values (``null``, ``""``) left out, which is how
  TFX represents a missing value; a broken line fails the run naming the file and the line;
* a column's type is the widest of its values over the whole split (``ColumnTypesFn``), unless
  the config declares it (``column_types``): a JSON number in a string column becomes its JSON
  text, a string in a number column is an error naming the line;
* each row becomes a tf.Example (int64_list / float_list / bytes_list), serialized by TFX's
  partitioner deterministically, so a row's split is a function of its content alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import apache_beam as beam
import tensorflow as tf
from tfx.dsl.io import fileio
from tfx.types import standard_component_specs

from tfxkit.components.csv_example_gen.executor import split_files
from tfxkit.components.sharded_example_gen import ShardedExampleGenExecutor
from tfxkit.data.jsonl import FLOAT, INT, Row, iter_lines, kinds_of, typed_value, widen

CODE_FINGERPRINT_KEY = "code_fingerprint"
COLUMN_TYPES_KEY = "column_types"  # JSON {feature key: float|int|string}, declared in the config
KEEP_COLUMNS_KEY = "keep_columns"  # JSON [feature key]: data.columns: used; absent: every column


def iter_file(path: str, keep: frozenset[str] | None = None) -> Iterator[tuple[str, Row]]:
    """(where, row) of one file, streamed; ``keep``: the only keys a row keeps."""
    with fileio.open(path, "rb") as handle:
        for line, row in iter_lines(handle, path):
            if keep is not None:
                row = {k: v for k, v in row.items() if k in keep}
            yield f"{path} line {line}", row


def to_example(located: tuple[str, Row], types: Mapping[str, str]) -> tf.train.Example:
    """One row as a tf.Example of its columns' types; a key absent from the row is absent."""
    where, row = located
    features = {}
    for key, value in row.items():
        kind = types[key]
        typed = typed_value(value, kind, key, where)
        if kind == INT:
            feature = tf.train.Feature(int64_list=tf.train.Int64List(value=[typed]))
        elif kind == FLOAT:
            feature = tf.train.Feature(float_list=tf.train.FloatList(value=[typed]))
        else:
            feature = tf.train.Feature(bytes_list=tf.train.BytesList(value=[typed.encode()]))
        features[key] = feature
    return tf.train.Example(features=tf.train.Features(feature=features))


class ColumnTypesFn(beam.CombineFn):
    """The widest kind of each column over every row of a split, declared types winning."""

    def __init__(self, declared: Mapping[str, str]) -> None:
        self._declared = dict(declared)

    def create_accumulator(self) -> dict[str, int]:
        return {}

    def add_input(self, accumulator: dict[str, int], located: tuple[str, Row]) -> dict[str, int]:
        return widen(accumulator, located[1])

    def merge_accumulators(self, accumulators: Iterable[dict[str, int]]) -> dict[str, int]:
        merged: dict[str, int] = {}
        for ranks in accumulators:
            for key, rank in ranks.items():
                merged[key] = max(merged.get(key, 0), rank)
        return merged

    def extract_output(self, accumulator: dict[str, int]) -> dict[str, str]:
        return {**kinds_of(accumulator), **self._declared}


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(tf.train.Example)
def JsonlToExample(
    pipeline: beam.Pipeline, exec_properties: dict[str, Any], split_pattern: str
) -> beam.PCollection:
    """The files of one input split, one JSON object per line, as tf.Examples."""
    files = split_files(exec_properties[standard_component_specs.INPUT_BASE_KEY], split_pattern)
    kept = exec_properties.get(KEEP_COLUMNS_KEY)
    keep = frozenset(json.loads(kept)) if kept else None

    def read(step: str) -> beam.PCollection:
        return (
            pipeline
            | f"ListFiles{step}" >> beam.Create(files)
            | f"ParseLines{step}" >> beam.FlatMap(iter_file, keep=keep)
        )

    declared = json.loads(exec_properties.get(COLUMN_TYPES_KEY) or "{}")
    # Read twice, once for the types and once to convert: rows feeding both the type combine
    # and ToExample (its side input) would all wait in the runner until the types are known,
    # a whole split in memory (issue 27).
    types = read("ForTypes") | "ColumnTypes" >> beam.CombineGlobally(ColumnTypesFn(declared))
    return read("") | "ToExample" >> beam.Map(to_example, types=beam.pvalue.AsSingleton(types))


class Executor(ShardedExampleGenExecutor):
    """TFX's ExampleGen executor with a JSON lines reader."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return JsonlToExample
