"""Parquet to tf.Example, one Arrow record batch (a row group) at a time.

Why not TFX's Parquet executor: it converts row by row through ``dict_to_example``, which
(1) writes every falsy value as a *missing* feature, so a 0, 0.0 or False in the data silently
becomes "missing" and is imputed by Transform, (2) raises a bare ``TypeError`` deep in Beam on a
timestamp or date column, and (3) builds a Python dict and proto per row (15k rows/s here).
This executor reads row groups (``ReadFromParquetBatched``), converts each column once in
Arrow and encodes the batch with tfx_bsl's C++ ``RecordBatchToExamples``:

- integers and booleans -> int64; floats -> float32 (NaN is missing, as in serving);
- strings and binary -> bytes; dictionary-encoded columns -> their values;
- timestamps -> int64 seconds since the epoch (UTC); dates -> "YYYY-MM-DD" strings;
  decimals -> float32; lists of any of these -> multi-valued features;
- nulls -> missing; other types (structs, maps, nested lists) are a DataError naming the column.

Memory stays at a few row groups per worker: nothing materializes the whole table. The
conversion lives in ``tfxkit.data.arrow_examples`` so Beam workers need not load TensorFlow.
"""

from __future__ import annotations

import json
import os
from typing import Any

import apache_beam as beam
import tensorflow as tf
from tfx.types import standard_component_specs

from tfxkit.components.sharded_example_gen import ShardedExampleGenExecutor
from tfxkit.data.arrow_examples import to_examples

__all__ = ["Executor", "ParquetToExample", "to_examples"]

KEEP_COLUMNS_KEY = "keep_columns"  # JSON [column]: data.columns: used; absent: every column
CODE_FINGERPRINT_KEY = "code_fingerprint"


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
def ParquetToExample(
    pipeline: beam.Pipeline, exec_properties: dict[str, Any], split_pattern: str
) -> beam.PCollection:
    """The files of one input split as serialized tf.Examples (tf.Example objects when the split
    hashes one column: TFX's partitioner reads features from the proto)."""
    pattern = os.path.join(exec_properties[standard_component_specs.INPUT_BASE_KEY], split_pattern)
    kept = exec_properties.get(KEEP_COLUMNS_KEY)
    examples = (
        pipeline
        | "ReadRowGroups"
        >> beam.io.ReadFromParquetBatched(pattern, columns=json.loads(kept) if kept else None)
        | "ToExamples" >> beam.FlatMap(to_examples)
    )
    output_config = exec_properties.get(standard_component_specs.OUTPUT_CONFIG_KEY) or ""
    if "partition_feature_name" in output_config:
        examples = examples | "Parse" >> beam.Map(tf.train.Example.FromString)
    return examples


class Executor(ShardedExampleGenExecutor):
    """TFX's ExampleGen executor (splits, spans, output layout) with an Arrow Parquet reader."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return ParquetToExample
