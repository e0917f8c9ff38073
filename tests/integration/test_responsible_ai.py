"""Responsible AI end to end (issue 26): explanations and the model card on a real local run.

Generated data with a planted feature (a noisy copy of the label), two weaker ones, noise, a
vocabulary column and a sensitive ``group`` the model never sees. Two runs with different
training seeds: the planted feature ranks first in both, the rank correlation between them is
printed and at least 0.8, every group has per-slice importance, and the blessed version gets a
model card whose numbers are the ones ML Metadata holds. The second run's Explainer measures the
same correlation itself (attribution drift against the first run's blessed model).
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.pipeline_runs import run_pipeline, sqlite_store

pytestmark = pytest.mark.slow

CONFIG = {
    "name": "rai",
    "features": [
        {"name": "planted", "type": "float", "transform": "zscore"},
        {"name": "medium", "type": "float", "transform": "zscore"},
        {"name": "weak", "type": "float", "transform": "zscore"},
        {"name": "noise", "type": "float", "transform": "zscore"},
        {"name": "color", "type": "string", "transform": "vocabulary"},
    ],
    "label": {"name": "approved", "type": "int", "task": "binary"},
    "training": {"train_steps": 300},
    "evaluation": {"thresholds": {"AUC": {"lower_bound": 0.6}}},
    "fairness": {
        "sensitive_features": ["group"],
        "metrics": {"false_positive_rate": {"max_difference": 0.3}},
    },
    "explain": {"examples": 300, "steps": 16},
    "model_card": {
        "intended_use": "A test of tfxkit's model card; not for decisions about people.",
        "limitations": ["Generated data."],
        "owners": ["tfxkit tests"],
    },
    "push": {"infra_check": False},
}


def _write(target: Path, rows: int = 2400, seed: int = 5) -> Path:
    rng = random.Random(seed)
    target.mkdir(parents=True)
    with (target / "applicants.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["planted", "medium", "weak", "noise", "color", "group", "approved"])
        for _ in range(rows):
            label = rng.random() < 0.5
            row = [label + rng.gauss(0, s) for s in (0.5, 1.0, 2.5)] + [rng.gauss(0, 1)]
            color = rng.choice(["red", "green", "blue", "gray"])
            group = rng.choices(["a", "b"], weights=[0.6, 0.4])[0]
            writer.writerow([f"{v:.4f}" for v in row] + [color, group, int(label)])
    return target


def _run(base: Path, seed: int) -> dict:
    config = {**CONFIG, "data": {"path": str(base / "data")}}
    config["training"] = {**CONFIG["training"], "seed": seed}
    path = base / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    summary = base / "summary.json"
    result = run_pipeline(base / "ws", pipeline=None, config=path, data=None, summary=summary)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return {**json.loads(summary.read_text()), "printed": result.stdout + result.stderr}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, dict, dict]:
    base = tmp_path_factory.mktemp("rai")
    _write(base / "data")
    return base, _run(base, seed=1), _run(base, seed=2)


def test_the_planted_feature_ranks_first_stably_with_every_slice(runs) -> None:
    from tfxkit.components.explainer.attributions import rank_correlation, ranks

    _, first, second = runs
    one, two = first["verdicts"]["explainer"], second["verdicts"]["explainer"]
    assert ranks(one["importance"])[0] == "planted" == ranks(two["importance"])[0]
    assert set(one["importance"]) == {f["name"] for f in CONFIG["features"]}  # raw columns
    correlation = rank_correlation(one["importance"], two["importance"])
    print(f"rank correlation between training seeds 1 and 2: {correlation:.2f}")  # noqa: T201
    print("seed 1:", ranks(one["importance"]), "seed 2:", ranks(two["importance"]))  # noqa: T201
    assert correlation >= 0.8
    assert set(one["per_slice"]) == {"group=a", "group=b"}
    assert all(ranks(s)[0] == "planted" for s in one["per_slice"].values())
    assert one["completeness_gap"] < 0.05


def test_the_second_run_measures_attribution_drift_against_the_first(runs) -> None:
    from tfxkit.components.explainer.attributions import rank_correlation

    _, first, second = runs
    one, two = first["verdicts"]["explainer"], second["verdicts"]["explainer"]
    assert first["blessed"] is True and one["drift"] is None  # no earlier blessed model
    drift = two["drift"]
    assert drift["baseline_model_uri"].rstrip("/") == one["model_uri"].rstrip("/")
    expected = rank_correlation(one["importance"], two["importance"])
    assert drift["rank_correlation"] == pytest.approx(expected)
    assert drift["common"] == len(CONFIG["features"]) and len(drift["changes"]) == 5
    print("drift recorded by run 2:", drift["rank_correlation"], drift["changes"][:2])  # noqa: T201
    assert f"rank correlation {expected:.2f} over 5 features" in second["printed"]


def test_the_blessed_version_has_a_card_with_the_numbers_ml_metadata_holds(runs) -> None:
    from tfxkit.metadata.run_history import load_run
    from tfxkit.report.model_card import num, recorded_card

    base, _, second = runs
    assert second["blessed"] is True, second.get("blessing_failures")
    store = sqlite_store(base / "ws" / "rai" / "metadata.sqlite")
    record = load_run(store, "rai", second["run_id"])
    path = recorded_card(store, second["run_id"])
    version = record.summary["verdicts"]["pusher"]["version"]
    assert path == str(
        base / "ws" / "serving" / "rai" / ".tfxkit-cards" / str(version) / "model_card.md"
    )
    card = Path(path).read_text()
    for name, value in record.summary["verdicts"]["evaluator"]["metrics"].items():
        assert f"| {name} | {num(value)} |" in card
    for name, value in record.summary["verdicts"]["explainer"]["importance"].items():
        assert f"| {name} | {num(value)} |" in card
    assert "group=a" in card and "group=b" in card and CONFIG["model_card"]["intended_use"] in card
    assert "| explainer |" in card and "| trainer |" in card  # lineage: the executions
    drift = record.summary["verdicts"]["explainer"]["drift"]
    assert f"rank correlation {num(drift['rank_correlation'])} over 5 features." in card
    printed = subprocess.run(
        [sys.executable, "-m", "tfxkit.cli.main", "model-card", str(version)]
        + ["-c", str(base / "config.yaml"), "--set", f"workspace={base / 'ws'}"],
        capture_output=True,
        text=True,
        cwd=base,
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    assert printed.stdout == card


def _serve(base: Path, body: dict) -> tuple[int, dict]:
    from tfxkit.serving import rest
    from tfxkit.serving.models import ModelStore

    store = ModelStore(str(base / "ws" / "serving"))
    store.refresh()
    return rest.handle(store, "POST", "/v1/models/rai:predict", json.dumps(body).encode())


def test_serve_explains_a_prediction_against_a_baseline_instance(runs) -> None:
    """An instance that differs from its baseline only in ``planted``: all of the change in the
    positive probability is attributed to ``planted`` (completeness), nothing to the others."""
    base, _, _ = runs
    reference = {"planted": 0.0, "medium": 0.5, "weak": 0.5, "noise": 0.1, "color": "red"}
    instance = {**reference, "planted": 1.2}

    status, before = _serve(base, {"instances": [reference]})
    assert status == 200, before
    status, answer = _serve(base, {"instances": [instance], "explain": {"baseline": [reference]}})
    assert status == 200, answer

    [explained] = answer["explanations"]
    change = (
        answer["predictions"][0]["probabilities"][1] - before["predictions"][0]["probabilities"][1]
    )
    print("served attributions:", explained, "change in probability:", change)  # noqa: T201
    assert set(explained) == {f["name"] for f in CONFIG["features"]}
    assert explained["planted"] == pytest.approx(change, abs=0.01) and abs(change) > 0.05
    assert all(explained[n] == pytest.approx(0.0, abs=1e-6) for n in explained if n != "planted")


def test_serve_explains_instances_against_their_mean_and_refuses_one(runs) -> None:
    base, _, _ = runs
    rows = [
        {"planted": p, "medium": m, "weak": 0.0, "noise": 0.0, "color": c}
        for p, m, c in ((0.0, 0.2, "red"), (1.0, 0.8, "blue"), (0.5, float("nan"), "gray"))
    ]
    status, answer = _serve(base, {"instances": rows, "explain": True})
    assert status == 200, answer
    assert len(answer["explanations"]) == 3
    top = [max(e, key=lambda n: abs(e[n])) for e in answer["explanations"]]
    assert top[0] == top[1] == "planted"  # the rows furthest from the mean in planted

    status, refused = _serve(base, {"instances": rows[:1], "explain": True})
    assert status == 400 and "two or more" in refused["error"]
    status, refused = _serve(base, {"inputs": {"planted": [0.0]}, "explain": True})
    assert status == 400 and "instances" in refused["error"]
