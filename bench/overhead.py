"""Overhead of tfxkit over hand-written TFX on small data, and the unchanged re-run.

Each run is a cold start in a fresh child process and workspace (same machine, same data):

1. ``plain``         - the penguin pipeline written directly against TFX's API (below), run
   with TFX's ``LocalDagRunner`` and the Beam settings tfxkit chooses for this data
   (``in_memory``, one worker); same Transform/Trainer code and hyperparameters, with
   TensorFlow's AutoGraph rules as a hand-written tf_keras trainer gets them
   (``TFXKIT_KERAS_AUTOGRAPH=1``; see ``tfxkit.training.autograph``).
2. ``plain-default`` - the same with TFX's default settings (no ``beam_pipeline_args``).
   ``plain+rule``    - ``plain`` with tfxkit's AutoGraph rule too (only its orchestration differs).
3. ``tfxkit``        - ``run-pipeline pipelines/penguin.py -c configs/penguin.yaml`` (the CLI).
4. ``unchanged``     - the same command again: nothing changed, so it reports the last run
   without importing TFX (``tfxkit.runners.rerun``).
5. ``cached``        - the same command after touching the store: TFX's cache, every node cached.

Prints pipeline seconds (measured inside each child after TensorFlow and TFX are imported, so
import time is excluded) and whole-process seconds, then the ratios against the targets:
tfxkit/plain <= 0.7, tfxkit/plain-default <= 0.6 (pipeline time), unchanged/cold <= 0.05
(whole process).

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


def plain_tfx_pipeline(workspace: Path, beam_args: list[str]):
    """The penguin pipeline as a TFX user would write it by hand."""
    import tensorflow_model_analysis as tfma
    from tfx import v1 as tfx
    from tfx.orchestration import metadata

    from tfxkit.config.features import feature_spec_config

    # The same Transform/Trainer code and hyperparameters as tfxkit's run: the custom_config
    # those functions read, built from configs/penguin.yaml.
    from tfxkit.config.pipeline_config import load_config

    config = load_config(CONFIG)
    code_config = feature_spec_config(config)
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
        statistics=stats.outputs["statistics"],
        infer_feature_shape=config.schema_.infer_feature_shape,
    )
    validator = tfx.components.ExampleValidator(
        statistics=stats.outputs["statistics"], schema=schema.outputs["schema"]
    )
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema.outputs["schema"],
        preprocessing_fn="tfxkit.transform.preprocessing.preprocessing_fn",
        custom_config=code_config,
    )
    trainer = tfx.components.Trainer(
        run_fn="tfxkit.training.keras_trainer.run_fn",
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema.outputs["schema"],
        train_args=tfx.proto.TrainArgs(num_steps=config.training.train_steps),
        eval_args=tfx.proto.EvalArgs(num_steps=config.training.eval_steps),
        custom_config={
            **code_config,
            "model": config.model.model_dump(mode="json"),
            "training": config.training.model_dump(mode="json"),
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
        beam_pipeline_args=beam_args,
    )


def child(variant: str, workspace: Path) -> None:
    """Run one variant; print {"seconds": ...} for the pipeline run alone."""
    import tensorflow  # noqa: F401  (import time is not pipeline time, for every variant)
    from absl import logging as absl_logging
    from tfx import v1 as tfx

    absl_logging.set_verbosity(absl_logging.ERROR)
    started = time.perf_counter()
    if variant.startswith("plain"):
        beam_args = [] if variant == "plain-default" else BEAM_ARGS  # plain, plain+rule
        tfx.orchestration.LocalDagRunner().run(plain_tfx_pipeline(workspace, beam_args))
    else:
        from tfxkit.cli.main import run_pipeline_main

        code = run_pipeline_main(_tfxkit_args(workspace))
        if code:
            sys.exit(code)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def _tfxkit_args(workspace: Path) -> list[str]:
    return [
        str(PIPELINE),
        "--config",
        str(CONFIG),
        "--set",
        f"workspace={workspace}",
        "--set",
        f"data.path={DATA}",
    ]


def _measure(variant: str, workspace: Path) -> tuple[float | None, float]:
    """(pipeline seconds or None, whole-process seconds) of one child process."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if variant in ("plain", "plain-default"):
        env["TFXKIT_KERAS_AUTOGRAPH"] = "1"
    if variant in ("unchanged", "cached"):  # the real command, as a user types it again
        command = [str(Path(sys.executable).parent / "run-pipeline"), *_tfxkit_args(workspace)]
    else:
        command = [sys.executable, __file__, "--child", variant, "--workspace", str(workspace)]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{variant} run failed:\n{result.stderr[-4000:]}")
    if variant == "unchanged" and "nothing changed since run" not in result.stdout:
        sys.exit(f"the unchanged re-run ran the pipeline:\n{result.stdout[-3000:]}")
    if variant in ("unchanged", "cached"):
        return None, wall
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds"], wall


def _touch_store(workspace: Path) -> None:
    store = workspace / "penguin" / "metadata.sqlite"
    info = store.stat()
    os.utime(store, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))


VARIANTS = ("plain", "plain-default", "plain+rule", "tfxkit", "unchanged", "cached")
COLD = ("plain", "plain-default", "plain+rule", "tfxkit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1, help="cold runs per variant")
    parser.add_argument("--child", choices=COLD, help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workspace)
        return

    results: dict[str, list[tuple[float | None, float]]] = {v: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="tfxkit-bench-") as tmp:
        for i in range(args.repeats):
            for variant in COLD:  # alternate: drift hits all
                workspace = Path(tmp) / f"{variant}-{i}"
                print(f"[bench] {variant} cold run {i + 1}/{args.repeats} ...", flush=True)
                results[variant].append(_measure(variant, workspace))
            workspace = Path(tmp) / f"tfxkit-{i}"
            print(f"[bench] tfxkit unchanged re-run {i + 1}/{args.repeats} ...", flush=True)
            results["unchanged"].append(_measure("unchanged", workspace))
            _touch_store(workspace)
            print(f"[bench] tfxkit cached re-run {i + 1}/{args.repeats} ...", flush=True)
            results["cached"].append(_measure("cached", workspace))

    def med(name: str, index: int) -> float:
        values = [r[index] for r in results[name] if r[index] is not None]
        return statistics.median(values) if values else float("nan")

    print("")
    print(f"{'run':<22}{'pipeline s':>12}{'process s':>12}")
    for name in VARIANTS:
        print(f"{name:<22}{med(name, 0):>12.1f}{med(name, 1):>12.1f}")
    print("")
    checks = (
        ("tfxkit / plain (same Beam settings)", med("tfxkit", 0) / med("plain", 0), 0.7),
        ("tfxkit / plain+rule (orchestration only)", med("tfxkit", 0) / med("plain+rule", 0), 1.0),
        ("tfxkit / plain-default (TFX defaults)", med("tfxkit", 0) / med("plain-default", 0), 0.6),
        ("unchanged re-run / cold (whole process)", med("unchanged", 1) / med("tfxkit", 1), 0.05),
    )
    for label, ratio, target in checks:
        mark = "ok" if ratio <= target else "MISSED"
        print(f"{label:<42}{ratio:>7.3f}  (target <= {target}: {mark})")
    print(
        f"{'cached re-run / cold (whole process)':<42}"
        f"{med('cached', 1) / med('tfxkit', 1):>7.3f}  (TFX's cache: imports TF/TFX, runs nothing)"
    )


if __name__ == "__main__":
    main()
