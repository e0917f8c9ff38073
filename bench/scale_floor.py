"""The floor under a pipeline run (issue 27 #2): the same work as ``bench/scale.py``'s flights
run, done by a plain script with no pipeline, no Beam and no files between steps.

Same data (``bench/scale.py``'s Parquet sample of the size), same split proportions (train 2 :
eval 1, by a hash of the row number), statistics of both splits (count, missing, mean, std,
min, max, zeros, 10 quantiles per number; distinct values and the top 10 per string), the same
transforms fitted on train (z-score; vocabulary ids, unseen -> one out-of-vocabulary id), the
same Keras model (``training.model.build_model``'s DNN: one-hot ids, 16 and 8 relu units, a
sigmoid; Adam 0.01, with the trainer's AutoGraph rule) for the same steps and batch size on
tf.data, and the Evaluator's binary
metrics on the eval split (accuracy, AUC, precision, recall, calibration, count).

What it leaves out, and a pipeline pays for: writing and re-reading examples, recording ML
Metadata, the schema and its validation, the serving signatures, the blessing. A pipeline
``k`` times this floor spends ``k - 1`` floors on those and on its engine.

    .venv/bin/python bench/scale_floor.py --rows 1M      # prints one JSON line, seconds per part
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

NUMBERS = ["distance", "hour", "month", "weekday"]
STRINGS = ["origin", "destination"]
TRAIN_STEPS, BATCH, HIDDEN, LEARNING_RATE = 1000, 256, (16, 8), 0.01


def statistics(columns: dict[str, np.ndarray]) -> dict[str, dict]:
    """What StatisticsGen computes per feature, in numpy."""
    found = {}
    for name, values in columns.items():
        if values.dtype.kind in "if":
            present = values[~np.isnan(values)] if values.dtype.kind == "f" else values
            found[name] = {
                "count": int(len(present)),
                "missing": int(len(values) - len(present)),
                "mean": float(present.mean()),
                "std": float(present.std()),
                "min": float(present.min()),
                "max": float(present.max()),
                "zeros": int((present == 0).sum()),
                "quantiles": np.quantile(present, np.linspace(0, 1, 11)).tolist(),
            }
        else:
            uniques, counts = np.unique(values, return_counts=True)
            top = np.argsort(-counts)[:10]
            found[name] = {"distinct": int(len(uniques)), "top": uniques[top].tolist()}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1M", help="100k, 1M, 3M, 10M (bench/scale sizes)")
    args = parser.parse_args()
    import scale  # bench/scale.py: the same data, prepared once per size

    rows = scale.parse_size(args.rows)
    seconds: dict[str, float] = {}
    start = time.perf_counter()

    def lap(part: str) -> None:
        nonlocal start
        now = time.perf_counter()
        seconds[part] = round(now - start, 2)
        start = now

    import pyarrow.parquet as pq

    table = pq.read_table(scale.prepare(rows) / "flights.parquet")
    columns = {n: table[n].to_numpy() for n in NUMBERS}
    columns.update({n: np.asarray(table[n].to_pylist(), dtype=str) for n in STRINGS})
    label = (table["delay"].to_numpy() > 15).astype("float32")
    # The split: a hash of the row number into 3 buckets, 2 train and 1 eval.
    mixed = np.arange(rows, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    train = (mixed >> np.uint64(32)) % np.uint64(3) != 0
    lap("read_and_split")

    stats = {
        split: statistics({n: v[rows_of] for n, v in columns.items()})
        for split, rows_of in (("train", train), ("eval", ~train))
    }
    lap("statistics")

    features = {}
    for name in NUMBERS:
        mean, std = stats["train"][name]["mean"], stats["train"][name]["std"] or 1.0
        features[name] = ((columns[name] - mean) / std).astype("float32").reshape(-1, 1)
    depths = {}
    for name in STRINGS:
        vocabulary = np.unique(columns[name][train])
        ids = np.searchsorted(vocabulary, columns[name])
        known = vocabulary[np.minimum(ids, len(vocabulary) - 1)] == columns[name]
        features[name] = np.where(known, ids, len(vocabulary)).astype("int64").reshape(-1, 1)
        depths[name] = len(vocabulary) + 1
    lap("transform")

    import tensorflow as tf
    import tf_keras as keras

    from tfxkit.training.autograph import skip_tf_keras_conversion

    skip_tf_keras_conversion()  # the AutoGraph rule tfxkit's trainer uses (docs/scale.md)
    lap("import_tensorflow")
    keras.utils.set_random_seed(0)
    inputs = {n: keras.Input((1,), name=n) for n in NUMBERS}
    inputs.update({n: keras.Input((1,), name=n, dtype=tf.int64) for n in STRINGS})
    deep = [inputs[n] for n in NUMBERS]
    deep += [
        keras.layers.CategoryEncoding(depths[n], output_mode="one_hot")(inputs[n]) for n in STRINGS
    ]
    x = keras.layers.concatenate(deep)
    for units in HIDDEN:
        x = keras.layers.Dense(units, activation="relu")(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile(keras.optimizers.Adam(LEARNING_RATE), "binary_crossentropy")
    train_data = tf.data.Dataset.from_tensor_slices(
        ({n: v[train] for n, v in features.items()}, label[train])
    )
    train_data = train_data.shuffle(10_000, seed=0).repeat().batch(BATCH).prefetch(2)
    model.fit(train_data, steps_per_epoch=TRAIN_STEPS, epochs=1, verbose=0)
    lap("train")

    held_out = {n: v[~train] for n, v in features.items()}
    scores = model.predict(held_out, batch_size=8192, verbose=0).reshape(-1)
    truth = label[~train]
    predicted = scores >= 0.5
    auc = keras.metrics.AUC(num_thresholds=10_000)
    auc.update_state(truth, scores)
    metrics = {
        "example_count": int(len(truth)),
        "binary_accuracy": float((predicted == truth).mean()),
        "auc": float(auc.result()),
        "precision": float(truth[predicted].mean()) if predicted.any() else 0.0,
        "recall": float(predicted[truth == 1].mean()) if (truth == 1).any() else 0.0,
        "calibration": float(scores.mean() / max(truth.mean(), 1e-9)),
    }
    lap("evaluate")
    total = round(sum(seconds.values()), 2)
    print(json.dumps({"rows": rows, "seconds": seconds, "total": total, "metrics": metrics}))


if __name__ == "__main__":
    main()
