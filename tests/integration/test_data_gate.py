"""Bad data stops the pipeline before Transform: a corrupted column and a drifted span.

One workspace, in order: a good first run (its schema becomes the reference), then new data
whose island column is entirely an unseen value, then new data whose bill length drifted past
its configured bound, then the good data again with logged serving requests skewed to one
island. Each bad run exits 2 with a table naming split, feature and anomaly,
trains and pushes nothing, and keeps its anomalies in ML Metadata and the summary JSON.
"""

from __future__ import annotations

import csv
import json
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


def _data(target: Path, change=None) -> Path:
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
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

    def run(name: str, data: Path) -> dict:
        summary = base / f"{name}.json"
        result = run_pipeline(base / "ws", config=config, data=data, summary=summary)
        return {"result": result, "summary": json.loads(summary.read_text())}

    runs = {"good": run("good", _data(base / "good"))}
    runs["mars"] = run("mars", _data(base / "mars", lambda r: r.update(island="Mars")))
    longer = _data(
        base / "longer", lambda r: r.update(bill_length_mm=str(float(r["bill_length_mm"]) + 15))
    )
    runs["drift"] = run("drift", longer)
    # Logged serving requests (no label) that lean to one island: skew against training.
    logs = base / "logs"
    logs.mkdir()
    (logs / "requests.csv").write_text(
        "island,bill_length_mm,flipper_length_mm\n" + "Torgersen,40.1,190\n" * 50
    )
    skewed = base / "skewed.yaml"
    skewed.write_text(CONFIG + f"  serving_data: {logs}\n  skew: {{island: 0.3}}\n")
    summary = base / "skew.json"
    result = run_pipeline(base / "ws", config=skewed, data=base / "good", summary=summary)
    runs["skew"] = {"result": result, "summary": json.loads(summary.read_text())}
    return {"base": base, **runs}


def test_the_first_run_passes_and_pushes(gated: dict) -> None:
    assert gated["good"]["result"].returncode == 0, gated["good"]["result"].stderr[-2000:]
    assert gated["good"]["summary"]["anomalies"] == []
    assert versions(gated["base"] / "ws" / "serving" / "gated") == [1]


@pytest.mark.parametrize(
    ("run", "feature", "anomaly"),
    [
        ("mars", "island", "ENUM_TYPE_UNEXPECTED_STRING_VALUES"),
        ("drift", "bill_length_mm", "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH"),
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
    assert versions(gated["base"] / "ws" / "serving" / "gated") == [1]


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
