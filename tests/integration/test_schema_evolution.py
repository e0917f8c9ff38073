"""When the data changes: after an approved run, a new column, a renamed one (old name gone,
new name in its place) stop the next run at the anomaly gate with the way forward; `tfxkit
schema accept` shows the changes, records the acceptance in ML Metadata (who, when, why), and
the run after it validates against the accepted schema and trains on the new columns."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import PENGUIN_DATA, REPO
from tests.pipeline_runs import executions, run_pipeline

pytestmark = pytest.mark.slow

TFXKIT = str(Path(sys.executable).parent / "tfxkit")
_PICK = random.Random(5)
RENAMED = _PICK.choice(["mass (g)", "body-mass.g", "weight_grams"])  # body_mass_g's new name
CONFIG = """\
name: evolving
data: {{path: {data}}}
workspace: {workspace}
features:
{features}
label: {{name: species}}
training: {{train_steps: 30}}
evaluation: {{thresholds: {{SparseCategoricalAccuracy: {{lower_bound: 0.0}}}}}}
"""
BEFORE = ["island", "bill_length_mm", "body_mass_g"]
AFTER = ["island", "bill_length_mm", "bill_depth_mm", RENAMED]


def _write(base: Path, name: str, columns: list[str]) -> Path:
    """Penguin rows with ``columns`` (+ the label) as a config and its data folder."""
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = [{**r, RENAMED: r["body_mass_g"]} for r in csv.DictReader(handle)]
    data = base / f"data-{name}"
    data.mkdir()
    with (data / "penguins.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["species", *columns], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    features = "\n".join(
        f'  - {{name: "{c}", type: {"string" if c == "island" else "float"}, '
        f"transform: {'vocabulary' if c == 'island' else 'zscore'}}}"
        for c in columns
    )
    config = base / f"{name}.yaml"
    config.write_text(CONFIG.format(data=data, workspace=base / "ws", features=features))
    return config


def _tfxkit(*args: str) -> subprocess.CompletedProcess:
    env = {"TF_CPP_MIN_LOG_LEVEL": "2", "TFXKIT_USER": "schema-reviewer"}
    return subprocess.run(
        [TFXKIT, *args], capture_output=True, text=True, cwd=REPO, env={**os.environ, **env}
    )


def _run(base: Path, config: Path, tag: str) -> tuple[subprocess.CompletedProcess, dict]:
    summary = base / f"summary-{tag}.json"
    result = run_pipeline(base / "ws", pipeline=None, config=config, data=None, summary=summary)
    return result, json.loads(summary.read_text()) if summary.exists() else {}


@pytest.fixture(scope="module")
def evolved(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("evolving")
    before, after = _write(base, "before", BEFORE), _write(base, "after", AFTER)
    first, _ = _run(base, before, "first")
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-3000:]
    refused, _ = _run(base, after, "refused")
    preview = _tfxkit("schema", "accept", "-c", str(after))
    no_reason = _tfxkit("schema", "accept", "-c", str(after), "--yes")
    accepted = _tfxkit(
        "schema", "accept", "-c", str(after), "--yes", "--reason", "sensor v2 adds bill depth"
    )
    history = _tfxkit("schema", "history", "-c", str(after))
    final, summary = _run(base, after, "final")
    return {
        "base": base,
        "refused": refused,
        "preview": preview,
        "no_reason": no_reason,
        "accepted": accepted,
        "history": history,
        "final": final,
        "summary": summary,
    }


def test_new_and_renamed_columns_stop_the_run_naming_the_way_forward(evolved: dict) -> None:
    refused = evolved["refused"]
    text = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "SCHEMA_NEW_COLUMN" in text and "bill_depth_mm" in text
    assert "tfxkit schema accept" in text


def test_accept_previews_then_needs_a_reason_then_records(evolved: dict) -> None:
    preview = evolved["preview"]
    assert preview.returncode == 0, preview.stderr
    lines = preview.stdout
    assert "added    bill_depth_mm" in lines and "removed  body_mass_g" in lines, lines
    assert "nothing recorded" in lines
    assert evolved["no_reason"].returncode == 2
    assert "--reason" in evolved["no_reason"].stderr
    assert evolved["accepted"].returncode == 0, evolved["accepted"].stderr
    assert "accepted: the schema of record is now" in evolved["accepted"].stdout
    history = evolved["history"].stdout
    assert "schema-reviewer: sensor v2 adds bill depth" in history, history


def test_the_run_after_accepting_trains_on_the_new_columns(evolved: dict) -> None:
    final = evolved["final"]
    assert final.returncode == 0, final.stdout[-2000:] + final.stderr[-3000:]
    states = {
        n: e.state
        for n, e in executions(
            evolved["base"] / "ws", "evolving", evolved["summary"]["run_id"]
        ).items()
    }
    assert states["anomaly_gate"] == states["transform"] == states["trainer"] == "COMPLETE", states
    graphs = (evolved["base"] / "ws").glob(
        "evolving/**/transform_graph/*/transformed_metadata/schema.pbtxt"
    )
    schema_file = max(graphs, key=lambda p: int(p.parents[1].name), default=None)  # the newest
    assert schema_file is not None
    text = schema_file.read_text()
    assert "bill_depth_mm" in text and "body_mass_g" not in text
