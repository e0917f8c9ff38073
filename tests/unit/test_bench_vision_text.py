"""bench/vision_text.py's own arithmetic: the AUC it compares models by, and the rows per
second it reports per stage (the measurement itself is the bench's full run)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from tests.paths import REPO


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("vision_text", REPO / "bench" / "vision_text.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_auc_is_sklearns_with_ties(bench) -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    labels = rng.random(500) < 0.4
    scores = np.round(rng.random(500) + labels * 0.3, 1)  # rounded: many ties
    assert bench.auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))
    assert bench.auc(np.array([0.1, 0.9]), np.array([False, True])) == 1.0


def test_stage_rates_count_the_rows_each_stage_went_through(bench) -> None:
    summary = {
        "nodes": [
            {"node_id": "example_gen", "status": "finished", "seconds": 2.0},
            {"node_id": "trainer", "status": "finished", "seconds": 4.0},
            {"node_id": "evaluator", "status": "finished", "seconds": 3.0},
            {"node_id": "pusher", "status": "finished", "seconds": 1.0},
            {"node_id": "transform", "status": "cached", "seconds": 0.1},
        ]
    }
    stages = bench.stage_rates(
        summary, {"train": 60, "eval": 30}, {"train_steps": 10, "batch_size": 8}
    )
    rates = {s["stage"]: s["rate"] for s in stages}
    assert rates == {"example_gen": 45.0, "trainer": 20.0, "evaluator": 10.0, "pusher": None}
