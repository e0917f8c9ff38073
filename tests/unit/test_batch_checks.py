"""The local engine (``tfxkit.batch.checks``: statistics counted while scoring, TFDV's C++
validator loaded by path) against the Beam engine (TFDV's statistics, ``tfdv.validate_statistics``
through the pipeline scorer's ``validator``): the same anomalies, word for word, on planted
ones; the same output bytes; and the checks it cannot count sent to Beam."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.batch_toy import MODEL, NUMBER, save_base

KEY = "bill_length__mm_"  # the feature key of NUMBER
HEADER = f"id,{NUMBER},island,note\n"
CLEAN = ["a1,40.5,Biscoe,x", "a2,41,Dream,x", "a3,52,Dream,x", "a4,38,Torgersen,x"]
HOLES = ["a1,40.5,Biscoe,x", "a2,NA,Dream,x", "a3,52,,x", "a4,38,Dream,x"]
STRANGE = ["a1,40,Atlantis,x", "a2,41,Dream,x", "a3,41,Dream,x", "a4,47,Lemuria,x"]
NO_ISLAND = ["a1,40,,x", "a2,41,,x"]
NO_NUMBER = ["a1,NA,Dream,x", "a2,,Biscoe,x"]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("checks") / "serving"
    save_base(path)
    return path


def _schema(number_type: str = "FLOAT", presence: float = 0.0, valued: bool = True, **bounds):
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = schema_pb2.Schema()
    island = schema.feature.add(name="island", type=schema_pb2.BYTES)
    island.value_count.min = island.value_count.max = 1
    if valued:  # a string domain: the check reads the values
        island.domain = "island"
        schema.string_domain.add(name="island", value=["Biscoe", "Dream", "Torgersen"])
    number = schema.feature.add(name=KEY, type=getattr(schema_pb2, number_type))
    for feature in (island, number):
        feature.presence.min_count = 1
        if presence:
            feature.presence.min_fraction = presence
    if "low" in bounds:
        domain = number.int_domain if number_type == "INT" else number.float_domain
        domain.min, domain.max = bounds["low"], bounds["high"]
    return schema


CASES = {
    "clean": (CLEAN, _schema(), {}),
    "missing values under min_fraction 1": (HOLES, _schema(presence=1.0), {}),
    "text without a domain (values not counted)": (HOLES, _schema(presence=1.0, valued=False), {}),
    "values outside the string domain": (STRANGE, _schema(), {}),
    "a text column with no value": (NO_ISLAND, _schema(presence=0.5), {}),
    "a number column with no value": (NO_NUMBER, _schema(presence=0.5, low=1.0, high=2.0), {}),
    "a float domain": (CLEAN, _schema(low=39.0, high=50.0), {}),
    "an int domain": (
        ["a1,40,Dream,x", "a2,38,Dream,x", "a3,61,Biscoe,x"],
        _schema("INT", low=39, high=60),
        {KEY: "int"},
    ),
    "floats where the schema says int": (CLEAN, _schema("INT"), {}),
}


def _score(
    base: Path, data: Path, out: Path, engine: str, validate, declared: dict, fmt: str = "csv"
):
    from tfxkit.batch.pipeline import ScoreRequest, score
    from tfxkit.batch.versions import resolve

    request = ScoreRequest(
        data=str(data),
        out=str(out),
        model=resolve(str(base), MODEL, None),
        pass_through=("id",),
        declared=declared,
        engine=engine,
        output_format=fmt,
    )
    return score(request, validate)


def _checks(schema, on_anomaly: str = "warn"):
    from tfxkit.batch.checks import SchemaCheck
    from tfxkit.cli.predict import judgement

    return SchemaCheck(schema, judgement(on_anomaly, {}))


@pytest.mark.parametrize("case", list(CASES))
def test_the_local_checks_find_what_tfdv_finds(base: Path, tmp_path: Path, case: str) -> None:
    from tfxkit.components.batch_scorer.validation import validator

    rows, schema, declared = CASES[case]
    data = tmp_path / "batch.csv"
    data.write_text(HEADER + "".join(r + "\n" for r in rows))
    check = _checks(schema)
    assert check.local
    local = _score(base, data, tmp_path / "local", "local", check, declared)
    assert local.summary["rows_out"] == len(rows) and local.timings[-1][0].startswith("merged")
    tfdv_check = validator(schema, [KEY, "island"], "warn", {})
    beam = _score(base, data, tmp_path / "beam", "beam", tfdv_check, declared)
    assert local.warnings == beam.warnings
    assert bool(local.warnings) == (case != "clean")
    for name in ("predictions.csv", "rejects.csv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "beam" / name).read_bytes()


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_both_engines_write_the_same_bytes_in_each_format(
    base: Path, tmp_path: Path, fmt: str
) -> None:
    data = tmp_path / "batch.csv"
    data.write_text(HEADER + "".join(r + "\n" for r in [*HOLES, "b1,abc,Dream,x", *CLEAN]))
    for engine in ("local", "beam"):
        result = _score(base, data, tmp_path / engine, engine, None, {}, fmt)
        assert (result.rows_in, result.rows_out, result.rejected) == (9, 8, 1)
    for name in (f"predictions.{fmt}", "rejects.csv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "beam" / name).read_bytes()


def test_a_failing_check_refuses_the_batch_and_writes_nothing(base: Path, tmp_path: Path) -> None:
    from tfxkit.batch.pipeline import BatchAnomalies

    data = tmp_path / "strange.csv"
    data.write_text(HEADER + "".join(r + "\n" for r in STRANGE))
    with pytest.raises(BatchAnomalies) as raised:
        _score(base, data, tmp_path / "out", "local", _checks(_schema(), "fail"), {})
    assert [r["feature"] for r in raised.value.rows] == ["island"]
    assert "Atlantis" in raised.value.rows[0]["description"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["strange.csv"]


def test_the_statistics_are_tfdvs_where_the_checks_read_them(base: Path, tmp_path: Path) -> None:
    """Field by field against TFDV's generators on the same parsed rows."""
    from tensorflow_data_validation.statistics import stats_impl

    from tfxkit.batch import beam_job, checks, reading

    columns = [reading.Column(NUMBER, NUMBER, reading.NUMBER)]
    columns.append(reading.Column("island", "island", reading.TEXT))
    data = tmp_path / "b.csv"
    data.write_text(HEADER + "".join(r + "\n" for r in [*HOLES, *STRANGE, *CLEAN]))
    batch = next(reading.csv_batches(0, str(data), _dialect(), columns, [], 1024))
    ours = checks.Statistics({c.name: c.kind for c in columns})
    ours.add(batch)
    theirs = stats_impl.generate_statistics_in_memory(
        beam_job._record_batch(batch, {c.name: c.kind for c in columns})
    ).datasets[0]
    mine = ours.proto().datasets[0]
    assert mine.num_examples == theirs.num_examples == 12
    pairs = {f.path.step[0]: f for f in theirs.features}
    for feature in mine.features:
        other = pairs[feature.path.step[0]]
        assert feature.type == other.type
        if feature.HasField("num_stats"):
            a, b = feature.num_stats, other.num_stats
            assert (a.min, a.max, a.num_zeros) == (b.min, b.max, b.num_zeros)
            assert a.mean == pytest.approx(b.mean) and a.std_dev == pytest.approx(b.std_dev)
            common, theirs_common = a.common_stats, b.common_stats
        else:
            a, b = feature.string_stats, other.string_stats
            assert a.unique == b.unique and a.avg_length == pytest.approx(b.avg_length)
            assert [(x.label, x.sample_count) for x in a.rank_histogram.buckets] == [
                (x.label, x.sample_count) for x in b.rank_histogram.buckets
            ]
            common, theirs_common = a.common_stats, b.common_stats
        for name in ("num_non_missing", "num_missing", "min_num_values", "max_num_values"):
            assert getattr(common, name) == getattr(theirs_common, name), name


def test_checks_it_cannot_count_go_to_beam_and_tfdv_is_not_imported(tmp_path: Path) -> None:
    from tensorflow_metadata.proto.v0 import schema_pb2

    from tfxkit.batch import checks
    from tfxkit.batch.pipeline import ScoreRequest, engine

    plain = _schema()
    assert checks.covers(plain)
    assert _checks(plain).valued == {"island"} and not _checks(_schema(valued=False)).valued
    constrained = schema_pb2.Schema.FromString(plain.SerializeToString())
    constrained.feature[0].distribution_constraints.min_domain_mass = 0.9
    assert not checks.covers(constrained)
    request = ScoreRequest(data="d", out="o", model=None, engine="local")  # type: ignore[arg-type]
    assert engine(request, _checks(plain)) == "local"
    assert engine(request, _checks(constrained)) == "beam"
    assert engine(request, lambda statistics: []) == "beam"  # not a SchemaCheck: TFDV's own
    assert engine(request, None) == "local"
    if "tensorflow_data_validation" not in sys.modules:  # this test alone: loaded by path
        checks.validate_statistics(checks.Statistics({}).proto(), plain)
        assert "tensorflow_data_validation" not in sys.modules
        assert "apache_beam" not in sys.modules


def _dialect():
    from tfxkit.config.sections import CsvDialect

    return CsvDialect()
