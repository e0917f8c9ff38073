"""The bad-input corpus (``tests/data/bad/<case>/case.yaml``): each case must exit 2 with a
message naming the culprit, and train and push nothing.

A case brings its data as files (``data/``), as an edit of the penguin table (``penguins:``), or
as a generated image tree (``images:``, tiny PNGs written by Pillow, then ``edits``: a truncated
file, a text file, an empty folder...); and its own config (``config:``, with ``DATA`` for the
data's path) where the penguin config (``BASE_CONFIG``) does not fit, e.g. images or text.

Most cases are caught before any component starts (seconds; run in-process). The cases whose
``expect.stage`` is a gate (``anomaly_gate``, ``leakage_gate``) need the ingested data, so they
run the pipeline up to that gate (marked slow). The "Bad input" table of
docs/data-validation.md lists every case.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.paths import PENGUIN_DATA, REPO
from tests.pipeline_runs import executions, run_pipeline

CASES = REPO / "tests" / "data" / "bad"
GATES = ("anomaly_gate", "leakage_gate")  # stages that need a pipeline run up to them
BASE_CONFIG = """\
name: bad
data: {path: DATA}
features:
  - {name: bill_length_mm, type: float, transform: zscore}
  - {name: flipper_length_mm, type: int, transform: zscore}
  - {name: island, type: string, transform: vocabulary}
label: {name: species}
evaluation: {thresholds: {SparseCategoricalAccuracy: {lower_bound: 0.5}}}
training: {train_steps: 20}
"""


def _cases() -> list:
    params = []
    for path in sorted(CASES.glob("*/case.yaml")):
        case = yaml.safe_load(path.read_text())
        marks = [pytest.mark.slow] if case["expect"]["stage"] in GATES else []
        params.append(pytest.param(path.parent, case, id=path.parent.name, marks=marks))
    return params


def _penguins(target: Path, edit: dict) -> None:
    """The repo's penguin data with one edit: set a column everywhere, one row, or add one;
    shift a numeric column; number the rows in a new id column; copy a column to a new one."""
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    for index, row in enumerate(rows):
        row.update(edit.get("set", {}))
        row.update(edit.get("add_column", {}))
        row.update({new: row[old] for new, old in edit.get("copy", {}).items()})
        if "row_ids" in edit:
            row[edit["row_ids"]] = f"p{index}"
        for column, delta in edit.get("shift", {}).items():
            if row[column] not in ("", "NA"):
                row[column] = str(float(row[column]) + delta)
        if "row" in edit and index == edit["row"]["index"]:
            row.update(edit["row"]["set"])
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with (target / "penguins.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _png(path: Path, size: list[int], seed: int) -> None:
    """A tiny grayscale PNG of random pixels (Pillow: the pre-run check's own decoder)."""
    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, size=size, dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode="L").save(path, format="PNG")


def _images(target: Path, spec: dict) -> None:
    """An image folder tree: ``classes`` (name -> count) of ``size`` PNGs, then ``edits``
    in order: ``png`` (one more, of ``size``), ``truncate`` (keep the first ``keep`` bytes),
    ``write`` (a file holding ``text``), ``mkdir`` (an empty folder)."""
    size = spec.get("size", [8, 8])
    for label, count in spec["classes"].items():
        for index in range(count):
            _png(target / label / f"{index}.png", size, seed=index)
    for edit in spec.get("edits", []):
        if "png" in edit:
            _png(target / edit["png"], edit.get("size", size), seed=99)
        elif "truncate" in edit:
            path = target / edit["truncate"]
            path.write_bytes(path.read_bytes()[: edit.get("keep", 60)])
        elif "write" in edit:
            (target / edit["write"]).write_text(edit["text"])
        elif "mkdir" in edit:
            (target / edit["mkdir"]).mkdir(parents=True)


def _prepare(case_dir: Path, case: dict, tmp_path: Path) -> tuple[Path, list[str]]:
    data = tmp_path / "data"
    if "penguins" in case:
        _penguins(data, case["penguins"])
    elif "images" in case:
        _images(data, case["images"])
    else:
        shutil.copytree(case_dir / "data", data)
    config = tmp_path / "config.yaml"
    config.write_text(case.get("config", BASE_CONFIG).replace("DATA", str(data)))
    overrides = [s.replace("CASES", str(CASES)) for s in case.get("set", [])]
    overrides.append(f"workspace={tmp_path / 'ws'}")
    return config, overrides


def test_the_corpus_has_at_least_twenty_cases_each_in_the_docs() -> None:
    assert len(_cases()) >= 41  # 29 table cases, 12 image and text cases (issue 23)
    page = (REPO / "docs" / "data-validation.md").read_text()
    for case in _cases():
        assert f"| `{case.id}` |" in page, (
            f"docs/data-validation.md's bad-input table lacks {case.id}"
        )


@pytest.mark.parametrize(("case_dir", "case"), _cases())
def test_bad_input_stops_the_run_naming_the_culprit(
    case_dir: Path, case: dict, tmp_path: Path, capsys
) -> None:
    config, overrides = _prepare(case_dir, case, tmp_path)
    expect = case["expect"]
    workspace = tmp_path / "ws"
    if expect["stage"] in GATES:
        summary = tmp_path / "summary.json"
        extra = [arg for o in overrides for arg in ("--set", o)]
        if case.get("baseline"):  # first an approved run on the clean data, then this data
            _penguins(tmp_path / "data", {})
            first = run_pipeline(workspace, *extra, config=config, data=None)
            assert first.returncode == 0, first.stderr[-3000:]
            _penguins(tmp_path / "data", case["penguins"])
        result = run_pipeline(workspace, *extra, config=config, data=None, summary=summary)
        code, message = result.returncode, result.stderr
        assert "Traceback" not in message
        report = json.loads(summary.read_text())
        assert report["failed_component"] == expect["stage"]
        ran = executions(workspace, "bad", report["run_id"])
        assert not {"transform", "trainer", "pusher"} & set(ran)
    else:
        from tfxkit import cli

        args = ["run", "-c", str(config), *[arg for o in overrides for arg in ("--set", o)]]
        code, message = cli.main(args), capsys.readouterr().err
        assert not (workspace / "bad").exists(), "a check before any component wrote nothing"
    assert code == expect["exit"], message
    # One error paragraph (a subprocess's stderr also carries TensorFlow's start-up lines).
    assert "\nerror: " in f"\n{message}" and "Traceback" not in message
    for part in expect["message"]:
        assert part in message, f"{case_dir.name}: {part!r} not in {message!r}"
    serving_model = workspace / "serving" / "bad"
    pushed_before = 1 if case.get("baseline") else 0  # the approved baseline run pushed one
    pushed = (
        [p for p in serving_model.iterdir() if p.name.isdigit()] if serving_model.exists() else []
    )
    assert len(pushed) == pushed_before, "the bad data's model was pushed"
