"""Overhead of tfxkit over hand-written TFX, and what caching saves.

Runs, each in a fresh child process of this one (one process tree, same machine, same data,
same Beam settings: in_memory, 1 worker):

1. ``plain``  - the penguin pipeline written directly against TFX's API (below), run with
   TFX's own ``LocalDagRunner``; same Transform/Trainer code and hyperparameters.
2. ``tfxkit`` - ``pipelines/penguin.py`` + ``configs/penguin.yaml`` through ``tfxkit.runners.beam``.
3. ``tfxkit`` again on the same workspace with caching on.

Prints wall seconds of the pipeline run inside each child (imports excluded, so the ratio
measures orchestration, not Python start-up) and of each whole child process, then the ratios
tfxkit/plain (target <= 1.0) and cached-rerun/cold (target <= 0.10).

    make bench            # or: .venv/bin/python bench/overhead.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "src" / "tfxkit" / "data" / "penguins"
CONFIG = REPO / "configs" / "penguin.yaml"
PIPELINE = REPO / "pipelines" / "penguin.py"
BEAM_ARGS = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


def plain_tfx_pipeline(workspace: Path):
    """The penguin pipeline as a TFX user would write it by hand."""
    import tensorflow_model_analysis as tfma
    from tfx import v1 as tfx
    from tfx.orchestration import metadata

    features = [
        {"name": "bill_length_mm", "type": "float", "transform": "zscore"},
        {"name": "bill_depth_mm", "type": "float", "transform": "zscore"},
        {"name": "flipper_length_mm", "type": "int", "transform": "zscore"},
        {"name": "body_mass_g", "type": "int", "transform": "zscore"},
        {"name": "island", "type": "string", "transform": "vocabulary"},
        {"name": "sex", "type": "string", "transform": "vocabulary"},
    ]
    label = {"name": "species", "type": "string"}
    example_gen = tfx.components.CsvExampleGen(
        input_base=str(DATA),
        output_config=tfx.proto.Output(
            split_config=tfx.proto.SplitConfig(
                splits=[
                    tfx.proto.SplitConfig.Split(name="train", hash_buckets=2),
                    tfx.proto.SplitConfig.Split(name="eval", hash_buckets=1),
                ]
            )
        ),
    )
    stats = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema = tfx.components.SchemaGen(
        statistics=stats.outputs["statistics"], infer_feature_shape=True
    )
    validator = tfx.components.ExampleValidator(
        statistics=stats.outputs["statistics"], schema=schema.outputs["schema"]
    )
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema.outputs["schema"],
        preprocessing_fn="tfxkit.transform.preprocessing.preprocessing_fn",
        custom_config={"features": features, "label": label},
    )
    trainer = tfx.components.Trainer(
        run_fn="tfxkit.training.keras_trainer.run_fn",
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema.outputs["schema"],
        train_args=tfx.proto.TrainArgs(num_steps=200),
        eval_args=tfx.proto.EvalArgs(num_steps=10),
        custom_config={
            "features": features,
            "label": label,
            "model": {"hidden_units": [16, 8], "learning_rate": 0.01, "dropout": 0.0},
            "training": {
                "epochs": 2,
                "batch_size": 32,
                "train_steps": 200,
                "eval_steps": 10,
                "strategy": "default",
                "seed": 42,
            },
        },
    )
    resolver = tfx.dsl.Resolver(
        strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
        model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        model_blessing=tfx.dsl.Channel(type=tfx.types.standard_artifacts.ModelBlessing),
    ).with_id("latest_blessed_model_resolver")
    accuracy = tfma.MetricConfig(
        class_name="SparseCategoricalAccuracy",
        threshold=tfma.MetricThreshold(
            value_threshold=tfma.GenericValueThreshold(lower_bound={"value": 0.6}),
            change_threshold=tfma.GenericChangeThreshold(
                direction=tfma.MetricDirection.HIGHER_IS_BETTER, absolute={"value": -0.05}
            ),
        ),
    )
    eval_config = tfma.EvalConfig(
        model_specs=[
            tfma.ModelSpec(
                signature_name="serving_examples",
                label_key="species_xf",
                preprocessing_function_names=["transform_features"],
            )
        ],
        slicing_specs=[
            tfma.SlicingSpec(),
            tfma.SlicingSpec(feature_keys=["island"]),
            tfma.SlicingSpec(feature_keys=["sex"]),
        ],
        metrics_specs=[
            tfma.MetricsSpec(metrics=[accuracy, tfma.MetricConfig(class_name="ExampleCount")])
        ],
    )
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=resolver.outputs["model"],
        eval_config=eval_config,
    )
    with tfx.dsl.Cond(evaluator.outputs["blessing"].future()[0].custom_property("blessed") == 1):
        pusher = tfx.components.Pusher(
            model=trainer.outputs["model"],
            model_blessing=evaluator.outputs["blessing"],
            push_destination=tfx.proto.PushDestination(
                filesystem=tfx.proto.PushDestination.Filesystem(
                    base_directory=str(workspace / "serving_model")
                )
            ),
        )
    return tfx.dsl.Pipeline(
        pipeline_name="penguin",
        pipeline_root=str(workspace / "pipeline_root"),
        components=[
            example_gen,
            stats,
            schema,
            validator,
            transform,
            trainer,
            resolver,
            evaluator,
            pusher,
        ],
        enable_cache=True,
        metadata_connection_config=metadata.sqlite_metadata_connection_config(
            str(workspace / "metadata.sqlite")
        ),
        beam_pipeline_args=BEAM_ARGS,
    )


def child(variant: str, workspace: Path) -> None:
    """Run one variant; print {"seconds": ...} for the pipeline run alone."""
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.ERROR)
    if variant == "plain":
        from tfx import v1 as tfx

        started = time.perf_counter()
        tfx.orchestration.LocalDagRunner().run(plain_tfx_pipeline(workspace))
    else:
        from tfxkit.config import load_config
        from tfxkit.dsl import load_pipeline
        from tfxkit.runners import beam

        started = time.perf_counter()
        config = load_config(CONFIG, [f"workspace={workspace}", f"data.path={DATA}"])
        beam.run(load_pipeline(PIPELINE, config), progress=lambda _line: None)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def _measure(variant: str, workspace: Path) -> tuple[float, float]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, __file__, "--child", variant, "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{variant} run failed:\n{result.stderr[-4000:]}")
    inner = json.loads(result.stdout.strip().splitlines()[-1])["seconds"]
    return inner, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1, help="cold runs per variant")
    parser.add_argument("--child", choices=("plain", "tfxkit"), help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workspace)
        return

    results: dict[str, list[tuple[float, float]]] = {"plain": [], "tfxkit": [], "cached": []}
    with tempfile.TemporaryDirectory(prefix="tfxkit-bench-") as tmp:
        for i in range(args.repeats):
            for variant in ("plain", "tfxkit"):  # alternate so drift hits both alike
                workspace = Path(tmp) / f"{variant}-{i}"
                print(f"[bench] {variant} cold run {i + 1}/{args.repeats} ...", flush=True)
                results[variant].append(_measure(variant, workspace))
                if variant == "tfxkit":
                    print(f"[bench] tfxkit cached re-run {i + 1}/{args.repeats} ...", flush=True)
                    results["cached"].append(_measure("tfxkit", workspace))

    def med(name: str, index: int) -> float:
        return statistics.median(r[index] for r in results[name])

    print("")
    print(f"{'run':<16}{'pipeline s':>12}{'process s':>12}")
    for name, label in (
        ("plain", "plain TFX cold"),
        ("tfxkit", "tfxkit cold"),
        ("cached", "tfxkit cached"),
    ):
        print(f"{label:<16}{med(name, 0):>12.1f}{med(name, 1):>12.1f}")
    print("")
    print(
        f"tfxkit/plain (cold, pipeline time):   {med('tfxkit', 0) / med('plain', 0):.3f}"
        "  (target <= 1.0)"
    )
    print(
        f"cached-rerun/cold (tfxkit, pipeline): {med('cached', 0) / med('tfxkit', 0):.3f}"
        "  (target <= 0.10)"
    )
    print(
        f"cached-rerun/cold (whole process):    {med('cached', 1) / med('tfxkit', 1):.3f}"
        "  (includes ~import time of TF/TFX)"
    )


if __name__ == "__main__":
    main()
