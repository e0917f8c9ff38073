"""ExampleGen's input fingerprint is the data's content (issue 31: `touch` on unchanged data
re-ran every node and pushed the same model as a new version)."""

from __future__ import annotations

import os
from pathlib import Path

from tfx.proto import example_gen_pb2

from tfxkit.components.content_fingerprint import ContentInputProcessor, content_fingerprint


def _fingerprint(base: Path, pattern: str = "*") -> tuple[str, int]:
    split = example_gen_pb2.Input.Split(name="single_split", pattern=pattern)
    processor = ContentInputProcessor(str(base), [split])
    span, _ = processor.resolve_span_and_version()
    return processor.get_input_fingerprint(span, None), span


def test_touch_keeps_the_fingerprint_a_changed_value_does_not(tmp_path: Path) -> None:
    data = tmp_path / "a.csv"
    data.write_text("x,y\n1,2\n")
    before, _ = _fingerprint(tmp_path)
    os.utime(data, (1, 1))  # what `touch`, a checkout or a copy does
    assert _fingerprint(tmp_path)[0] == before
    data.write_text("x,y\n1,3\n")  # same size, another value
    assert _fingerprint(tmp_path)[0] != before


def test_the_latest_span_is_fingerprinted_as_tfx_resolves_it(tmp_path: Path) -> None:
    for span, value in (("01", "1"), ("02", "2")):
        (tmp_path / f"span-{span}").mkdir()
        (tmp_path / f"span-{span}" / "a.csv").write_text(f"x\n{value}\n")
    fingerprint, span = _fingerprint(tmp_path, "span-{SPAN:2}/*.csv")
    assert span == 2
    assert fingerprint == content_fingerprint("single_split", str(tmp_path), "span-02/*.csv")
    (tmp_path / "span-01" / "a.csv").write_text("x\n9\n")  # an older span: not read
    assert _fingerprint(tmp_path, "span-{SPAN:2}/*.csv")[0] == fingerprint


def test_renaming_a_file_changes_it(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    before, _ = _fingerprint(tmp_path)
    (tmp_path / "a.csv").rename(tmp_path / "b.csv")
    assert _fingerprint(tmp_path)[0] != before
