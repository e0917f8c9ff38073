"""``data.pattern`` selects the same files as TFX's ExampleGen: a parity test against TFX's own
span/version resolver (``example_gen.utils``) on the same trees, and TFX's refusals refused."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from tfxkit.data import spans
from tfxkit.data.csv_dialect import input_files
from tfxkit.errors import DataError

TREES = {
    "spans": ["span-1/a.csv", "span-2/a.csv", "span-2/b.csv", "span-10/a.csv", "other/x.csv"],
    "padded": ["span-01/a.csv", "span-02/a.csv", "span-03/a.csv", "span-03/b.csv"],
    "versions": ["s1/v1/a.csv", "s2/v1/a.csv", "s2/v3/a.csv", "s2/v2/a.csv", "s2/v3/b.csv"],
    "flat": ["data-1-v1.csv", "data-2-v1.csv", "data-2-v2.csv", "data-2-v10.csv"],
    "dates": ["2024-01-31/a.csv", "2024-02-01/a.csv", "2023-12-31/a.csv"],
    "dates_versions": ["2024-02-01/v1/a.csv", "2024-02-01/v2/a.csv", "2024-01-01/v9/a.csv"],
}
PATTERNS = [
    ("spans", "span-{SPAN}/*.csv"),
    ("spans", "span-{SPAN}/a.csv"),
    ("padded", "span-{SPAN:2}/*.csv"),  # was refused by tfxkit's own matching before 0.2
    ("padded", "span-{SPAN:2}/a.csv"),
    ("versions", "s{SPAN}/v{VERSION}/*.csv"),
    ("versions", "s{SPAN:1}/v{VERSION:1}/a.csv"),
    ("flat", "data-{SPAN}-v{VERSION}.csv"),
    ("dates", "{YYYY}-{MM}-{DD}/*.csv"),
    ("dates_versions", "{YYYY}-{MM}-{DD}/v{VERSION}/*.csv"),
    ("spans", "span-2/*.csv"),
    ("spans", "*/a.csv"),
]
REFUSED = [
    "v{VERSION}/*.csv",
    "s{SPAN}/{SPAN}.csv",
    "{SPAN}-{YYYY}-{MM}-{DD}.csv",
    "{YYYY}-{MM}.csv",
]


def _tree(root: Path, files: list[str]) -> Path:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n1\n")
    return root


def _tfx_files(root: Path, pattern: str) -> list[Path]:
    from tfx.components.example_gen import utils
    from tfx.proto import example_gen_pb2

    split = example_gen_pb2.Input.Split(name="single_split", pattern=pattern)
    utils.calculate_splits_fingerprint_span_and_version(str(root), [split])
    return sorted(Path(p) for p in glob.glob(os.path.join(str(root), split.pattern)))


@pytest.mark.parametrize(("tree", "pattern"), PATTERNS)
def test_the_same_files_as_tfx(tmp_path: Path, tree: str, pattern: str) -> None:
    root = _tree(tmp_path, TREES[tree])
    expected = _tfx_files(root, pattern)
    assert expected, "the case must select something"
    assert spans.select(root, pattern) == expected
    assert input_files(root, pattern) == expected


@pytest.mark.parametrize("pattern", REFUSED)
def test_patterns_tfx_refuses_are_refused_with_a_reason(tmp_path: Path, pattern: str) -> None:
    root = _tree(tmp_path, ["v1/a.csv", "s1/1.csv", "1-2024-01-01.csv", "2024-01.csv"])
    with pytest.raises(ValueError):
        _tfx_files(root, pattern)
    with pytest.raises(DataError, match="data.pattern: "):
        input_files(root, pattern)


def test_no_match_is_an_empty_list(tmp_path: Path) -> None:
    assert input_files(_tree(tmp_path, ["a.csv"]), "span-{SPAN}/*.csv") == []
