"""CsvExampleGen executor: CSV files read with the configured dialect, to tf.Examples.

TFX's ``BaseExampleGenExecutor`` does the rest (hash-bucket splits, output config, the Examples
artifact layout, gzipped TFRecords); this executor only supplies the PTransform that turns the
files of one input split into tf.Examples, built from plain functions tested without Beam:

* ``split_columns``: the column names (via ``tfxkit.data.csv_dialect``; every file must agree).
* ``feature_keys``: column -> tf.Example key (``config.features.column_key``), collisions refused.
* ``iter_file``: one file, streamed (quoted fields may span lines) -> rows of ``{key: cell}``;
  cells in ``missing_values`` (compared after stripping) are left out of the row, which is how
  TFX represents a missing value. A row with the wrong number of cells fails naming the file
  and the line.
* ``infer_column_types``: per column over the whole input, int if every present value is an
  integer, else float if every one is a number, else string (``ColumnTypesFn`` is the same rule
  as a Beam combine). A type the config declares (``column_types``) wins: "01" stays a string.
* ``to_example``: a row -> tf.train.Example with int64_list / float_list / bytes_list features.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import apache_beam as beam
import tensorflow as tf
from absl import logging
from tfx.dsl.io import fileio
from tfx.types import standard_component_specs

from tfxkit.components.sharded_example_gen import ShardedExampleGenExecutor
from tfxkit.config.features import column_key
from tfxkit.config.pipeline_config import CsvDialect
from tfxkit.data.csv_dialect import columns_of, records, stream_lines
from tfxkit.errors import DataError

CSV_DIALECT_KEY = "csv_dialect"
CODE_FINGERPRINT_KEY = "code_fingerprint"
COLUMN_TYPES_KEY = "column_types"  # JSON {feature key: float|int|string}, declared in the config
KEEP_COLUMNS_KEY = "keep_columns"  # JSON [feature key]: data.columns: used; absent: every column

INT, FLOAT, STRING = "int", "float", "string"
# A column's kind only widens: int -> float -> string. 0 means no value seen yet.
_RANK = {INT: 1, FLOAT: 2, STRING: 3}
_KIND = {rank: kind for kind, rank in _RANK.items()}
_INT = re.compile(r"[+-]?\d+")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

Row = dict[str, str]


def dialect_from_json(text: str) -> CsvDialect:
    """The dialect exec property (JSON of ``CsvDialect``) back as a validated model."""
    return CsvDialect.model_validate(json.loads(text))


def _open_binary(path: str) -> Any:
    """A local file as a Python file object, which ``stream_lines`` streams; TFX's fileio
    (remote paths) gives a GFile, which it reads whole (issue 27: a 10 M-row CSV held in each
    worker that parsed it)."""
    return open(path, "rb") if "://" not in path else fileio.open(path, "rb")  # noqa: SIM115


def read_lines(path: str, dialect: CsvDialect) -> Iterator[str]:
    """A file's lines (local or remote, through TFX's fileio), decoded and streamed."""
    return stream_lines(lambda: _open_binary(path), dialect, path)


def read_columns(path: str, dialect: CsvDialect) -> list[str]:
    """The column names of one file (header row, or ``column_names`` when header-less)."""
    return columns_of(read_lines(path, dialect), dialect, path)


def split_columns(files: list[str], dialect: CsvDialect) -> list[str]:
    """The column names shared by every file of a split; differing headers are an error."""
    columns = read_columns(files[0], dialect)
    for other in files[1:]:
        if read_columns(other, dialect) != columns:
            raise DataError(f"{files[0]} and {other} have different columns (same split)")
    return columns


def feature_keys(columns: list[str]) -> list[str]:
    """The tf.Example key of each column; two columns with one key is an error naming both."""
    owner: dict[str, str] = {}
    for column in columns:
        key = column_key(column)
        if key in owner:
            raise DataError(
                f"columns '{owner[key]}' and '{column}' both map to the feature key '{key}'; "
                "rename one of them"
            )
        owner[key] = column
    return list(owner)


def iter_rows(
    text: str | Iterable[str], dialect: CsvDialect, columns: list[str], source: str
) -> Iterator[Row]:
    """Rows of ``{feature key: cell}`` of one file's text or lines; missing cells are left out."""
    keys = feature_keys(columns)
    missing = set(dialect.missing_values)
    body = records(text, dialect, source)
    if dialect.header:
        next(body, None)
    for line, cells in body:
        if len(cells) != len(keys):
            raise DataError(
                f"{source} line {line}: {len(cells)} cells, but there are {len(keys)} columns "
                f"({', '.join(columns)})"
            )
        yield {k: c for k, c in zip(keys, cells, strict=True) if c.strip() not in missing}


def parse_text(text: str, dialect: CsvDialect, columns: list[str], source: str) -> list[Row]:
    return list(iter_rows(text, dialect, columns, source))


def iter_file(path: str, dialect: CsvDialect, columns: list[str]) -> Iterator[Row]:
    """Rows of one file, streamed (quoted fields may still hold newlines): Beam consumes them
    one by one, so a 10 GB file never sits in memory as text or as a list of rows."""
    return iter_rows(read_lines(path, dialect), dialect, columns, path)


def parse_file(path: str, dialect: CsvDialect, columns: list[str]) -> list[Row]:
    return list(iter_file(path, dialect, columns))


def value_kind(value: str) -> str:
    """The narrowest type that holds one cell: int (int64), float, or string."""
    text = value.strip()
    if _INT.fullmatch(text) and _INT64_MIN <= int(text) <= _INT64_MAX:
        return INT
    if "_" not in text:
        try:
            float(text)
        except ValueError:
            return STRING
        return FLOAT
    return STRING


def widen(ranks: dict[str, int], row: Mapping[str, str]) -> dict[str, int]:
    """Fold one row into per-key kind ranks (in place; also returned)."""
    for key, value in row.items():
        rank = ranks.get(key, 0)
        if rank < _RANK[STRING]:
            ranks[key] = max(rank, _RANK[value_kind(value)])
    return ranks


def kinds_of(ranks: Mapping[str, int], keys: Iterable[str]) -> dict[str, str]:
    """Ranks -> kinds; a column without any present value is a string column."""
    return {key: _KIND.get(ranks.get(key, 0), STRING) for key in keys}


def infer_column_types(rows: Iterable[Mapping[str, str]], keys: Iterable[str]) -> dict[str, str]:
    """Per key: int if every present value is an int64, else float if all are numbers, else
    string. Missing cells (absent from the row) do not count."""
    ranks: dict[str, int] = {}
    for row in rows:
        widen(ranks, row)
    return kinds_of(ranks, keys)


def with_declared(inferred: Mapping[str, str], declared: Mapping[str, str]) -> dict[str, str]:
    """The inferred kinds with the config's declarations in their place (declared wins)."""
    return {key: declared.get(key, kind) for key, kind in inferred.items()}


def to_example(row: Mapping[str, str], types: Mapping[str, str]) -> tf.train.Example:
    """One row as a tf.Example; a key absent from the row is absent from the example."""
    features = {}
    for key, value in row.items():
        kind, text = types[key], value.strip()
        if kind in (INT, FLOAT) and _RANK[value_kind(text)] > _RANK[kind]:
            raise DataError(
                f"column '{key}' is declared {kind} but holds {text[:40]!r}: declare it "
                f"{value_kind(text)} in the config, or list that value in data.csv.missing_values"
            )
        if kind == INT:
            feature = tf.train.Feature(int64_list=tf.train.Int64List(value=[int(text)]))
        elif kind == FLOAT:
            feature = tf.train.Feature(float_list=tf.train.FloatList(value=[float(text)]))
        else:
            feature = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
        features[key] = feature
    return tf.train.Example(features=tf.train.Features(feature=features))


class ColumnTypesFn(beam.CombineFn):
    """``infer_column_types`` as a Beam combine over every row of a split."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = keys

    def create_accumulator(self) -> dict[str, int]:
        return {}

    def add_input(self, accumulator: dict[str, int], row: Row) -> dict[str, int]:
        return widen(accumulator, row)

    def merge_accumulators(self, accumulators: Iterable[dict[str, int]]) -> dict[str, int]:
        merged: dict[str, int] = {}
        for ranks in accumulators:
            for key, rank in ranks.items():
                merged[key] = max(merged.get(key, 0), rank)
        return merged

    def extract_output(self, accumulator: dict[str, int]) -> dict[str, str]:
        return kinds_of(accumulator, self._keys)


def split_files(input_base: str, split_pattern: str) -> list[str]:
    """The files of one input split (``input_base/split_pattern``), sorted."""
    pattern = os.path.join(input_base, split_pattern)
    files = sorted(f for f in fileio.glob(pattern) if not fileio.isdir(f))
    if not files:
        raise DataError(f"no input file matches {pattern}")
    return files


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(tf.train.Example)
def CsvToExample(
    pipeline: beam.Pipeline, exec_properties: dict[str, Any], split_pattern: str
) -> beam.PCollection:
    """The files of one input split, parsed with the dialect, as tf.Examples."""
    dialect = dialect_from_json(exec_properties[CSV_DIALECT_KEY])
    files = split_files(exec_properties[standard_component_specs.INPUT_BASE_KEY], split_pattern)
    columns = split_columns(files, dialect)
    keys = feature_keys(columns)
    logging.info("reading %d CSV file(s) with columns %s", len(files), columns)
    kept = exec_properties.get(KEEP_COLUMNS_KEY)
    keep = set(json.loads(kept)) if kept else None  # data.columns: used
    if keep is not None:
        keys = [key for key in keys if key in keep]
    declared = json.loads(exec_properties.get(COLUMN_TYPES_KEY) or "{}")

    def read(step: str) -> beam.PCollection:
        rows = (
            pipeline
            | f"ListFiles{step}" >> beam.Create(files)
            | f"ParseFiles{step}" >> beam.FlatMap(iter_file, dialect=dialect, columns=columns)
        )
        if keep is None:
            return rows
        return rows | f"KeepUsedColumns{step}" >> beam.Map(
            lambda row: {k: row[k] for k in row if k in keep}
        )

    undeclared = [key for key in keys if key not in declared]
    if not undeclared:  # every type declared: nothing to infer, one read
        return read("") | "ToExample" >> beam.Map(to_example, types=declared)
    # The types are a side input of ToExample; rows feeding both the inference and ToExample
    # would wait, every one of them, in the runner until the inference ends (issue 27). Reading
    # the files twice keeps memory bounded: once for the types, once to convert.
    types = (
        read("ForTypes")
        | "InferTypes" >> beam.CombineGlobally(ColumnTypesFn(keys))
        | "DeclaredTypesWin" >> beam.Map(with_declared, declared)
    )
    return read("") | "ToExample" >> beam.Map(to_example, types=beam.pvalue.AsSingleton(types))


class Executor(ShardedExampleGenExecutor):
    """TFX's ExampleGen executor with a CSV reader that honours ``csv_dialect``."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return CsvToExample
