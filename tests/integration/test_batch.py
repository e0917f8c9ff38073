"""Batch scoring end to end (issue 30 #6): a binary pipeline that scores a batch after its push,
then ``tfxkit predict`` with the pushed version, compared with the served model's REST answers.

One pipeline run (label.positive: Gentoo, so the binary output contract is the one exercised):
the batch stage scores the planted file with the model just pushed; ``tfxkit predict`` on the
same file with that version writes the same bytes; every scored row equals ``tfxkit serve``'s
``:predict`` answer for it (classes, class_names, probabilities within 1e-6); rows in = rows
out + rejected, the planted bad rows in rejects.csv with their lines.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.paths import PENGUIN_DATA
from tests.pipeline_runs import run_pipeline
from tfxkit import cli

pytestmark = pytest.mark.slow

NUMBERS = ("bill_length_mm", "flipper_length_mm", "body_mass_g")
STRINGS = ("island", "sex")
CONFIG = """\
name: gentoo
data: {{path: {data}}}
features:
  - {{name: bill_length_mm, type: float, transform: zscore}}
  - {{name: flipper_length_mm, type: int, transform: zscore}}
  - {{name: body_mass_g, type: int, transform: zscore}}
  - {{name: island, type: string, transform: vocabulary}}
  - {{name: sex, type: string, transform: vocabulary}}
label: {{name: species, task: binary, positive: Gentoo}}
training: {{train_steps: 150}}
evaluation: {{thresholds: {{AUC: {{lower_bound: 0.6}}}}}}
batch: {{data: {batch}, pass_through: [id], output: {published}}}
"""
# Line numbers (the header is line 1): what rejects.csv must name, and why.
PLANTED = {
    5: "column 'bill_length_mm' holds 'long', not a number",
    9: "3 cells, but the header names 8 columns",
    12: "column 'flipper_length_mm' holds '181.5', not an integer",
    15: "9 cells, but the header names 8 columns",
}


def _batch(path: Path) -> tuple[Path, int]:
    """The penguins with an id column, and the planted rows at their lines; rows in."""
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:41]
    lines = [",".join(["id", *header])]
    for i, row in enumerate(body):
        lines.append(",".join([f"p{i}", *row]))
    planted = {
        5: "x5,Adelie,Dream,long,18,190,3800,male",
        9: "x9,Adelie,Dream",
        12: "x12,Gentoo,Biscoe,47,15,181.5,5000,female",
        15: "x15,Gentoo,Biscoe,47,15,210,5000,female,extra",
    }
    for line in sorted(planted):
        lines.insert(line - 1, planted[line])
    folder = path / "batch"
    folder.mkdir()
    (folder / "penguins-batch.csv").write_text("\n".join(lines) + "\n")
    return folder, len(lines) - 1


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("batch-run")
    batch, rows_in = _batch(root)
    config = root / "gentoo.yaml"
    config.write_text(CONFIG.format(data=PENGUIN_DATA, batch=batch, published=root / "published"))
    summary = root / "summary.json"
    result = run_pipeline(root / "ws", config=config, data=None, summary=summary)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {
        "root": root,
        "config": config,
        "batch": batch,
        "rows_in": rows_in,
        "stdout": result.stdout,
        "summary": json.loads(summary.read_text()),
    }


def _read(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_the_stage_scores_the_batch_with_the_model_just_pushed(run: dict) -> None:
    summary = run["summary"]
    assert summary["blessed"] is True, summary["blessing_failures"]
    verdict = summary["verdicts"]["batch_scorer"]
    assert verdict["model_version"] == 1 and verdict["rows_in"] == run["rows_in"]
    assert verdict["rows_in"] == verdict["rows_out"] + verdict["rejected"]
    assert verdict["rejected"] == len(PLANTED)
    assert "scored:" in run["stdout"] and "4 rejected" in run["stdout"]
    published = run["root"] / "published"
    rejects = _read(published / "rejects.csv")
    assert {int(r["line"]): r["reason"] for r in rejects} == PLANTED
    scored = _read(published / "predictions.csv")
    assert len(scored) == verdict["rows_out"]
    assert list(scored[0]) == [
        "id", "classes", "probability_not Gentoo", "probability_Gentoo", "model_version"
    ]  # fmt: skip
    assert (Path(verdict["output"]) / "predictions.csv").read_bytes() == (
        published / "predictions.csv"
    ).read_bytes()


@pytest.fixture(scope="module")
def predicted(run: dict) -> Path:
    out = run["root"] / "predict-out"
    args = ["predict", "-c", str(run["config"]), "--set", f"workspace={run['root'] / 'ws'}"]
    args += ["--data", str(run["batch"]), "--out", str(out), "--version", "stable"]
    assert cli.main(args) == 0
    return out


def test_predict_writes_what_the_stage_wrote_and_the_same_again(run: dict, predicted) -> None:
    published = run["root"] / "published"
    for name in ("predictions.csv", "rejects.csv"):
        assert (predicted / name).read_bytes() == (published / name).read_bytes(), name
    first = (predicted / "predictions.csv").read_bytes()
    args = ["predict", "-c", str(run["config"]), "--set", f"workspace={run['root'] / 'ws'}"]
    assert cli.main([*args, "--data", str(run["batch"]), "--out", str(predicted)]) == 0
    assert (predicted / "predictions.csv").read_bytes() == first


def _instance(row: dict[str, str]) -> dict:
    """The REST instance of a batch row: numbers as floats (NaN missing), strings ("" missing)."""
    out: dict = {k: float(row[k]) if row[k] not in ("", "NA") else math.nan for k in NUMBERS}
    return {**out, **{k: row[k] if row[k] != "NA" else "" for k in STRINGS}}


def test_predict_equals_the_served_models_rest_answers(run: dict, predicted) -> None:
    from tfxkit.serving import Client
    from tfxkit.serving.server import EmbeddedServer

    scored = {r["id"]: r for r in _read(predicted / "predictions.csv")}
    inputs = [r for r in _read(run["batch"] / "penguins-batch.csv") if r["id"] in scored]
    assert len(inputs) == len(scored)
    base = run["root"] / "ws" / "serving"
    with EmbeddedServer(str(base), rest_port=0, grpc_port=0, poll_seconds=30) as server:
        client = Client("127.0.0.1", server.rest_port, server.grpc_port, timeout=60)
        answers = client.predict("gentoo", [_instance(r) for r in inputs], label="stable")
    for row, answer in zip(inputs, answers, strict=True):
        mine = scored[row["id"]]
        assert answer["class_names"] == ["not Gentoo", "Gentoo"]
        assert mine["classes"] == answer["classes"]
        batch = [float(mine[f"probability_{name}"]) for name in answer["class_names"]]
        assert np.abs(np.array(batch) - answer["probabilities"]).max() < 1e-6


def test_an_unknown_version_or_a_missing_column_writes_nothing(run: dict, capsys) -> None:
    args = ["predict", "-c", str(run["config"]), "--set", f"workspace={run['root'] / 'ws'}"]
    out = run["root"] / "refused"
    assert cli.main([*args, "--data", str(run["batch"]), "--out", str(out), "--version", "5"]) == 2
    assert "model 'gentoo' has no version 5" in capsys.readouterr().err
    narrow = run["root"] / "narrow.csv"
    narrow.write_text("id,island,sex\n1,Dream,male\n")
    assert cli.main([*args, "--data", str(narrow), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "has no columns 'bill_length_mm', 'body_mass_g', 'flipper_length_mm'" in err
    assert not out.exists()
