"""``tfxkit monitor`` on planted drift (issue 24): each planted change is caught, or not, as
expected, by the distance that should catch it; bad input is named and judged nothing.

Training statistics and the schema come from a synthetic training sample (TFDV in memory); the
windows are written by the real request logger, so the log format is what is read.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tensorflow_data_validation as tfdv

from tfxkit.cli.app import main
from tfxkit.config.pipeline_config import load_config
from tfxkit.errors import DataError
from tfxkit.monitoring import monitor as monitoring
from tfxkit.serving.request_log import LogSettings, RequestLogger

ROWS = 400


def _sample(seed: int, *, shift: float = 0.0, new_color: float = 0.0, yes: float = 0.5):
    rng = np.random.default_rng(seed)
    colors = rng.choice(["a", "b", "c"], ROWS, p=[0.5, 0.3, 0.2]).astype(object)
    colors[rng.random(ROWS) < new_color] = "d"
    return pd.DataFrame(
        {
            "x": rng.normal(10.0 + shift, 2.0, ROWS),
            "size": rng.integers(1, 50, ROWS),
            "color": colors,
            "label": np.where(rng.random(ROWS) < yes, "yes", "no"),
        }
    )


@pytest.fixture
def setup(tmp_path: Path):
    train = _sample(0)
    stats = tfdv.generate_statistics_from_dataframe(train)
    stats_file = tmp_path / "FeatureStats.pb"
    stats_file.write_bytes(stats.SerializeToString())
    schema_file = tmp_path / "schema.pbtxt"
    tfdv.write_schema_text(tfdv.infer_schema(stats), str(schema_file))
    (tmp_path / "data").mkdir()
    config_file = tmp_path / "pipeline.yaml"
    config_file.write_text(
        json.dumps(
            {
                "name": "shop",
                "workspace": str(tmp_path / "ws"),
                "data": {"format": "csv", "path": str(tmp_path / "data")},
                "features": [
                    {"name": "x", "type": "float", "transform": "zscore"},
                    {"name": "size", "type": "int", "transform": "zscore"},
                    {"name": "color", "type": "string", "transform": "vocabulary"},
                ],
                "label": {"name": "label", "type": "string"},
                "evaluation": {"bless": "always"},
                "monitoring": {
                    "training_statistics": str(stats_file),
                    "schema_file": str(schema_file),
                    "labels": str(tmp_path / "labels.csv"),
                    "sinks": [{"type": "file", "path": str(tmp_path / "alerts.jsonl")}],
                },
            }
        )
    )
    return tmp_path, config_file


def _log(
    config_file: Path, frame: pd.DataFrame, version: int = 1, prefix: str = "r", cast=int
) -> Path:
    """One closed window of ``frame`` as served rows (the prediction: the row's own label)."""
    config = load_config(config_file)
    directory = Path(config.workspace) / "shop" / "request_log"
    logger = RequestLogger(LogSettings(str(directory), rotate_records=10**6)).start()
    for i, row in enumerate(frame.to_dict("records")):
        size = None if row["size"] is None else cast(row["size"])
        instance = {"x": row["x"], "size": size, "color": row["color"]}
        body = {"instances": [{k: v for k, v in instance.items() if v is not None}]}
        logger.offer(
            "shop",
            version,
            "predict",
            json.dumps(body).encode(),
            {"predictions": [row["label"]]},
            f"{prefix}{i}",
        )
    logger.stop()
    [window] = logger.closed
    return window


def _labels(tmp: Path, frame: pd.DataFrame, prefix: str, extra: dict | None = None) -> None:
    ids = [f"{prefix}{i}" for i in range(len(frame))] + list(extra or {})
    values = list(frame["label"]) + list((extra or {}).values())
    pd.DataFrame({"request_id": ids, "label": values}).to_csv(tmp / "labels.csv", index=False)


def _run(config_file: Path, *overrides: str) -> dict:
    return monitoring.monitor(load_config(config_file, list(overrides)))


def _caught(report: dict, feature: str) -> set[str]:
    return {
        f"{d['against']}:{d['level']}:{d['caught_by']}"
        for d in report["skew"] + report["drift"]
        if d["feature"] == feature and d["level"]
    }


def test_no_drift_is_ok_and_recorded(setup) -> None:
    tmp, config_file = setup
    first, second = _sample(1), _sample(2)
    _log(config_file, first, prefix="a")
    _log(config_file, second, prefix="b")
    _labels(tmp, second, "b")
    report = _run(config_file)
    assert report["verdict"] == "ok", report["reasons"]
    assert report["previous_window"] is not None and report["rows"] == ROWS
    x = next(d for d in report["skew"] if d["feature"] == "x")
    assert set(x["measures"]) >= {"psi", "ks", "wasserstein_std", "tfdv_jsd"}
    color = next(d for d in report["skew"] if d["feature"] == "color")
    assert set(color["measures"]) >= {"psi", "chi_square", "l_inf", "tfdv_l_inf"}
    assert report["performance"]["accuracy"] == 1.0  # the prediction is the label here
    judged = {d["feature"] for d in report["skew"] + report["drift"]}
    assert judged >= {"x", "size", "color", "__prediction__", "__label__"}
    assert not judged & {"__request_id__", "__timestamp_ms__", "__model__", "__model_version__"}
    assert json.loads(Path(report["report_path"]).read_text())["verdict"] == "ok"
    assert report["execution_id"] > 0


def test_numeric_shift_alerts_by_psi_and_ks(setup) -> None:
    tmp, config_file = setup
    frame = _sample(3, shift=3.0)
    _log(config_file, frame)
    _labels(tmp, frame, "r")
    report = _run(config_file)
    assert report["verdict"] == "alert"
    assert _caught(report, "x") == {"training:major:PSI+KS"}
    assert _caught(report, "color") == set() and _caught(report, "size") == set()


def test_new_categorical_value_alerts_by_chi_square(setup) -> None:
    tmp, config_file = setup
    frame = _sample(4, new_color=0.3)
    _log(config_file, frame)
    _labels(tmp, frame, "r")
    report = _run(config_file)
    assert report["verdict"] == "alert"
    assert _caught(report, "color") == {"training:major:PSI+chi-square"}
    assert any("schema anomaly" in r and "color" in r for r in report["reasons"])


def test_missing_feature_alerts(setup) -> None:
    tmp, config_file = setup
    frame = _sample(5)
    frame["size"] = None
    _log(config_file, frame)
    _labels(tmp, frame, "r")
    report = _run(config_file)
    assert report["verdict"] == "alert"
    assert any(r.startswith("feature size is missing") for r in report["reasons"])


def test_label_shift_alerts_on_joined_labels(setup) -> None:
    tmp, config_file = setup
    frame = _sample(6, yes=0.9)
    _log(config_file, frame)
    _labels(tmp, frame, "r")
    report = _run(config_file)
    assert report["verdict"] == "alert"
    assert _caught(report, "__label__") == {"training:major:PSI+chi-square"}
    assert any(r.startswith("label shift:") for r in report["reasons"])
    assert _caught(report, "x") == set()


def test_cli_exit_codes_json_and_file_sink(setup) -> None:
    tmp, config_file = setup
    frame = _sample(7, shift=3.0)
    _log(config_file, frame)
    _labels(tmp, frame, "r")
    assert main(["monitor", "-c", str(config_file)]) == monitoring.EXIT_ALERT
    [alert] = [json.loads(line) for line in (tmp / "alerts.jsonl").read_text().splitlines()]
    assert alert["verdict"] == "alert" and alert["model"] == "shop"
    ok = main(["monitor", "-c", str(config_file), "--set", "monitoring.min_rows=1000"])
    assert ok == monitoring.EXIT_ALERT  # still alerts; the small window adds a warning


def test_whole_numbers_served_as_floats_are_no_schema_anomaly(setup) -> None:
    tmp, config_file = setup
    frame = _sample(14)
    _log(config_file, frame, cast=float)  # a signature taking every number as float64
    _labels(tmp, frame, "r")
    report = _run(config_file)
    assert report["verdict"] == "ok", report["reasons"]


# ------------------------------------------------------------------ bad input


def test_corrupt_window_is_named_and_judged_nothing(setup, capsys) -> None:
    tmp, config_file = setup
    window = _log(config_file, _sample(8))
    data = window.read_bytes()
    window.write_bytes(data[: len(data) // 2] + b"\x00garbage")
    with pytest.raises(DataError, match=f"{window}: the window is corrupt after"):
        _run(config_file)
    assert main(["monitor", "-c", str(config_file)]) == 2
    err = capsys.readouterr().err
    assert "corrupt" in err and "Traceback" not in err
    assert not (tmp / "ws" / "shop" / "monitoring").exists()  # no verdict written


def test_empty_window_is_bad_input(setup) -> None:
    _tmp, config_file = setup
    window = _log(config_file, _sample(9).head(1))
    window.write_bytes(b"")
    with pytest.raises(DataError, match="holds no rows"):
        _run(config_file)


def test_no_window_yet_says_how_to_log(setup) -> None:
    _tmp, config_file = setup
    with pytest.raises(DataError, match="no logged window"):
        _run(config_file)


def test_previous_window_of_another_version_skips_prediction_drift(setup) -> None:
    tmp, config_file = setup
    _log(config_file, _sample(10), version=2, prefix="a")
    frame = _sample(11)
    _log(config_file, frame, version=1, prefix="b")
    _labels(tmp, frame, "b")
    report = _run(config_file)
    assert report["model_version"] == 1
    assert any("prediction drift not judged" in r for r in report["reasons"])
    assert not any(d["feature"].startswith("__prediction") for d in report["drift"])
    assert report["verdict"] == "warn"


def test_labels_for_unknown_request_ids_warn(setup) -> None:
    tmp, config_file = setup
    frame = _sample(12)
    _log(config_file, frame)
    _labels(tmp, frame, "r", {"nobody-1": "yes", "nobody-2": "no"})
    report = _run(config_file)
    assert report["labels"] == {"matched": ROWS, "unknown_ids": 2}
    assert any("nobody-1" in r for r in report["reasons"])
    assert report["verdict"] == "warn"


def test_without_statistics_or_metadata_the_message_says_what_to_set(setup) -> None:
    _tmp, config_file = setup
    _log(config_file, _sample(13))
    with pytest.raises(DataError, match="monitoring.training_statistics"):
        _run(config_file, "monitoring.training_statistics=null")


def test_an_alert_with_a_retrain_profile_submits_one_kubeflow_run(setup, capsys) -> None:
    """End to end through the CLI against the KFP stand-in (tests/standins/kfp_server.py)."""
    from tests.paths import CONFIGS
    from tests.standins.kfp_server import running_kfp_server

    tmp, config_file = setup
    frame = _sample(7, shift=3.0)
    _log(config_file, frame)
    _labels(tmp, frame, "r")
    fresh = "gs://my-bucket/data/shop/span-2"
    with running_kfp_server() as kfp:
        args = [
            "monitor", "-c", str(config_file),
            "--set", "monitoring.retrain.enabled=true",
            "--set", f"monitoring.retrain.set=[data.path={fresh}]",
            "--retrain-profile", str(CONFIGS / "kubeflow.yaml"), "--host", kfp.url,
        ]  # fmt: skip
        assert main(args) == monitoring.EXIT_ALERT
        [run] = kfp.runs.values()
        assert f"retrain: submitted run {run['run_id']} to kubeflow" in capsys.readouterr().out
        verdicts = (tmp / "ws" / "shop" / "monitoring").glob("*.json")
        [verdict] = [path for path in verdicts if path.name != "retrain.json"]
        retrain = json.loads(verdict.read_text())["retrain"]
        assert retrain["run_id"] == run["run_id"] and retrain["url"].endswith(run["run_id"])
        [version_id] = kfp.versions
        spec = kfp.uploaded_spec(version_id)
        assert spec["pipelineInfo"]["name"] == "shop"
        assert fresh in json.dumps(spec["root"]["dag"]["tasks"]["example_gen"]["inputs"])

        assert main(args) == monitoring.EXIT_ALERT  # the same incident, within the cool-down
        assert "retrain: cooling down" in capsys.readouterr().out
        assert len(kfp.runs) == 1
