"""Batch scoring (``tfxkit.batch``) on toy models with tfxkit's serving contract: every row
accounted for, outputs equal to the signature's answers, re-runs byte-identical, bad input
refused with nothing written. The pipeline run with a real model: tests/integration/test_batch.py.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.batch_toy import CLASSES, MODEL, NUMBER, save_base
from tfxkit.errors import DataError, ServingError

GOOD = [("a1", "40.5", "Biscoe"), ("a2", "NA", "Dream"), ("a3", "52", ""), ("a4", "38", "Dream")]
HEADER = f"id,{NUMBER},island,note\n"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "serving"
    save_base(path)
    return path


def _write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "".join(r + "\n" for r in rows))
    return path


def _planted(path: Path) -> Path:
    """Four good rows and four bad ones: a word for a number, a short row, broken quoting,
    a row with a cell too many."""
    rows = [",".join(g) + ",ok" for g in GOOD]
    bad = ["b1,abc,Dream,x", "b2,41", 'b3,"4"2,Dream,x', "b4,40,Dream,x,extra"]
    return _write(path, [rows[0], bad[0], rows[1], bad[1], rows[2], bad[2], bad[3], rows[3]])


def _score(base: Path, data: Path, out: Path, **options):
    from tfxkit.batch.pipeline import ScoreRequest, score
    from tfxkit.batch.versions import resolve

    version = options.pop("version", None)
    validate = options.pop("validate", None)
    request = ScoreRequest(
        data=str(data),
        out=str(out),
        model=resolve(str(base), MODEL, version),
        pass_through=options.pop("pass_through", ("id",)),
        **options,
    )
    return score(request, validate)


def _signature(base: Path, version: int, numbers: list[float], islands: list[str]) -> dict:
    import tensorflow as tf

    from tfxkit.batch.model import Scorer

    scorer = Scorer(str(base / MODEL / str(version)))
    del tf
    return scorer({NUMBER: np.array(numbers), "island": np.array(islands, dtype=object)})


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_every_row_is_scored_or_rejected_with_its_line(base: Path, tmp_path: Path) -> None:
    data = _planted(tmp_path / "batch.csv")
    result = _score(base, data, tmp_path / "out")
    assert (result.rows_in, result.rows_out, result.rejected) == (8, 4, 4)
    rows = _rows(tmp_path / "out" / "predictions.csv")
    names = [f"probability_{c}" for c in CLASSES]
    assert list(rows[0]) == ["id", "classes", *names, "model_version"]
    assert [r["id"] for r in rows] == ["a1", "a2", "a3", "a4"]  # input order
    assert {r["model_version"] for r in rows} == {"1"}  # stable
    expected = _signature(base, 1, [40.5, np.nan, 52.0, 38.0], ["Biscoe", "Dream", "", "Dream"])
    got = np.array([[float(r[n]) for n in names] for r in rows])
    assert np.abs(got - expected["probabilities"]).max() < 1e-6
    assert [r["classes"] for r in rows] == [c.decode() for c in expected["classes"]]
    rejects = _rows(tmp_path / "out" / "rejects.csv")
    assert [(r["file"], r["line"]) for r in rejects] == [(str(data), str(n)) for n in (3, 5, 7, 8)]
    reasons = [r["reason"] for r in rejects]
    assert reasons[0] == f"column '{NUMBER}' holds 'abc', not a number"
    assert reasons[1] == "2 cells, but the header names 4 columns"
    assert reasons[2].startswith("malformed CSV")
    assert reasons[3] == "5 cells, but the header names 4 columns"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (summary["rows_in"], summary["rows_out"], summary["rejected"]) == (8, 4, 4)


def test_a_rerun_writes_the_same_bytes_and_replaces_the_output(base: Path, tmp_path: Path) -> None:
    data = _planted(tmp_path / "batch.csv")
    out = tmp_path / "out"
    _score(base, data, tmp_path / "first", batch_rows=3)
    _score(base, data, out, batch_rows=3)
    first = {p.name: p.read_bytes() for p in (tmp_path / "first").iterdir()}
    again = _score(base, data, out, batch_rows=3)
    assert again.rows_in == 8
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.csv", "first", "out"]


def test_canary_a_number_and_every_format(base: Path, tmp_path: Path) -> None:
    data = _write(tmp_path / "b.csv", [",".join(g) + ",ok" for g in GOOD])
    csv_rows = _rows(
        _score(base, data, tmp_path / "c", version="canary").out / Path("predictions.csv")
    )
    assert {r["model_version"] for r in csv_rows} == {"2"}
    _score(base, data, tmp_path / "p", version=2, output_format="parquet")
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "p" / "predictions.parquet")
    assert table.column_names == list(csv_rows[0])
    assert table.column("classes").to_pylist() == [r["classes"] for r in csv_rows]
    _score(base, data, tmp_path / "j", version="2", output_format="jsonl")
    lines = (tmp_path / "j" / "predictions.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert first["id"] == "a1" and first["model_version"] == 2
    assert first["probability_Gentoo"] == float(csv_rows[0]["probability_Gentoo"])


def test_parquet_input_and_a_directory_of_files(base: Path, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "a.csv", [",".join(g) + ",ok" for g in GOOD[:2]])
    pq.write_table(
        pa.table({"id": ["p1", "p2"], NUMBER: [41.0, None], "island": ["Dream", None]}),
        folder / "b.parquet",
    )
    result = _score(base, folder, tmp_path / "out")
    assert (result.rows_in, result.rows_out, result.rejected) == (4, 4, 0)
    rows = _rows(tmp_path / "out" / "predictions.csv")
    assert [r["id"] for r in rows] == ["a1", "a2", "p1", "p2"]
    expected = _signature(base, 1, [41.0, np.nan], ["Dream", ""])
    assert abs(float(rows[2]["probability_Adelie"]) - expected["probabilities"][0][0]) < 1e-6


def test_binary_and_regression_columns(tmp_path: Path) -> None:
    data = _write(tmp_path / "b.csv", [",".join(g) + ",ok" for g in GOOD])
    for task, columns in (
        ("binary", ["id", "classes", "probability_not Gentoo", "probability_Gentoo"]),
        ("regression", ["id", "predictions"]),
    ):
        save_base(tmp_path / task, task, versions=1)
        _score(tmp_path / task, data, tmp_path / f"{task}-out")
        rows = _rows(tmp_path / f"{task}-out" / "predictions.csv")
        assert list(rows[0]) == [*columns, "model_version"]
        if task == "binary":
            for row in rows:
                p = float(row["probability_Gentoo"])
                assert abs(p + float(row["probability_not Gentoo"]) - 1) < 1e-6
                assert row["classes"] == ("Gentoo" if p > 0.5 else "not Gentoo")


def _nothing_written(tmp_path: Path, out: Path) -> None:
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        ("id,island,note\n", ["a,Dream,x"], f"has no column '{NUMBER}', which the model takes"),
        (HEADER, ["a,long,Dream,x", "b,short,Biscoe,y"], f"column '{NUMBER}': none of its 2"),
        ("", [], "is empty: no header and no rows"),
        (HEADER, [], "no rows to score in"),
    ],
    ids=["missing column", "wrong type", "empty file", "header only"],
)
def test_bad_input_is_refused_naming_it(base: Path, tmp_path: Path, header, rows, message) -> None:
    data = _write(tmp_path / "bad.csv", rows, header)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _score(base, data, tmp_path / "out")
    _nothing_written(tmp_path, tmp_path / "out")


def test_extra_columns_are_ignored_or_passed_through(base: Path, tmp_path: Path) -> None:
    data = _write(tmp_path / "b.csv", [",".join(g) + ",ok" for g in GOOD])
    _score(base, data, tmp_path / "out", pass_through=("note", "id"))
    assert list(_rows(tmp_path / "out" / "predictions.csv")[0])[:2] == ["note", "id"]
    with pytest.raises(DataError, match="no pass-through column 'user'"):
        _score(base, data, tmp_path / "o2", pass_through=("user",))
    _nothing_written(tmp_path, tmp_path / "o2")


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (7, "has no version 7 under .* \\(versions: 1, 2\\)"),
        ("foo", "give a version number, stable, canary or latest"),
    ],
)
def test_an_unknown_version_is_refused(base: Path, tmp_path: Path, version, message) -> None:
    data = _write(tmp_path / "b.csv", [",".join(GOOD[0]) + ",ok"])
    with pytest.raises(ServingError, match=message):
        _score(base, data, tmp_path / "out", version=version)
    _nothing_written(tmp_path, tmp_path / "out")


def test_a_missing_label_and_an_unblessed_version_are_refused(tmp_path: Path) -> None:
    from tfxkit.batch.versions import resolve

    save_base(tmp_path / "one", versions=1)
    with pytest.raises(ServingError, match="has no 'canary' label \\(labels: stable=1"):
        resolve(str(tmp_path / "one"), MODEL, "canary")
    save_base(tmp_path / "unblessed", versions=1, blessed=False)
    with pytest.raises(ServingError, match="not pushed by tfxkit's pusher"):
        resolve(str(tmp_path / "unblessed"), MODEL, 1)


def test_an_out_that_is_not_an_earlier_output_is_left_alone(base: Path, tmp_path: Path) -> None:
    data = _write(tmp_path / "b.csv", [",".join(GOOD[0]) + ",ok"])
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep me")
    with pytest.raises(DataError, match="exists and is not an earlier scoring output"):
        _score(base, data, precious)
    assert [p.name for p in precious.iterdir()] == ["thesis.txt"]


def test_the_schema_of_record_refuses_an_anomalous_batch(base: Path, tmp_path: Path) -> None:
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import schema_pb2

    from tfxkit.batch.pipeline import BatchAnomalies
    from tfxkit.components.batch_scorer.validation import validator

    schema = schema_pb2.Schema()
    island = schema.feature.add(name="island", type=schema_pb2.BYTES, domain="island")
    island.presence.min_count = 1
    schema.string_domain.add(name="island", value=["Biscoe", "Dream", "Torgersen"])
    schema.feature.add(name="bill_length__mm_", type=schema_pb2.FLOAT)
    del tfdv
    keys = ["island", "bill_length__mm_"]
    data = _write(tmp_path / "b.csv", [",".join(g) + ",ok" for g in GOOD])
    assert _score(
        base, data, tmp_path / "ok", validate=validator(schema, keys, "fail", {})
    ).rows_out
    strange = _write(tmp_path / "s.csv", ["x1,40,Atlantis,ok", "x2,41,Dream,ok"])
    with pytest.raises(BatchAnomalies) as raised:
        _score(base, strange, tmp_path / "out", validate=validator(schema, keys, "fail", {}))
    assert raised.value.rows[0]["feature"] == "island"
    assert "Atlantis" in raised.value.rows[0]["description"]
    _nothing_written(tmp_path, tmp_path / "out")
    warned = _score(base, strange, tmp_path / "w", validate=validator(schema, keys, "warn", {}))
    assert warned.rows_out == 2 and warned.warnings[0]["feature"] == "island"


def test_a_byte_order_mark_is_read_past_and_a_bad_byte_is_named(base: Path, tmp_path: Path) -> None:
    data = tmp_path / "bom.csv"
    data.write_bytes(("\ufeff" + HEADER + "a1,40,Dream,x\n").encode())
    assert _score(base, data, tmp_path / "out").rows_out == 1
    broken = tmp_path / "latin.csv"
    broken.write_bytes((HEADER + "a1,40,Dream,x\n").encode() + b"a2,41,Dr\xe9am,x\n")
    with pytest.raises(DataError, match="line 3: not valid utf-8"):
        _score(base, broken, tmp_path / "o2")
    _nothing_written(tmp_path, tmp_path / "o2")
