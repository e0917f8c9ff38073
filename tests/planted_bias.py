"""Generated data whose unfairness we control, for the fairness gate's tests.

Two informative features (``x1``, ``x2``) and a sensitive ``group`` the model never sees:
``a`` (most rows), ``b`` (a large minority) and ``c`` (a handful: too small to judge).
In the fair data every group's label follows the same rule of ``x1``. In the biased data,
group ``b``'s labels are coin flips (historically mislabelled), so the model, which learns
the majority's rule, wrongly says "yes" to about half of ``b``'s negatives while ``a``'s
false positive rate stays low: a planted bias against one slice.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

SHARES = {"a": 0.6, "b": 0.38, "c": 0.02}


def write(target: Path, *, biased: bool, rows: int = 1200, seed: int = 11) -> Path:
    rng = random.Random(seed)
    target.mkdir(parents=True)
    with (target / "applicants.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x1", "x2", "group", "approved"])
        for _ in range(rows):
            group = rng.choices(list(SHARES), weights=list(SHARES.values()))[0]
            x1, x2 = rng.gauss(0, 1), rng.gauss(0, 1)
            fair_label = x1 + 0.2 * rng.gauss(0, 1) > 0
            label = rng.random() < 0.5 if biased and group == "b" else fair_label
            writer.writerow([f"{x1:.4f}", f"{x2:.4f}", group, int(label)])
    return target


CONFIG = {
    "name": "fairness",
    "features": [
        {"name": "x1", "type": "float", "transform": "zscore"},
        {"name": "x2", "type": "float", "transform": "zscore"},
    ],
    "label": {"name": "approved", "type": "int", "task": "binary"},
    "training": {"train_steps": 150},
    "evaluation": {"thresholds": {"AUC": {"lower_bound": 0.6, "min_improvement": 0}}},
    "fairness": {
        "sensitive_features": ["group"],
        "metrics": {"false_positive_rate": {"max_difference": 0.15}},
        "reference": {"group": "a"},
    },
}
