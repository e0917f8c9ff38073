"""Responsible AI end to end (issue 26) on the census fairness demo: explanations per sex and
race slice, attribution drift and the model card, on a real local run.

The demo as ``make fairness-demo`` runs it (``pipelines/census_fairness.py`` and the config
built from ``configs/census_fairness.yaml``) on an evenly spaced subsample of the raw census
file, each raw row with one column appended: ``planted``, a noisy copy of the derived label
(``income == '50000+.'`` plus gaussian noise). Two runs with different training seeds: the
planted feature ranks first in both, the rank correlation between them is printed and at least
0.8, every sex and race value in the explained examples has per-slice importance, and the
blessed version gets a model card whose numbers are the ones ML Metadata holds. The second
run's Explainer measures the same correlation itself (drift against the first blessed model).

Small slices: the census has five race values, three of them under 3% of the rows, so some
race slices hold a few dozen explained examples or fewer. They are not dropped: every slice's
attributions are reported with its example count (``slice_examples``), and the test asks
"planted first" only of slices with at least ``fairness.min_slice_size`` examples; a smaller
slice must still have an importance for every raw feature.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.paths import CONFIGS, REPO
from tests.pipeline_runs import run_pipeline, sqlite_store

pytestmark = pytest.mark.slow

ROWS = 4000  # census rows sampled (every 49th of 199,523)
NOISE = 0.5  # standard deviation of the gaussian noise on the planted label copy
PIPELINE = REPO / "pipelines" / "census_fairness.py"
NAME = "census-fairness"


def _config(data: Path, seed: int) -> dict:
    """The demo's config with the planted column and the test's data. Only the used columns
    are ingested (speed). Training keeps the demo's 600 steps: with 300 the two seeds' rank
    correlation was 0.75 on this split (0.94 on another), too close to the bound to keep."""
    config = yaml.safe_load((CONFIGS / "census_fairness.yaml").read_text())
    config["data"]["path"] = str(data)
    config["data"]["columns"] = "used"  # the 29 columns nothing reads: not ingested (speed)
    config["data"]["csv"]["column_names"] = [*config["data"]["csv"]["column_names"], "planted"]
    config["features"] = [
        *config["features"],
        {"name": "planted", "type": "float", "transform": "zscore"},
    ]
    config["training"] = {**config["training"], "seed": seed}
    config["explain"] = {**config["explain"], "examples": 1000, "steps": 16}
    config["push"] = {"infra_check": False}
    assert config["fairness"]["sensitive_features"] == ["sex", "race"]  # kept as shipped
    return config


FEATURES = [f["name"] for f in _config(Path("."), 0)["features"]]


def _write(target: Path, rows: int = ROWS, seed: int = 5) -> Path:
    """The raw census subsample, each line with a planted noisy label copy appended."""
    from tfxkit.datasets import census

    raw = census.prepare(target, rows=rows)
    rng = random.Random(seed)
    lines = raw.read_text(encoding="utf-8").splitlines()
    planted = []
    for line in lines:
        label = line.rsplit(",", 1)[1].strip() == "50000+."
        planted.append(f"{line}, {label + rng.gauss(0, NOISE):.4f}\n")
    raw.write_text("".join(planted), encoding="utf-8")
    return target


def _run(base: Path, seed: int) -> dict:
    path = base / "config.yaml"
    path.write_text(yaml.safe_dump(_config(base / "data", seed), sort_keys=False))
    summary = base / "summary.json"
    result = run_pipeline(base / "ws", pipeline=PIPELINE, config=path, data=None, summary=summary)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return {**json.loads(summary.read_text()), "printed": result.stdout + result.stderr}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, dict, dict]:
    base = tmp_path_factory.mktemp("rai")
    _write(base / "data")
    return base, _run(base, seed=1), _run(base, seed=2)


def _explained_slices(base: Path, explain: dict) -> dict[str, int]:
    """Each "sex=..."/"race=..." value among the examples the Explainer sampled, with its count:
    the first run's Explainer's input examples (ML Metadata's lineage), sampled with its sampler."""
    import tensorflow as tf

    from tfxkit.components.explainer.executor import read_examples

    store = sqlite_store(base / "ws" / NAME / "metadata.sqlite")
    explanation = min(store.get_artifacts_by_type("TfxkitExplanation"), key=lambda a: a.id)
    [execution] = {e.execution_id for e in store.get_events_by_artifact_ids([explanation.id])}
    inputs = [e.artifact_id for e in store.get_events_by_execution_ids([execution])]
    wanted = store.get_artifact_type("Examples").id
    [examples] = [a.uri for a in store.get_artifacts_by_id(inputs) if a.type_id == wanted]
    found: dict[str, int] = {}
    for record in read_examples(examples, explain["examples"], explain.get("seed", 0)):
        features = tf.train.Example.FromString(record).features.feature
        for column in ("sex", "race"):
            [value] = features[column].bytes_list.value
            name = f"{column}={value.decode()}"
            found[name] = found.get(name, 0) + 1
    return found


def test_the_planted_feature_ranks_first_stably_with_every_slice(runs) -> None:
    from tfxkit.components.explainer.attributions import rank_correlation, ranks

    base, first, second = runs
    one, two = first["verdicts"]["explainer"], second["verdicts"]["explainer"]
    print("seed 1:", ranks(one["importance"]), "seed 2:", ranks(two["importance"]))  # noqa: T201
    assert ranks(one["importance"])[0] == "planted" == ranks(two["importance"])[0]
    assert set(one["importance"]) == set(FEATURES)  # raw columns, vocabularies summed back
    correlation = rank_correlation(one["importance"], two["importance"])
    print(f"rank correlation between training seeds 1 and 2: {correlation:.2f}")  # noqa: T201
    assert correlation >= 0.8
    assert one["completeness_gap"] < 0.05

    expected = _explained_slices(base, _config(base / "data", 1)["explain"])
    assert {"sex=Female", "sex=Male", "race=White", "race=Black"} <= set(expected)
    assert one["per_slice"].keys() == expected.keys() == two["per_slice"].keys()
    assert one["slice_examples"] == expected  # every slice reported with its example count
    smallest = _config(base / "data", 1)["fairness"]["min_slice_size"]
    for name, scores in sorted(one["per_slice"].items()):
        print(f"{name} ({expected[name]} examples):", ranks(scores)[:3])  # noqa: T201
        assert set(scores) == set(FEATURES) and all(v >= 0 for v in scores.values())
        if expected[name] >= smallest:
            assert ranks(scores)[0] == "planted", (name, scores)


def test_the_census_example_prints_slices_gaps_and_the_decision(runs) -> None:
    """The fairness gate of the shipped census example (moved here from test_fairness: these
    runs are that example, with the planted column, so CI runs census once)."""
    _, first, _ = runs
    verdict = first["fairness"]
    slices = {row["slice"] for row in verdict["rows"]}
    assert {"overall", "sex=Female", "sex=Male", "race=White", "race=Black"} <= slices
    decision = "passed" if verdict["blessed"] else "FAILED"
    assert f"fairness:  {decision}: {verdict['reason']}" in first["printed"]
    lines = first["printed"].splitlines()
    assert {line.split()[0] for line in lines if line.startswith("  sex=")} == {
        "sex=Female",
        "sex=Male",
    }
    assert "true_positive_rate" in first["printed"] and "(diff " in first["printed"]
    assert (first["pushed_path"] is not None) == (first["blessed"] is True)


def test_the_second_run_measures_attribution_drift_against_the_first(runs) -> None:
    from tfxkit.components.explainer.attributions import rank_correlation

    _, first, second = runs
    one, two = first["verdicts"]["explainer"], second["verdicts"]["explainer"]
    assert first["blessed"] is True, first.get("blessing_failures")
    assert one["drift"] is None  # no earlier blessed model
    drift = two["drift"]
    assert drift["baseline_model_uri"].rstrip("/") == one["model_uri"].rstrip("/")
    expected = rank_correlation(one["importance"], two["importance"])
    assert drift["rank_correlation"] == pytest.approx(expected)
    assert drift["common"] == len(FEATURES) and len(drift["changes"]) == 5
    print("drift recorded by run 2:", drift["rank_correlation"], drift["changes"][:2])  # noqa: T201
    assert f"rank correlation {expected:.2f} over {len(FEATURES)} features" in second["printed"]


def test_the_blessed_version_has_a_card_with_the_numbers_ml_metadata_holds(runs) -> None:
    from tfxkit.metadata.run_history import load_run
    from tfxkit.report.model_card import num, recorded_card

    base, _, second = runs
    assert second["blessed"] is True, second.get("blessing_failures")
    store = sqlite_store(base / "ws" / NAME / "metadata.sqlite")
    record = load_run(store, NAME, second["run_id"])
    path = recorded_card(store, second["run_id"])
    version = record.summary["verdicts"]["pusher"]["version"]
    assert path == str(
        base / "ws" / "serving" / NAME / ".tfxkit-cards" / str(version) / "model_card.md"
    )
    card = Path(path).read_text()
    for name, value in record.summary["verdicts"]["evaluator"]["metrics"].items():
        assert f"| {name} | {num(value)} |" in card
    explainer = record.summary["verdicts"]["explainer"]
    for name, value in explainer["importance"].items():
        assert f"| {name} | {num(value)} |" in card
    for name in explainer["per_slice"]:  # each slice's top features and how many examples
        assert f"- slice {name} ({explainer['slice_examples'][name]} examples): " in card
    config = _config(base / "data", 2)
    assert " ".join(config["model_card"]["intended_use"].split()) in " ".join(card.split())
    assert "| explainer |" in card and "| trainer |" in card  # lineage: the executions
    drift = explainer["drift"]
    assert f"rank correlation {num(drift['rank_correlation'])} over {len(FEATURES)}" in card
    printed = subprocess.run(
        [sys.executable, "-m", "tfxkit.cli.main", "model-card", str(version)]
        + ["-c", str(base / "config.yaml"), "--set", f"workspace={base / 'ws'}"],
        capture_output=True,
        text=True,
        cwd=base,
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    assert printed.stdout == card


# One census person's raw features (a row of the file, spaces stripped), for tfxkit serve.
PERSON = {
    "age": 45,
    "education": "Bachelors degree(BA AB BS)",
    "class_of_worker": "Private",
    "marital_stat": "Married-civilian spouse present",
    "major_occupation_code": "Professional specialty",
    "tax_filer_stat": "Joint both under 65",
    "weeks_worked_in_year": 52,
    "num_persons_worked_for_employer": 6,
    "capital_gains": 0,
    "dividends_from_stocks": 0,
    "planted": 0.0,
}


def _serve(base: Path, body: dict) -> tuple[int, dict]:
    from tfxkit.serving import rest
    from tfxkit.serving.models import ModelStore

    store = ModelStore(str(base / "ws" / "serving"))
    store.refresh()
    return rest.handle(store, "POST", f"/v1/models/{NAME}:predict", json.dumps(body).encode())


def test_serve_explains_a_prediction_against_a_baseline_instance(runs) -> None:
    """An instance that differs from its baseline only in ``planted``: all of the change in the
    positive probability is attributed to ``planted`` (completeness), nothing to the others."""
    base, _, _ = runs
    instance = {**PERSON, "planted": 1.2}

    status, before = _serve(base, {"instances": [PERSON]})
    assert status == 200, before
    status, answer = _serve(base, {"instances": [instance], "explain": {"baseline": [PERSON]}})
    assert status == 200, answer

    [explained] = answer["explanations"]
    change = (
        answer["predictions"][0]["probabilities"][1] - before["predictions"][0]["probabilities"][1]
    )
    print("served attributions:", explained, "change in probability:", change)  # noqa: T201
    assert set(explained) == set(FEATURES)
    assert explained["planted"] == pytest.approx(change, abs=0.01) and abs(change) > 0.05
    assert all(explained[n] == pytest.approx(0.0, abs=1e-6) for n in explained if n != "planted")


def test_serve_explains_instances_against_their_mean_and_refuses_one(runs) -> None:
    base, _, _ = runs
    rows = [
        {**PERSON, "planted": p, "age": a, "class_of_worker": c}
        for p, a, c in ((0.0, 44, "Private"), (1.0, 46, "Federal government"), (0.5, 45, "Never"))
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
