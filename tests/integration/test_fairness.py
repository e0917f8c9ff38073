"""The fairness gate end to end on generated data whose bias we planted (``tests/planted_bias``).

One workspace per dataset, shared by the module: the biased model is evaluated-blessed but
denied by the gate and not pushed; the fair model passes both gates and is pushed; then a
worse model in the fair workspace fails its change threshold against that blessed baseline.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from tests import planted_bias
from tests.pipeline_runs import executions, run_pipeline, sqlite_store, versions

pytestmark = pytest.mark.slow


def _run(base: Path, config: dict, *extra: str) -> tuple[dict, str]:
    base.mkdir(parents=True, exist_ok=True)
    path = base / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    summary = base / "summary.json"
    result = run_pipeline(
        base / "ws", *extra, pipeline=None, config=path, data=None, summary=summary
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return json.loads(summary.read_text()), result.stdout


def _config(data: Path) -> dict:
    config = copy.deepcopy(planted_bias.CONFIG)
    config["data"] = {"path": str(data)}
    return config


@pytest.fixture(scope="module")
def biased(tmp_path_factory) -> tuple[Path, dict, str]:
    base = tmp_path_factory.mktemp("biased")
    data = planted_bias.write(base / "data", biased=True)
    return (base, *_run(base, _config(data)))


@pytest.fixture(scope="module")
def fair(tmp_path_factory) -> tuple[Path, dict, str]:
    base = tmp_path_factory.mktemp("fair")
    data = planted_bias.write(base / "data", biased=False)
    return (base, *_run(base, _config(data)))


def _blessing_reasons(base: Path, run_id: str) -> dict[str, tuple[int, str]]:
    """{node id: (passed, reason)} of the run's ModelBlessing artifacts, read from MLMD (the
    Evaluator's under TFX's ``blessed``, the fairness gate's under ``passed``)."""
    from tfxkit.metadata.store import output_artifacts

    store = sqlite_store(base / "ws" / "fairness" / "metadata.sqlite")
    found = {}
    for node_id, execution in executions(base / "ws", "fairness", run_id).items():
        for blessing in output_artifacts(store, execution.execution_id, "ModelBlessing"):
            props = blessing.custom_properties
            passed = props["blessed" if node_id == "evaluator" else "passed"].int_value
            found[node_id] = (passed, props["reason"].string_value)
    return found


def test_a_planted_bias_is_denied_and_not_pushed(biased) -> None:
    base, summary, stdout = biased
    assert summary["blessed"] is False
    assert summary["pushed_path"] is None
    assert versions(base / "ws" / "serving" / "fairness") == []
    assert summary["blessing_failures"] == []  # the Evaluator's thresholds passed...
    verdict = summary["fairness"]  # ...the fairness gate did not
    assert verdict["blessed"] is False
    rows = {row["slice"]: row for row in verdict["rows"]}
    assert rows["group=a"]["status"] == "reference"
    assert rows["group=b"]["status"] == "fail"
    fpr_b = rows["group=b"]["rates"]["false_positive_rate"]
    fpr_a = rows["group=a"]["rates"]["false_positive_rate"]
    assert fpr_b - fpr_a > 0.15, (fpr_a, fpr_b)
    assert rows["group=c"]["status"] == "too small to judge"
    # Both decisions, with their reasons, are in ML Metadata.
    reasons = _blessing_reasons(base, summary["run_id"])
    assert reasons["evaluator"][0] == 1 and reasons["evaluator"][1].startswith("blessed")
    assert reasons["fairness_gate"][0] == 0
    assert "false_positive_rate on group=b" in reasons["fairness_gate"][1]
    # The CLI prints the decision, its reason and a per-slice table with the gap.
    assert "fairness:  FAILED: not fair enough: false_positive_rate on group=b" in stdout
    table = [line for line in stdout.splitlines() if line.strip().startswith("group=b")]
    assert table and "FAIL: difference" in table[0] and "max_difference 0.15" in table[0]
    assert "skipped" in {n["status"] for n in summary["nodes"] if n["node_id"] == "pusher"}


def test_a_fair_model_passes_both_gates_and_is_pushed(fair) -> None:
    base, summary, stdout = fair
    assert summary["blessed"] is True, (summary["blessing_failures"], summary["fairness"])
    assert summary["fairness"]["blessed"] is True
    assert versions(base / "ws" / "serving" / "fairness") == [1]
    assert "fairness:  passed: every judged slice of group is within its bounds" in stdout
    assert any(s.startswith("group=c (") for s in summary["fairness"]["too_small"])
    reasons = _blessing_reasons(base, summary["run_id"])
    assert reasons["fairness_gate"] == (1, summary["fairness"]["reason"])


def test_a_model_worse_than_the_blessed_baseline_is_not_blessed(fair) -> None:
    base, first, _ = fair
    worse = _config(base / "data")
    worse["features"] = [{"name": "x2", "type": "float", "transform": "zscore"}]  # noise only
    summary, stdout = _run(base, worse)
    assert summary["blessed"] is False
    assert any(
        f.startswith("auc (vs baseline) on overall:") for f in summary["blessing_failures"]
    ), summary["blessing_failures"]
    assert versions(base / "ws" / "serving" / "fairness") == [1]
    assert first["pushed_path"] and summary["pushed_path"] is None
