"""Messy data end to end: a minimal config (only the required keys) on a CSV with empty cells in
feature and non-feature columns and column names a CSV can hold but TF cannot (spaces, dashes
and dots, a leading digit, non-ASCII, a Python keyword; drawn from pools, not one dataset's).
It must run with every default, export, and serve rows with missing values by the data's own
column names on every endpoint (REST and gRPC predict, classify)."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from tests.paths import PENGUIN_DATA
from tests.pipeline_runs import executions, run_pipeline, versions

pytestmark = pytest.mark.slow

_PICK = random.Random(11)
# What a raw CSV header holds; every pool entry is a name TF's parameter rules refuse.
BILL = _PICK.choice(["bill length (mm)", "bill-length.mm", "bill length/mm"])
FLIPPER = _PICK.choice(["1st flipper-length", "2nd.flipper mm", "3 flipper"])
ISLAND = _PICK.choice(["class", "from", "lambda", "import", "def"])
SEX = _PICK.choice(["sexe é", "性别", "sex ♀/♂"])
CODE = _PICK.choice(["zone code", "site-code", "code.region"])  # "01".."05": declared string
RENAMED = {
    "bill_length_mm": BILL,
    "flipper_length_mm": FLIPPER,
    "island": ISLAND,
    "sex": SEX,
}

MINIMAL_CONFIG = f"""\
name: messy
data: {{path: DATA}}
features:
  - {{name: "{BILL}", type: float, transform: zscore}}
  - {{name: "{FLIPPER}", type: int, transform: zscore}}
  - {{name: "{ISLAND}", type: string, transform: vocabulary}}
  - {{name: "{SEX}", type: string, transform: vocabulary, missing: {{indicator: true}}}}
  - {{name: "{CODE}", type: string, transform: vocabulary}}
label: {{name: species}}
"""


def _messy_copy(target: Path) -> list[dict]:
    """Penguins with blanks in features and in an unused column, and a renamed column."""
    rng = random.Random(7)
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    rows = [{RENAMED.get(k, k): v for k, v in row.items()} for row in rows]
    for row in rows:
        row["notes"] = "" if rng.random() < 0.5 else "seen twice"  # unused, often empty
        row[CODE] = f"{rng.randint(1, 5):02d}"  # looks like an int; the config says string
        for column in (BILL, SEX, "body_mass_g"):
            if rng.random() < 0.1:
                row[column] = ""
        if rng.random() < 0.05:
            row["species"] = ""  # a missing label: weight 0, never a class of its own
    target.mkdir(parents=True)
    with (target / "penguins.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


@pytest.fixture(scope="module")
def messy_run(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("messy")
    rows = _messy_copy(base / "data")
    config = base / "messy.yaml"
    config.write_text(MINIMAL_CONFIG.replace("DATA", str(base / "data")))
    summary = base / "summary.json"
    result = run_pipeline(
        base / "ws",
        "--set",
        "training.train_steps=60",
        "--set",
        "evaluation.bless=always",
        config=config,
        data=None,
        summary=summary,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return {"base": base, "rows": rows, "summary": json.loads(summary.read_text())}


def test_minimal_config_runs_every_component(messy_run: dict) -> None:
    summary = messy_run["summary"]
    states = {
        n: e.state
        for n, e in executions(messy_run["base"] / "ws", "messy", summary["run_id"]).items()
    }
    assert states["trainer"] == states["evaluator"] == "COMPLETE", states
    assert summary["metrics"]["example_count"] > 50
    if summary["blessed"]:
        assert versions(messy_run["base"] / "ws" / "serving" / "messy") == [1]


def _rows_by_column_name() -> list[dict]:
    """Two serving rows keyed as the data's header; the first misses its number and string."""
    return [
        {BILL: float("nan"), FLIPPER: 190.0, ISLAND: "Dream", SEX: "", CODE: "03"},
        {BILL: 46.1, FLIPPER: 211.0, ISLAND: "", SEX: "female", CODE: "01"},
    ]


def test_signature_takes_the_data_s_column_names(messy_run: dict) -> None:
    """The SignatureDef (what TF Serving feeds by) lists the header's names, keyword and all."""
    from tfxkit.serving.models import _read_signature_defs

    inputs = _read_signature_defs(summary_model_dir(messy_run))["serving_default"].inputs
    assert set(inputs) == {BILL, FLIPPER, ISLAND, SEX, CODE}
    assert inputs[CODE].dtype == 7  # DT_STRING: the declared type won over "01".."05"


@pytest.fixture(scope="module")
def client(messy_run: dict, tmp_path_factory):
    """``tfxkit serve`` over a base holding the run's model as version 1."""
    import shutil

    from tfxkit.serving import Client
    from tfxkit.serving.server import EmbeddedServer

    base = tmp_path_factory.mktemp("messy-serving") / "base"
    shutil.copytree(summary_model_dir(messy_run), base / "messy" / "1")
    with EmbeddedServer(str(base), rest_port=0, grpc_port=0, poll_seconds=30) as running:
        yield Client("127.0.0.1", running.rest_port, running.grpc_port, timeout=30)


def test_every_endpoint_takes_the_data_s_column_names(client) -> None:
    import numpy as np

    rows = _rows_by_column_name()
    by_rows = np.array([p["probabilities"] for p in client.predict("messy", rows)])
    assert by_rows.shape == (2, 3) and np.abs(by_rows.sum(axis=1) - 1).max() < 1e-4
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    by_columns = client.predict("messy", inputs=columns)["probabilities"]
    assert np.abs(np.array(by_columns) - by_rows).max() < 1e-6
    over_grpc = client.predict_grpc(
        "messy",
        {
            k: np.array(v, dtype=object if k in (ISLAND, SEX, CODE) else np.float64)
            for k, v in columns.items()
        },
    )
    assert np.abs(over_grpc["probabilities"] - by_rows).max() < 1e-6
    # Classify takes tf.Examples: a missing cell is an absent feature; names as in the header.
    examples = [{k: v for k, v in r.items() if v == v and v != ""} for r in rows]
    examples[1][FLIPPER] = int(examples[1][FLIPPER])
    examples[0][FLIPPER] = int(examples[0][FLIPPER])
    classified = client.classify("messy", examples)
    scores = np.array([[s for _, s in row] for row in classified])
    assert np.abs(scores - by_rows).max() < 1e-5


def test_a_wrong_name_is_refused_naming_the_signature_s_inputs(client) -> None:
    from tfxkit.serving import ServingRequestError

    row = {**_rows_by_column_name()[1], "no such column": 1.0}
    with pytest.raises(ServingRequestError) as raised:
        client.predict("messy", [row])
    assert "no such column" in str(raised.value) and ISLAND in str(raised.value)


def summary_model_dir(messy_run: dict) -> str:
    """The pushed model, or the trained one when the tiny run was not blessed."""
    if messy_run["summary"]["pushed_path"]:
        return messy_run["summary"]["pushed_path"]
    root = messy_run["base"] / "ws" / "messy" / "pipeline_root" / "trainer" / "model"
    return str(next(root.glob("*/Format-Serving")))
