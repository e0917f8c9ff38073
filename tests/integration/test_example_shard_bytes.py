"""ExampleGen's shard files are a function of the data alone (issue 27 item 1): the CSV and
Parquet ExampleGens, run in separate processes with other hash seeds, Beam in_memory vs
multi_processing with 2 workers, and the input files listed in the other order, write the same
file names with byte-identical contents. Caching and re-runs rely on it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.integration.test_split_determinism import _probe, _write_formats
from tests.paths import PENGUIN_DATA

pytestmark = pytest.mark.slow


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.gz"))}


def test_shard_files_are_byte_identical_across_modes_seeds_and_file_order(tmp_path: Path) -> None:
    with open(next(PENGUIN_DATA.glob("*.csv"))) as handle:
        rows = [r for r in csv.DictReader(handle) if all(v != "NA" for v in r.values())]
    forward = _write_formats(tmp_path / "forward", rows, ("a", "b"))
    backward = _write_formats(tmp_path / "backward", rows, ("b", "a"))
    _probe(forward, tmp_path / "one", "in_memory", "1")
    _probe(backward, tmp_path / "two", "multi_processing", "2")
    for fmt in ("csv", "parquet"):  # tfrecord: split_probe runs TFX's own ImportExampleGen
        one, two = _files(tmp_path / "one" / fmt), _files(tmp_path / "two" / fmt)
        assert len([name for name in one if "Split-train" in name]) >= 2, sorted(one)
        assert one.keys() == two.keys(), fmt
        different = [name for name in one if one[name] != two[name]]
        assert not different, (fmt, different)
