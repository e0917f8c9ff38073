"""Bad data stops the pipeline before Transform: a corrupted column and a drifted span.

One workspace, in order: a good first run (its schema becomes the reference), then new data
whose island column is entirely an unseen value, then new data whose bill length drifted past
its configured bound, then new data whose flipper length is ten times larger (no bound
configured: the default drift check, issue 28), then a resample of the good data (no alarm),
then the good data again with logged serving requests skewed to one island. Each bad run exits
2 with a table naming split, feature and anomaly, trains and pushes nothing, and keeps its
anomalies in ML Metadata and the summary JSON.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from tests.paths import PENGUIN_DATA
from tests.pipeline_runs import executions, run_pipeline, versions

pytestmark = pytest.mark.slow

CONFIG = """\
name: gated
data: {path: DATA}
features:
  - {name: bill_length_mm, type: float, transform: zscore}
  - {name: flipper_length_mm, type: int, transform: zscore}
  - {name: island, type: string, transform: vocabulary}
label: {name: species}
training: {train_steps: 60}
evaluation: {thresholds: {SparseCategoricalAccuracy: {lower_bound: 0.5}}}
validation:
  drift: {bill_length_mm: 0.25}
"""


def _data(target: Path, change=None, resample: int | None = None) -> Path:
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    if resample is not None:  # a bootstrap resample: the same distribution, other rows
        rows = random.Random(resample).choices(rows, k=len(rows))
    for row in rows:
        if change:
            change(row)
    target.mkdir(parents=True)
    with (target / "penguins.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


@pytest.fixture(scope="module")
def gated(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("gated")
    config = base / "gated.yaml"
    config.write_text(CONFIG)

    def run(name: str, data: Path, with_config: Path = config) -> dict:
        summary = base / f"{name}.json"
        result = run_pipeline(base / "ws", config=with_config, data=data, summary=summary)
        pushed = versions(base / "ws" / "serving" / "gated")  # right after this run
        return {"result": result, "summary": json.loads(summary.read_text()), "pushed": pushed}

    runs = {"good": run("good", _data(base / "good"))}
    runs["mars"] = run("mars", _data(base / "mars", lambda r: r.update(island="Mars")))
    longer = _data(
        base / "longer", lambda r: r.update(bill_length_mm=str(float(r["bill_length_mm"]) + 15))
    )
    runs["drift"] = run("drift", longer)
    tenfold = _data(
        base / "tenfold",
        lambda r: r.update(flipper_length_mm=str(int(r["flipper_length_mm"]) * 10)),
    )
    runs["tenfold"] = run("tenfold", tenfold)
    # Logged serving requests (no label) that lean to one island: skew against training.
    logs = base / "logs"
    logs.mkdir()
    (logs / "requests.csv").write_text(
        "island,bill_length_mm,flipper_length_mm\n" + "Torgersen,40.1,190\n" * 50
    )
    skewed = base / "skewed.yaml"
    skewed.write_text(CONFIG + f"  serving_data: {logs}\n  skew: {{island: 0.3}}\n")
    runs["skew"] = run("skew", base / "good", skewed)
    # Last (it passes and pushes): other rows of the approved data, compared with it.
    runs["resample"] = run("resample", _data(base / "resample", resample=28))
    return {"base": base, **runs}


def test_the_first_run_passes_and_pushes(gated: dict) -> None:
    assert gated["good"]["result"].returncode == 0, gated["good"]["result"].stderr[-2000:]
    assert gated["good"]["summary"]["anomalies"] == []
    assert gated["good"]["pushed"] == [1]


@pytest.mark.parametrize(
    ("run", "feature", "anomaly"),
    [
        ("mars", "island", "ENUM_TYPE_UNEXPECTED_STRING_VALUES"),
        ("drift", "bill_length_mm", "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH"),
        ("tenfold", "flipper_length_mm", "DISTRIBUTION_DRIFT"),
        ("skew", "island", "COMPARATOR_L_INFTY_HIGH"),
    ],
)
def test_bad_data_stops_before_transform(gated: dict, run: str, feature: str, anomaly: str) -> None:
    result, summary = gated[run]["result"], gated[run]["summary"]
    assert result.returncode == 2, result.stdout[-1500:] + result.stderr[-1500:]
    assert "Traceback" not in result.stderr
    assert "data anomal" in result.stderr and "nothing was trained or pushed" in result.stderr
    row = next(line for line in result.stderr.splitlines() if feature in line)
    assert anomaly in row
    assert summary["failed_component"] == "anomaly_gate"
    assert {(a["feature"], a["anomaly"]) for a in summary["anomalies"]} >= {(feature, anomaly)}
    ran = executions(gated["base"] / "ws", "gated", summary["run_id"])
    assert "transform" not in ran and "trainer" not in ran and "pusher" not in ran
    assert ran["example_validator"].state in ("COMPLETE", "CACHED")
    assert ran["anomaly_gate"].state == "FAILED"
    assert gated[run]["pushed"] == [1]


def test_a_tenfold_feature_fails_by_default_naming_the_measure_and_the_fix(gated: dict) -> None:
    """Issue 28: with no drift bound configured, this run used to train, bless and push."""
    result, summary = gated["tenfold"]["result"], gated["tenfold"]["summary"]
    rows = [a for a in summary["anomalies"] if a["feature"] == "flipper_length_mm"]
    assert {a["split"] for a in rows} == {"train", "eval"}
    for row in rows:
        assert row["anomaly"] == "DISTRIBUTION_DRIFT"
        assert (
            row["description"].startswith("major shift: PSI ")
            and "KS 1.00 > " in row["description"]
        )
        assert "validation.severity: {flipper_length_mm: warn}" in row["description"]
    assert "vs the last approved run" in result.stderr
    assert {a["feature"] for a in summary["anomalies"]} == {"flipper_length_mm"}


def test_a_resample_of_the_approved_data_passes_and_pushes(gated: dict) -> None:
    """Other rows of the same distribution: no drift alarm, not even a warning."""
    result, summary = gated["resample"]["result"], gated["resample"]["summary"]
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-3000:]
    assert summary["anomalies"] == []
    assert "DISTRIBUTION_DRIFT" not in result.stdout + result.stderr
    assert gated["resample"]["pushed"] == [1, 2]


def test_schema_diff_and_freeze_use_the_last_approved_schema(
    gated: dict, tmp_path: Path, capsys
) -> None:
    from tfxkit import cli

    base = gated["base"]
    args = ["-c", str(base / "gated.yaml"), "--set", f"workspace={base / 'ws'}"]
    assert cli.main(["schema", "diff", *args, "--data", str(base / "mars")]) == 1
    assert "Mars" in capsys.readouterr().out
    assert cli.main(["schema", "diff", *args, "--data", str(base / "good")]) == 0
    frozen = tmp_path / "gated.pbtxt"
    assert cli.main(["schema", "freeze", *args, "-o", str(frozen)]) == 0
    assert "the last approved run" in capsys.readouterr().out
    assert 'name: "island"' in frozen.read_text()
