"""False alarms and power of the anomaly gate's default drift rule (issue 28 #1).

The numbers docs/data-validation.md quotes: bootstrap resamples of the shipped penguins
compared with each other (the null: every column, 3,000 pairs per size), and body mass
shifted tenfold, by one and by half a standard deviation (200 pairs per size). Histograms
are bucketed as TFDV's quantile histogram buckets them (``distances.Cdf.from_sample``).
About two minutes on one core.

    .venv/bin/python bench/drift_alarms.py [--pairs 3000] [--seed 12345]
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter

import numpy as np

from tfxkit.components.anomaly_gate import distances as d
from tfxkit.datasets.penguins import data_dir

NUMBERS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
STRINGS = ("species", "island", "sex")


def _columns() -> dict[str, np.ndarray]:
    with (data_dir() / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    out = {c: np.array([float(r[c]) for r in rows if r[c] not in ("", "NA")]) for c in NUMBERS}
    return out | {c: np.array([r[c] or "NA" for r in rows]) for c in STRINGS}


def _level(shift: d.Shift | None) -> str:
    return shift.level if shift else "none"


def null(columns: dict[str, np.ndarray], pairs: int, rng: np.random.Generator) -> None:
    total: Counter[str] = Counter()
    for n in (30, 113, 227, 1000, 5000):
        found: Counter[str] = Counter()
        for _ in range(pairs):
            for name in NUMBERS:
                a, b = (d.Cdf.from_sample(rng.choice(columns[name], n)) for _ in "ab")
                found[_level(d.numeric_shift(a, b))] += 1
            for name in STRINGS:
                a, b = (Counter(rng.choice(columns[name], n).tolist()) for _ in "ab")
                found[_level(d.categorical_shift(a, b))] += 1
        print(f"resamples  n={n:<5} {dict(found)}", flush=True)
        total.update(found)
    print(f"resamples  all     {dict(total)}")


def power(columns: dict[str, np.ndarray], rng: np.random.Generator) -> None:
    mass = columns["body_mass_g"]
    shifts = {
        "tenfold": lambda v: v * 10,
        "+1 std": lambda v: v + mass.std(),
        "+0.5 std": lambda v: v + 0.5 * mass.std(),
    }
    for n in (30, 100, 340):
        for name, shifted in shifts.items():
            found = Counter(
                _level(
                    d.numeric_shift(
                        d.Cdf.from_sample(rng.choice(mass, n)),
                        d.Cdf.from_sample(shifted(rng.choice(mass, n))),
                    )
                )
                for _ in range(200)
            )
            print(f"shifted    n={n:<5} {name:<9} {dict(found)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    columns = _columns()
    null(columns, args.pairs, rng)
    power(columns, rng)


if __name__ == "__main__":
    main()
