"""``tfxkit predict`` as a user calls it: config, data, out, version; the schema of record
first. On a toy model (tests/batch_toy.py); the real pipeline's model: tests/integration."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.batch_toy import NUMBER, save_base
from tfxkit import cli

CONFIG = """\
name: toy
workspace: {workspace}
data: {{path: {data}}}
features:
  - {{name: "{number}", type: float, transform: zscore}}
  - {{name: island, type: string, transform: vocabulary}}
label: {{name: species}}
evaluation: {{bless: always}}
push: {{destination: {base}}}
batch: {{data: {data}, pass_through: [id]}}
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("predict")
    save_base(root / "serving")
    data = root / "data"
    data.mkdir()
    (data / "batch.csv").write_text(
        f"id,{NUMBER},island,species\n1,40.5,Biscoe,Adelie\n2,NA,Dream,Chinstrap\n3,x,Dream,\n"
    )
    config = root / "config.yaml"
    config.write_text(
        CONFIG.format(workspace=root / "ws", data=data, number=NUMBER, base=root / "serving")
    )
    return {"root": root, "config": config, "data": data}


def _predict(setup: dict[str, Path], *args: str) -> int:
    return cli.main(["predict", "-c", str(setup["config"]), "--data", str(setup["data"]), *args])


def test_predict_scores_with_the_stable_version(setup, capsys) -> None:
    out = setup["root"] / "out"
    assert _predict(setup, "--out", str(out), "--no-validate") == 0
    printed = capsys.readouterr().out
    assert "with toy version 1" in printed
    assert "scored 2 of 3 rows (1 rejected: see" in printed
    with (out / "predictions.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == ["1", "2"] and rows[0]["model_version"] == "1"
    assert _predict(setup, "--out", str(out), "--no-validate", "--version", "canary") == 0
    with (out / "predictions.csv").open() as handle:
        assert {r["model_version"] for r in csv.DictReader(handle)} == {"2"}


def test_predict_refuses_without_a_schema_of_record_or_with_an_unknown_version(
    setup, capsys
) -> None:
    out = setup["root"] / "refused"
    assert _predict(setup, "--out", str(out)) == 2
    assert "has no schema to compare against yet" in capsys.readouterr().err
    assert _predict(setup, "--out", str(out), "--no-validate", "--version", "9") == 2
    assert "has no version 9" in capsys.readouterr().err
    assert not out.exists()


def test_predict_validates_against_the_frozen_schema(setup, capsys) -> None:
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = schema_pb2.Schema()
    schema.feature.add(name="island", type=schema_pb2.BYTES, domain="island")
    schema.string_domain.add(name="island", value=["Torgersen"])
    path = setup["root"] / "schema.pbtxt"
    path.write_text(str(schema))
    out = setup["root"] / "validated"
    assert _predict(setup, "--out", str(out), "--set", f"schema.path={path}") == 2
    err = capsys.readouterr().err
    assert "island" in err and "nothing was scored or written" in err
    assert not out.exists()


def test_beam_options_local_and_dataflow_through_a_runner_profile(setup) -> None:
    from tests.paths import CONFIGS
    from tfxkit.cli.predict import _beam
    from tfxkit.config.pipeline_config import load_config

    config = load_config(setup["config"])
    args, spread, how = _beam(config, None, str(setup["data"]))
    assert (args, spread) == ([], False) and how.startswith("local: in this process, no Beam")
    args, spread, how = _beam(config, None, str(setup["data"]), "beam")
    assert args[:2] == ["--direct_running_mode=in_memory", "--direct_num_workers=1"]
    assert not spread and how.startswith("in_memory")
    args, spread, how = _beam(config, str(CONFIGS / "dataflow.yaml"), "gs://b/batch")
    assert "--runner=DataflowRunner" in args and "--temp_location=gs://my-bucket/tfxkit/tmp" in args
    assert spread and how.startswith("DataflowRunner")
