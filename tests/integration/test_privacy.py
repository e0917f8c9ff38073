"""DP-SGD end to end (issue 26 #2): the penguin pipeline trained with training.privacy reports
epsilon at delta and the membership attack in the run summary and the model card, pushes under
its epsilon bound, and is refused the push over it (the privacy gate's reason printed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.paths import PENGUIN_CONFIG, PENGUIN_DATA
from tests.pipeline_runs import run_pipeline

pytestmark = pytest.mark.slow

PRIVACY = {"noise_multiplier": 1.1, "l2_norm_clip": 1.0, "microbatches": 8, "delta": 1e-4}


def _run(base: Path, target_epsilon: float) -> dict:
    config = yaml.safe_load(PENGUIN_CONFIG.read_text())
    config["training"] = {
        **config["training"],
        "epochs": 1,
        "train_steps": 40,
        "privacy": {**PRIVACY, "target_epsilon": target_epsilon},
    }
    config["evaluation"]["thresholds"] = {"SparseCategoricalAccuracy": {"lower_bound": 0.2}}
    config["push"] = {"infra_check": False}
    path = base / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    summary = base / "summary.json"
    result = run_pipeline(
        base / "ws", pipeline=None, config=path, data=PENGUIN_DATA, summary=summary
    )
    assert summary.exists(), result.stdout[-2000:] + result.stderr[-3000:]
    return {
        **json.loads(summary.read_text()),
        "printed": result.stdout + result.stderr,
        "workspace": str(base / "ws"),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[dict, dict]:
    under = _run(tmp_path_factory.mktemp("dp_under"), target_epsilon=1000.0)
    over = _run(tmp_path_factory.mktemp("dp_over"), target_epsilon=0.5)
    return under, over


def test_a_dp_model_under_its_bound_reports_epsilon_and_is_pushed(runs) -> None:
    from tfxkit.training.privacy import epsilon

    under, _ = runs
    verdict = under["verdicts"]["privacy_gate"]
    print("privacy verdict under the bound:", verdict)  # noqa: T201
    assert verdict["passed"] is True and verdict["delta"] == PRIVACY["delta"]
    assert verdict["steps"] == 40 and verdict["noise_multiplier"] == 1.1
    expected = epsilon(1.1, verdict["sampling_probability"], 40, PRIVACY["delta"])
    assert verdict["epsilon"] == pytest.approx(expected)
    assert 0 < verdict["epsilon"] < 1000
    assert 0 <= verdict["membership_advantage"] <= 1
    assert under["blessed"] is True
    assert under["verdicts"]["pusher"]["passed"] is True
    assert f"epsilon {verdict['epsilon']:.3g} at delta" in under["printed"]


def test_a_dp_model_over_its_bound_is_refused_the_push_with_the_reason(runs) -> None:
    _, over = runs
    verdict = over["verdicts"]["privacy_gate"]
    assert verdict["passed"] is False and verdict["epsilon"] > 0.5
    assert "exceeds training.privacy.target_epsilon 0.5" in verdict["reasons"][0]
    assert over["blessed"] is False
    assert not over["verdicts"].get("pusher", {}).get("passed")
    assert "exceeds training.privacy.target_epsilon 0.5" in over["printed"]
    # Said before training too, by the trainer:
    refused = "over training.privacy.target_epsilon 0.5: the privacy gate will refuse"
    assert refused in over["printed"]


def test_the_model_card_shows_the_epsilon_ml_metadata_holds(runs) -> None:
    from tests.pipeline_runs import sqlite_store
    from tfxkit.metadata.run_history import load_run
    from tfxkit.report.model_card import num, recorded_card

    under, _ = runs
    store = sqlite_store(Path(under["workspace"]) / "penguin" / "metadata.sqlite")
    record = load_run(store, "penguin", under["run_id"])
    stored = record.summary["verdicts"]["privacy_gate"]
    card = Path(recorded_card(store, under["run_id"])).read_text()
    expected = f"epsilon {num(stored['epsilon'])} at delta {num(stored['delta'])}"
    assert f"Trained with DP-SGD: {expected}." in card
