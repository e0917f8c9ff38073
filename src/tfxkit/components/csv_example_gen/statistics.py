"""TFDV statistics of CSV files read exactly as this ExampleGen reads them (dialect, feature
keys, types), without a pipeline: for ``tfxkit schema`` and for the anomaly gate's serving
data (skew). One dataset; the rows are converted in memory (fine for samples and logs)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tfxkit.components.csv_example_gen import executor as csv_gen
from tfxkit.config.sections import CsvDialect
from tfxkit.data.csv_dialect import input_files, read_header
from tfxkit.errors import DataError


def csv_statistics(
    folder: str,
    dialect: CsvDialect,
    pattern: str | None = None,
    declared: dict[str, str] | None = None,
) -> Any:
    """A DatasetFeatureStatisticsList of every row of the input files under ``folder``, with
    the config's ``declared`` types winning over inferred ones, as in a run."""
    import tensorflow as tf
    import tensorflow_data_validation as tfdv

    columns = read_header(folder, dialect, pattern)
    files = input_files(folder, pattern)
    rows = [row for f in files for row in csv_gen.parse_file(str(f), dialect, columns)]
    if not rows:
        raise DataError(f"{folder}: no data rows")
    types = csv_gen.with_declared(
        csv_gen.infer_column_types(rows, csv_gen.feature_keys(columns)), declared or {}
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "examples.tfrecord")
        with tf.io.TFRecordWriter(path) as writer:
            for row in rows:
                writer.write(csv_gen.to_example(row, types).SerializeToString())
        return tfdv.generate_statistics_from_tfrecord(data_location=path)
