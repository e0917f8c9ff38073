"""Training throughput by strategy, and the input pipeline's share of a step.

Each strategy runs in its own child process (logical CPU devices exist only before TensorFlow
starts): tfxkit's ``build_model`` (a wide-and-deep model over 12 numeric and 4 categorical
inputs, hidden [128, 64]) trained with tfxkit's ``make_strategy`` on synthetic rows shaped like
transformed examples, through a ``tf.data`` pipeline with parallel maps, AUTOTUNE and prefetch.
For each: examples/second over the timed epoch (after a warm-up epoch), and the time to iterate
the same batches without training, as a share of the training time.

    .venv/bin/python bench/training.py [--steps 300] [--batch 64]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STRATEGIES = [("default", 1), ("mirrored", 2)]  # (strategy, logical CPU devices)
NUMERIC, CATEGORICAL, DEPTH = 12, 4, 20


def _custom_config() -> dict:
    features = [
        {"key": f"n{i}", "transform": "zscore", "missing": {"indicator": False}}
        for i in range(NUMERIC)
    ] + [
        {"key": f"c{i}", "transform": "hash", "hash_buckets": DEPTH, "missing": {}}
        for i in range(CATEGORICAL)
    ]
    return {
        "features": features,
        "label": {"task": "binary", "derive": "x > 0", "name": "y", "key": "y"},
        "model": {
            "type": "wide_and_deep",
            "hidden_units": [128, 64],
            "learning_rate": 0.01,
            "embedding_dim": 8,
        },
    }


def _dataset(global_batch: int, rows: int = 40_000):
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    columns = {f"n{i}_xf": rng.normal(size=(rows, 1)).astype("float32") for i in range(NUMERIC)}
    columns.update({f"c{i}_xf": rng.integers(0, DEPTH, size=(rows, 1)) for i in range(CATEGORICAL)})
    label = (columns["n0_xf"] + columns["n1_xf"] > 0).astype("int64")

    def parse(features, y):  # a per-row map, standing in for parsing, run in parallel
        return {k: tf.identity(v) for k, v in features.items()}, y

    return (
        tf.data.Dataset.from_tensor_slices((columns, label))
        .map(parse, num_parallel_calls=tf.data.AUTOTUNE)
        .repeat()
        .batch(global_batch)
        .prefetch(tf.data.AUTOTUNE)
    )


def worker(strategy_name: str, devices: int, steps: int, batch: int) -> dict:
    from tfxkit.training.strategies import describe, make_strategy, split_cpu

    split_cpu(devices)
    strategy = make_strategy(strategy_name)
    global_batch = batch * strategy.num_replicas_in_sync
    from tfxkit.training.keras_trainer import build_model

    with strategy.scope():
        model = build_model(_custom_config(), None)
    dataset = _dataset(global_batch)
    model.fit(dataset, epochs=1, steps_per_epoch=20, verbose=0)  # warm-up: tracing, threads
    start = time.perf_counter()
    model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
    train_seconds = time.perf_counter() - start
    iterator = iter(dataset)
    start = time.perf_counter()
    for _ in range(steps):
        next(iterator)
    input_seconds = time.perf_counter() - start
    return {
        "strategy": strategy_name,
        "described": describe(strategy),
        "global_batch": global_batch,
        "examples_per_second": steps * global_batch / train_seconds,
        "input_share": input_seconds / train_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=64, help="per replica")
    parser.add_argument("--worker", nargs=2, metavar=("STRATEGY", "DEVICES"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]), args.steps, args.batch)))
        return
    results = []
    for name, devices in STRATEGIES:
        child = subprocess.run(
            [sys.executable, __file__, "--worker", name, str(devices)]
            + ["--steps", str(args.steps), "--batch", str(args.batch)],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        )
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(f"{'strategy':<10} {'replicas / devices':<70} {'global batch':>12} "
          f"{'examples/s':>11} {'input share':>11}")  # fmt: skip
    for r in results:
        print(
            f"{r['strategy']:<10} {r['described'][:70]:<70} {r['global_batch']:>12} "
            f"{r['examples_per_second']:>11.0f} {r['input_share']:>11.1%}"
        )
    base = results[0]["examples_per_second"]
    for r in results[1:]:
        ratio = r["examples_per_second"] / base
        print(f"ratio {r['strategy']}/default examples per second: {ratio:.2f}")


if __name__ == "__main__":
    main()
