"""JsonlExampleGen executor and the JSON lines rules it shares with the pre-run check: typed
columns, missing values, declared types, deterministic splits, one error per bad line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tensorflow as tf

from tfxkit.components.jsonl_example_gen import executor
from tfxkit.config.pipeline_config import validate_config
from tfxkit.data import jsonl
from tfxkit.data.checks import check_local_data
from tfxkit.errors import DataError

ROWS = [
    {"review": "Great taste", "stars": 5, "price": 3, "score": "great", "meta id": 1},
    {"review": "stale", "stars": 1, "price": 2.5, "score": "other", "meta id": 2},
    {"review": None, "stars": 3, "price": 4, "score": "other", "meta id": 3},
    {"review": "", "stars": 4, "score": "great", "meta id": 4, "flag": True},
]


def _write(folder: Path, rows: list, name: str = "reviews.jsonl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    (folder / name).write_text("\n".join(lines) + "\n\n")  # a trailing blank line is skipped
    return folder


def _config(folder: Path, **extra) -> object:
    return validate_config(
        {
            "name": "reviews",
            "data": {"path": str(folder), "format": "jsonl"},
            "features": [
                {"name": "review", "type": "string", "transform": "text"},
                {"name": "stars", "type": "float", "transform": "zscore"},
            ],
            "label": {"name": "score"},
            "evaluation": {"bless": "always"},
            **extra,
        }
    )


def test_lines_become_rows_with_feature_keys_and_missing_values_left_out() -> None:
    lines = [json.dumps(r).encode() for r in ROWS] + [b"   "]
    rows = dict(jsonl.iter_lines(lines, "f.jsonl"))
    assert sorted(rows) == [1, 2, 3, 4]  # the blank line 5 is skipped
    assert rows[1] == {"review": "Great taste", "stars": 5, "price": 3, "score": "great",
                       "meta_id": 1}  # fmt: skip
    assert "review" not in rows[3] and "review" not in rows[4]  # null and "" are missing
    types = jsonl.kinds_of(jsonl.widen(jsonl.widen(jsonl.widen({}, rows[1]), rows[2]), rows[4]))
    assert types == {"review": "string", "stars": "int", "price": "float", "score": "string",
                     "meta_id": "int", "flag": "int"}  # fmt: skip


def test_examples_take_the_column_types_and_declared_types_win() -> None:
    types = {"stars": "float", "review": "string", "n": "int", "code": "string", "flag": "int"}
    row = {"stars": 5, "review": "ok", "n": 2.0, "code": 7, "flag": True}
    features = executor.to_example(("f line 1", row), types).features.feature
    assert features["stars"].float_list.value == [5.0]
    assert features["n"].int64_list.value == [2]
    assert features["code"].bytes_list.value == [b"7"]  # a number in a string column
    assert features["flag"].int64_list.value == [1]
    with pytest.raises(DataError, match="f line 9: field 'stars' is declared float but holds"):
        executor.to_example(("f line 9", {"stars": "five"}), types)
    with pytest.raises(DataError, match=r"declared int but holds 2.5; .* declare .* float"):
        executor.to_example(("f line 9", {"n": 2.5}), types)


def _do(folder: Path, out: Path) -> dict[str, list[dict]]:
    from tfx.proto import example_gen_pb2
    from tfx.types import artifact_utils, standard_artifacts
    from tfx.utils import proto_utils

    split_config = example_gen_pb2.SplitConfig(
        splits=[
            example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
            example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1),
        ]
    )
    examples = standard_artifacts.Examples()
    examples.uri = str(out)
    examples.split_names = artifact_utils.encode_split_names(["train", "eval"])
    input_config = example_gen_pb2.Input(
        splits=[example_gen_pb2.Input.Split(name="single_split", pattern="*")]
    )
    executor.Executor().Do(
        {},
        {"examples": [examples]},
        {
            "input_base": str(folder),
            "input_config": proto_utils.proto_to_json(input_config),
            "output_config": proto_utils.proto_to_json(
                example_gen_pb2.Output(split_config=split_config)
            ),
            "output_data_format": example_gen_pb2.FORMAT_TF_EXAMPLE,
            "output_file_format": example_gen_pb2.FORMAT_TFRECORDS_GZIP,
            "code_fingerprint": "0123456789abcdef",
            "column_types": json.dumps({"stars": "float"}),
        },
    )
    parsed = {}
    for split in ("train", "eval"):
        files = tf.io.gfile.glob(str(out / f"Split-{split}" / "*.gz"))
        records = tf.data.TFRecordDataset(files, compression_type="GZIP")
        parsed[split] = [
            {k: v for k, v in tf.train.Example.FromString(r.numpy()).features.feature.items()}
            for r in records
        ]
    return parsed


def test_beam_run_types_columns_over_the_split_and_splits_the_same_each_time(
    tmp_path: Path,
) -> None:
    rows = [{"review": f"review {i}", "stars": i % 5, "price": i / 2, "score": "great"}
            for i in range(40)]  # fmt: skip
    folder = _write(tmp_path / "data", rows)
    first, second = _do(folder, tmp_path / "out1"), _do(folder, tmp_path / "out2")
    everything = [e for split in first.values() for e in split]
    assert len(everything) == 40 and all(first.values())
    for example in everything:
        assert example["stars"].HasField("float_list")  # declared float
        assert example["price"].HasField("float_list")  # 0, 0.5, 1: widened to float
        assert example["review"].HasField("bytes_list")

    def reviews(split):
        return {s: sorted(e["review"].bytes_list.value[0] for e in split[s]) for s in split}

    assert reviews(first) == reviews(second)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"review": "ok", "score": ', r"line 3: not JSON \(Expecting value at column 26"),
        ('["a list"]', r"line 3: a JSON list, not an object"),
        ('{"review": ["a", "b"], "score": "x"}', r"line 3: field 'review' holds a JSON list"),
        ('{"review": {"t": 1}, "score": "x"}', r"line 3: field 'review' holds a JSON object"),
        ('{"a b": 1, "a_b": 2, "score": "x"}', r"line 3: fields 'a b' and 'a_b' both map"),
        ('{"review": "x", "stars": "many", "score": "x"}', r"line 3: field 'stars' is declared"),
    ],
    ids=["broken", "list-line", "list-field", "object-field", "key-clash", "declared-type"],
)
def test_pre_run_check_and_executor_name_the_file_and_line(
    tmp_path: Path, line: str, message: str
) -> None:
    folder = _write(tmp_path / "data", [ROWS[0], ROWS[1], line])
    with pytest.raises(DataError, match=rf"reviews\.jsonl {message}"):
        check_local_data(_config(folder))
    if "declared" not in message:  # the executor's parse: the same error
        with pytest.raises(DataError, match=message):
            list(executor.iter_file(str(folder / "reviews.jsonl")))


def test_pre_run_check_non_utf8_empty_file_absent_column_and_one_label(tmp_path: Path) -> None:
    bad = tmp_path / "latin1"
    bad.mkdir()
    (bad / "r.jsonl").write_bytes('{"review": "caf\xe9"}\n'.encode("latin-1"))
    with pytest.raises(DataError, match=r"r\.jsonl line 1: not UTF-8 \(byte 0xe9"):
        check_local_data(_config(bad))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "r.jsonl").write_text("\n\n")
    with pytest.raises(DataError, match=r"r\.jsonl: no JSON object"):
        check_local_data(_config(empty))
    absent = _write(tmp_path / "absent", [{"text": "x", "stars": 1, "score": "a"}])
    with pytest.raises(DataError, match=r"columns \['review'\] are configured but no line"):
        check_local_data(_config(absent))
    one = _write(tmp_path / "one", [{"review": "x", "stars": 1, "score": "a"}] * 3)
    with pytest.raises(DataError, match=r"label 'score' has one value only \(\['a'\]\)"):
        check_local_data(_config(one))
    check_local_data(_config(_write(tmp_path / "good", ROWS)))  # and good lines pass
