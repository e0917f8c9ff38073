"""CsvExampleGen executor: each dialect quirk, type inference, errors, and one real Beam run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfxkit.components.csv_example_gen import executor
from tfxkit.config.pipeline_config import CsvDialect
from tfxkit.data.csv_dialect import read_header
from tfxkit.errors import DataError


def _write(path: Path, text: str, encoding: str = "utf-8") -> str:
    path.write_bytes(text.encode(encoding))
    return str(path)


def _parse(path: str, dialect: CsvDialect) -> list[dict[str, str]]:
    return executor.parse_file(path, dialect, executor.read_columns(path, dialect))


def test_space_after_delimiter_is_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "a, b, c\n1, x , 2.5\n")
    assert read_header(path, CsvDialect()) == ["a", "b", "c"]
    assert _parse(path, CsvDialect()) == [{"a": "1", "b": "x", "c": "2.5"}]


def test_semicolon_delimiter(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "a;b\n1,5;x,y\n")
    assert _parse(path, CsvDialect(delimiter=";")) == [{"a": "1,5", "b": "x,y"}]


def test_quoted_field_holds_delimiter_and_newline(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", 'id,note\n1,"one, two\nthree"\n2,"say ""hi"""\n')
    assert _parse(path, CsvDialect()) == [
        {"id": "1", "note": "one, two\nthree"},
        {"id": "2", "note": 'say "hi"'},
    ]


def test_other_quote_char(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "id|note\n1|'a|b'\n")
    assert _parse(path, CsvDialect(delimiter="|", quote_char="'")) == [{"id": "1", "note": "a|b"}]


def test_headerless_file_uses_column_names(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "1,x\n2,y\n")
    dialect = CsvDialect(header=False, column_names=["n", "s"])
    assert read_header(path, dialect) == ["n", "s"]
    assert _parse(path, dialect) == [{"n": "1", "s": "x"}, {"n": "2", "s": "y"}]


def test_column_names_rename_a_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "A,B\n1,2\n")
    dialect = CsvDialect(column_names=["a", "b"])
    assert _parse(path, dialect) == [{"a": "1", "b": "2"}]


def test_missing_markers_leave_the_feature_out(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "a,b,c\n?,NA,1\n , ,2\n")
    dialect = CsvDialect(missing_values=["", "NA", "?"])
    rows = _parse(path, dialect)
    assert rows == [{"c": "1"}, {"c": "2"}]
    example = executor.to_example(rows[0], {"a": "int", "b": "string", "c": "int"})
    assert set(example.features.feature) == {"c"}


def test_latin1_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "café,ville\n1,Zürich\n", encoding="latin-1")
    dialect = CsvDialect(encoding="latin-1")
    assert read_header(path, dialect) == ["café", "ville"]
    assert _parse(path, dialect) == [{"caf_": "1", "ville": "Zürich"}]
    with pytest.raises(DataError, match=r"a\.csv line 1: not valid utf-8 at byte 3"):
        read_header(path, CsvDialect())


def test_utf8_byte_order_mark_is_not_part_of_the_first_name(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "\ufeffa,b\n1,2\n")
    assert read_header(path, CsvDialect()) == ["a", "b"]


def test_column_names_become_valid_feature_keys(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "arr delay (min),carrier\n5,AA\n")
    assert _parse(path, CsvDialect()) == [{"arr_delay__min_": "5", "carrier": "AA"}]


def test_two_columns_with_one_key_name_both() -> None:
    with pytest.raises(DataError, match=r"'a b' and 'a_b' both map to the feature key 'a_b'"):
        executor.feature_keys(["a b", "a_b"])


def test_row_with_wrong_cell_count_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", 'a,b\n1,2\n\n3,"x\ny"\n4,5,6\n')
    with pytest.raises(DataError, match=r"bad\.csv line 6: 3 cells, but there are 2 columns"):
        _parse(path, CsvDialect())


def test_unbalanced_quote_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", 'a,b\n1,2\n3,"open\n')
    with pytest.raises(DataError, match=r"bad\.csv line 3: malformed CSV"):
        _parse(path, CsvDialect())


def test_header_problems_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="appears twice"):
        read_header(_write(tmp_path / "a.csv", "a,b,a\n"), CsvDialect())
    with pytest.raises(DataError, match="column 2 of the header has no name"):
        read_header(_write(tmp_path / "b.csv", "a,,c\n"), CsvDialect())
    with pytest.raises(DataError, match="is empty"):
        read_header(_write(tmp_path / "c.csv", ""), CsvDialect())
    headerless = CsvDialect(header=False, column_names=["a"])
    with pytest.raises(DataError, match="first row has 2 cells"):
        read_header(_write(tmp_path / "d.csv", "1,2\n"), headerless)


def test_read_header_of_a_directory_requires_one_header(tmp_path: Path) -> None:
    _write(tmp_path / "1.csv", "a,b\n1,2\n")
    _write(tmp_path / "2.csv", "a, b\n3,4\n")
    assert read_header(tmp_path, CsvDialect()) == ["a", "b"]
    _write(tmp_path / "3.csv", "a,c\n3,4\n")
    with pytest.raises(DataError, match="different columns"):
        read_header(tmp_path, CsvDialect())
    with pytest.raises(DataError, match="does not exist"):
        read_header(tmp_path / "nope", CsvDialect())


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["1", "-2", "+3"], "int"),
        (["1", "2.5", "1e3"], "float"),
        (["1", "x"], "string"),
        (["1_000"], "string"),
        (["99999999999999999999"], "float"),  # beyond int64
    ],
)
def test_value_kinds_widen_per_column(values: list[str], kind: str) -> None:
    assert executor.infer_column_types([{"c": v} for v in values], ["c"]) == {"c": kind}


def test_int_column_with_missing_cells_stays_int(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", "n,f,s,empty\n1,1.5,a,\n,2,b,\n3,,c,NA\n")
    rows = _parse(path, CsvDialect())
    types = executor.infer_column_types(rows, ["n", "f", "s", "empty"])
    assert types == {"n": "int", "f": "float", "s": "string", "empty": "string"}
    example = executor.to_example(rows[1], types)
    assert list(example.features.feature["f"].float_list.value) == [2.0]
    assert list(example.features.feature["s"].bytes_list.value) == [b"b"]
    assert "n" not in example.features.feature
    first = executor.to_example(rows[0], types)
    assert list(first.features.feature["n"].int64_list.value) == [1]


def test_combine_fn_agrees_with_the_plain_function() -> None:
    rows = [{"a": "1", "b": "x"}, {"a": "2.5"}, {"b": "3"}]
    fn = executor.ColumnTypesFn(["a", "b", "c"])
    halves = [fn.add_input(fn.create_accumulator(), row) for row in rows]
    combined = fn.extract_output(fn.merge_accumulators(halves))
    assert combined == executor.infer_column_types(rows, ["a", "b", "c"])
    assert combined == {"a": "float", "b": "string", "c": "string"}


def test_beam_run_writes_split_examples(tmp_path: Path) -> None:
    """One real run of Do: 30 rows, '?' cells absent, hash buckets train 2 / eval 1."""
    import tensorflow as tf
    from tfx.proto import example_gen_pb2
    from tfx.types import artifact_utils, standard_artifacts
    from tfx.utils import proto_utils

    data = tmp_path / "data"
    data.mkdir()
    lines = ["id; arr delay (min); name"]
    lines += [f"{i}; {'?' if i % 5 == 0 else i * 1.5}; n{i}" for i in range(30)]
    (data / "rows.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    dialect = CsvDialect(delimiter=";", missing_values=["", "?"])
    output_config = example_gen_pb2.Output(
        split_config=example_gen_pb2.SplitConfig(
            splits=[
                example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
                example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1),
            ]
        )
    )
    input_config = example_gen_pb2.Input(
        splits=[example_gen_pb2.Input.Split(name="single_split", pattern="*")]
    )
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "out")
    examples.split_names = artifact_utils.encode_split_names(["train", "eval"])
    exec_properties = {
        "input_base": str(data),
        "input_config": proto_utils.proto_to_json(input_config),
        "output_config": proto_utils.proto_to_json(output_config),
        "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
        "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
        "csv_dialect": json.dumps(dialect.model_dump(mode="json")),
        "code_fingerprint": "0123456789abcdef",
        "column_types": json.dumps({"name": "string", "id": "string"}),  # id: declared, wins
    }
    executor.Executor().Do({}, {"examples": [examples]}, exec_properties)

    assert artifact_utils.decode_split_names(examples.split_names) == ["train", "eval"]
    parsed: dict[str, list[tf.train.Example]] = {}
    for split in ("train", "eval"):
        files = tf.io.gfile.glob(str(tmp_path / "out" / f"Split-{split}" / "*.gz"))
        records = tf.data.TFRecordDataset(files, compression_type="GZIP")
        parsed[split] = [tf.train.Example.FromString(r.numpy()) for r in records]
    assert all(parsed.values()), "both splits hold examples"
    everything = [e for split in parsed.values() for e in split]
    assert len(everything) == 30
    by_id = {
        int(e.features.feature["id"].bytes_list.value[0]): e.features.feature for e in everything
    }
    assert sorted(by_id) == list(range(30))  # "0".."29" as strings: the declaration won
    assert "arr_delay__min_" not in by_id[5]  # '?' is missing: the feature is absent
    assert list(by_id[3]["arr_delay__min_"].float_list.value) == [4.5]
    assert list(by_id[3]["name"].bytes_list.value) == [b"n3"]


def test_files_are_streamed_row_by_row(tmp_path: Path, monkeypatch) -> None:
    """Beam gets rows one at a time: a big file is never held as one text or row list."""
    path = _write(tmp_path / "big.csv", "a,b\n" + "1,x\n" * 200_000)
    reads: list[int] = []
    real_open = executor.fileio.open

    def counting_open(name: str, mode: str = "r"):
        handle = real_open(name, mode)
        original = handle.read

        def read(size: int = -1) -> bytes:
            data = original(size)
            reads.append(len(data))
            return data

        handle.read = read
        return handle

    monkeypatch.setattr(executor.fileio, "open", counting_open)
    rows = executor.iter_file(path, CsvDialect(), ["a", "b"])
    assert next(rows) == {"a": "1", "b": "x"}
    assert max(reads, default=0) < 1_000_000 > sum(reads)  # ~1.6 MB file: one buffer read


def test_undecodable_byte_deep_in_a_file_names_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"a,b\n" + b"1,x\n" * 5000 + b"2,caf\xe9\n")
    with pytest.raises(DataError, match=r"a\.csv line 5002: not valid utf-8 at byte 20009"):
        list(executor.iter_file(str(path), CsvDialect(), ["a", "b"]))


def test_declared_types_win_over_what_values_look_like() -> None:
    inferred = executor.infer_column_types([{"code": "01", "x": "2"}], ["code", "x", "y"])
    assert inferred == {"code": "int", "x": "int", "y": "string"}
    declared = executor.with_declared(inferred, {"code": "string", "x": "float", "gone": "int"})
    assert declared == {"code": "string", "x": "float", "y": "string"}
    example = executor.to_example({"code": "01", "x": "2"}, declared)
    assert example.features.feature["code"].bytes_list.value == [b"01"]  # the zero stays
    assert example.features.feature["x"].float_list.value == [2.0]


@pytest.mark.parametrize(("kind", "value"), [("int", "2.5"), ("int", "n/a"), ("float", "abc")])
def test_a_value_its_declared_type_cannot_hold_names_the_column(kind: str, value: str) -> None:
    with pytest.raises(DataError, match=f"column 'tally' is declared {kind} but holds"):
        executor.to_example({"tally": value}, {"tally": kind})
