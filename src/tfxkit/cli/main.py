"""Command line: ``tfxkit run|compile|schedule|run-ir|init|schema`` (and ``serve`` and
``serving``, defined in ``cli_serving``); ``run-pipeline`` = ``tfxkit run``.

Errors a user can fix (bad config, bad pipeline file, a failed component) print one paragraph
and exit non-zero; ``--verbose`` shows TFX's own logs and the traceback.

Why one module over 500 lines: it is the argparse definition of seven commands (about half
the file) plus a thin handler per command that loads, calls one library function and prints;
the handlers share the parser's argument helpers and the one error path in ``_dispatch``.
Logic does not live here: it is in runners, schema_tools, init_config and report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tfxkit.cli import serving as cli_serving
from tfxkit.runners.quiet import quiet_frameworks
from tfxkit.runners.registry import runner_names


def _add_pipeline_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "pipeline",
        nargs="?",
        default=None,
        help="pipeline definition file (defines create_pipeline); default: the standard "
        "pipeline (ingest, validate, transform, train, evaluate, push) built from the config",
    )
    parser.add_argument("--config", "-c", required=True, help="pipeline YAML config")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a config value (repeatable), e.g. --set training.epochs=3",
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="show TFX/Beam logs and tracebacks"
    )


def _add_remote_args(parser: argparse.ArgumentParser, *, profile_required: bool = False) -> None:
    parser.add_argument(
        "--profile",
        "-p",
        required=profile_required,
        metavar="PATH",
        help="runner profile YAML for kubeflow/vertex (image, shared locations, resources, "
        "Beam options), e.g. configs/kubeflow.yaml",
    )
    parser.add_argument(
        "--host", metavar="URL", help="Kubeflow Pipelines API URL (overrides kubeflow.host)"
    )
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        help="Vertex AI API endpoint (default: Google's regional endpoint)",
    )


def _add_run_args(parser: argparse.ArgumentParser) -> None:
    _add_pipeline_args(parser)
    parser.add_argument(
        "--runner",
        choices=runner_names(),
        default="beam",
        help="beam = run on this machine (TFX LocalDagRunner, Beam DirectRunner); "
        "kubeflow / vertex = compile to a KFP v2 PipelineSpec and submit it",
    )
    _add_remote_args(parser)
    parser.add_argument(
        "--compile-only",
        action="store_true",
        help="kubeflow/vertex: write the compiled spec under build/ and stop",
    )
    parser.add_argument(
        "--output", "-o", metavar="PATH", help="kubeflow/vertex: compiled spec path (.json|.yaml)"
    )
    parser.add_argument(
        "--schedule",
        metavar="CRON",
        help="kubeflow/vertex: create or update a recurring run instead of one run",
    )
    parser.add_argument(
        "--schedule-name",
        default="default",
        metavar="NAME",
        help="name of the schedule (with the pipeline name, its key); default 'default'",
    )
    parser.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="re-execute every component even if an identical execution exists in MLMD",
    )
    parser.add_argument(
        "--summary-json", metavar="PATH", help="also write the run summary as JSON to PATH"
    )
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="if another run of this pipeline holds its lock (same workspace, or the same "
        "pipeline in a shared MySQL store), fail at once (exit 3) instead of waiting",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfxkit",
        description="Describe a TFX pipeline once (Python + YAML); run it locally or compile it.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_p = sub.add_parser(
        "run",
        help="run a pipeline (same as run-pipeline)",
        description="Run a pipeline end to end and print a summary.",
    )
    _add_run_args(run_p)
    compile_p = sub.add_parser(
        "compile",
        help="compile a pipeline to IR without running it",
        description="Compile a pipeline and write its IR so you can see exactly what will run.",
    )
    _add_pipeline_args(compile_p)
    compile_p.add_argument(
        "--format",
        choices=("tfx-ir", "kfp"),
        default="tfx-ir",
        help="tfx-ir: TFX pipeline_pb2.Pipeline in protobuf text format (what the local runner "
        "executes); kfp: KFP v2 PipelineSpec for Kubeflow/Vertex (needs --profile)",
    )
    compile_p.add_argument(
        "--profile", "-p", metavar="PATH", help="runner profile (required for --format kfp)"
    )
    compile_p.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="output file (default build/<name>.pbtxt, or the profile's output for kfp)",
    )

    schedule_p = sub.add_parser(
        "schedule",
        help="manage recurring runs on Kubeflow or Vertex",
        description="Schedules are keyed by pipeline name and schedule name: applying the same "
        "schedule twice changes nothing; applying a changed one replaces it.",
    )
    schedule_sub = schedule_p.add_subparsers(dest="action", required=True, metavar="ACTION")
    apply_p = schedule_sub.add_parser("apply", help="create or update a schedule")
    _add_pipeline_args(apply_p)
    _add_remote_args(apply_p, profile_required=True)
    apply_p.add_argument("--cron", required=True, help="cron expression, e.g. '0 3 * * *'")
    apply_p.add_argument("--name", default="default", help="schedule name (default 'default')")
    apply_p.add_argument(
        "--no-cache", dest="cache", action="store_false", help="disable caching in scheduled runs"
    )
    for action in ("list", "pause", "resume", "delete"):
        action_p = schedule_sub.add_parser(action, help=f"{action} schedules")
        _add_remote_args(action_p, profile_required=True)
        action_p.add_argument(
            "--pipeline", metavar="NAME", required=action != "list", help="pipeline name"
        )
        if action != "list":
            action_p.add_argument("--name", default="default", help="schedule name")
        action_p.add_argument("--verbose", "-v", action="store_true", help="show tracebacks")

    run_ir_p = sub.add_parser(
        "run-ir",
        help="execute a compiled KFP spec locally, task by task",
        description="Walk a compiled PipelineSpec's DAG and run each task's container command "
        "as a subprocess here, with a local pipeline root: proof that the compiled file runs.",
    )
    run_ir_p.add_argument("spec", help="compiled spec (build/<name>.json or .yaml)")
    run_ir_p.add_argument(
        "--pipeline-root", metavar="DIR", help="local pipeline root (default: the spec's)"
    )
    run_ir_p.add_argument("--verbose", "-v", action="store_true", help="show tracebacks")

    init_p = sub.add_parser(
        "init",
        help="draft a pipeline config from a CSV file or a directory of CSV files",
        description="Read a sample of the data (seconds, no TFX): infer the CSV dialect, each "
        "column's type and transform and the label's task, and write a commented config that "
        "validates. Then run it: run-pipeline -c FILE.",
    )
    init_p.add_argument(
        "--data", required=True, metavar="PATH", help="a CSV file, or a directory of CSV files"
    )
    init_p.add_argument(
        "--label",
        metavar="COLUMN",
        help="the column to predict (without it, init lists candidates and writes nothing)",
    )
    init_p.add_argument("--name", help="pipeline name (default: from the file or directory)")
    init_p.add_argument(
        "--output", "-o", metavar="FILE", help="where to write (default configs/<name>.yaml)"
    )
    init_p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    init_p.add_argument("--verbose", "-v", action="store_true", help="show tracebacks")
    schema_p = sub.add_parser(
        "schema",
        help="infer, freeze or diff the data schema (schema as code)",
        description="infer: print the schema TFDV infers from the data. freeze: write the schema "
        "of record (the last approved run's, else inferred) for review, then pin it with "
        "schema.path. diff: validate data against the reference schema (schema.path, else the "
        "last approved run's) and list the anomalies; exit 1 when there are any.",
    )
    schema_p.add_argument("action", choices=("infer", "freeze", "diff"))
    schema_p.add_argument("--config", "-c", required=True, help="pipeline YAML config")
    schema_p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a config value (repeatable)",
    )
    schema_p.add_argument("--data", metavar="DIR", help="data directory (default: data.path)")
    schema_p.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="infer: write here instead of printing; freeze: default configs/schemas/<name>.pbtxt",
    )
    schema_p.add_argument("--force", action="store_true", help="freeze: overwrite FILE")
    schema_p.add_argument("--verbose", "-v", action="store_true", help="show tracebacks")
    cli_serving.add_parsers(sub)
    return parser


def run_pipeline_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run-pipeline",
        description="Run a tfxkit pipeline end to end (the same as `tfxkit run`).",
    )
    _add_run_args(parser)
    return parser


def _load(args: argparse.Namespace):
    from tfxkit.config.pipeline_config import load_config

    config = load_config(args.config, args.overrides)  # fails fast, before TFX is imported
    quiet_frameworks(args.verbose)
    from tfxkit.pipeline.dsl import load_pipeline

    return load_pipeline(args.pipeline, config)


def _load_profile(args: argparse.Namespace, runner: str | None = None):
    from tfxkit.runners.remote import resolve_profile

    return resolve_profile(args.profile, runner)


def _compile_remote(args: argparse.Namespace, profile, **options) -> int:
    """Load the config, then compile (and submit or schedule) with the runner profile."""
    from tfxkit.config.pipeline_config import load_config

    config = load_config(args.config, args.overrides)  # fails fast, before TFX is imported
    quiet_frameworks(args.verbose)
    from tfxkit.runners.remote import run_remote

    run_remote(args.pipeline, config, profile, progress=_progress, **options)
    return 0


def _cmd_schedule(args: argparse.Namespace) -> int:
    profile = _load_profile(args)
    if args.action == "apply":
        return _compile_remote(
            args,
            profile,
            enable_cache=args.cache,
            host=args.host,
            endpoint=args.endpoint,
            schedule=args.cron,
            schedule_name=args.name,
        )
    quiet_frameworks(args.verbose)
    from tfxkit.runners.remote import manage_schedule

    manage_schedule(
        args.action,
        profile,
        pipeline_name=args.pipeline,
        schedule_name=getattr(args, "name", "default"),
        host=args.host,
        endpoint=args.endpoint,
        progress=_progress,
    )
    return 0


def _cmd_run_ir(args: argparse.Namespace) -> int:
    quiet_frameworks(args.verbose)
    from tfxkit.runners.spec_launcher import run_compiled

    summary = run_compiled(Path(args.spec), args.pipeline_root, progress=_progress)
    counts: dict[str, int] = {}
    for task in summary.tasks:
        counts[task.status] = counts.get(task.status, 0) + 1
    print("")
    print(f"run id:        {summary.run_id}")
    print(f"pipeline:      {summary.pipeline_name}")
    print("tasks:         " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    print(f"pipeline root: {summary.pipeline_root}")
    for warning in summary.warnings:
        print(f"warning:       {warning}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from tfxkit.runners.session import run, write_summary

    remote = {}
    if args.runner != "beam":
        remote = dict(
            profile=args.profile,
            compile_only=args.compile_only,
            host=args.host,
            endpoint=args.endpoint,
            schedule=args.schedule,
            schedule_name=args.schedule_name,
            output=args.output,
        )
    try:
        summary = run(
            args.config,
            args.pipeline,
            runner=args.runner,
            overrides=args.overrides,
            cache=args.cache,
            wait=not args.no_wait,
            progress=_progress,
            verbose=args.verbose,
            **remote,
        )
    except Exception as exc:  # a failed run still leaves its summary (failed component, why)
        if args.summary_json and getattr(exc, "summary", None):
            write_summary(args.summary_json, exc.summary)
        raise
    if args.runner != "beam":
        return 0
    _ignore_late_interrupts()
    _print_summary(summary)
    if args.summary_json:
        write_summary(args.summary_json, summary)
    return 0


def _ignore_late_interrupts() -> None:
    """The run is complete and recorded: a Ctrl-C while the summary prints or the process
    shuts TensorFlow down must not turn it into a traceback or a death by signal."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _cmd_compile(args: argparse.Namespace) -> int:
    if args.format == "kfp":
        return _compile_remote(args, _load_profile(args), compile_only=True, output=args.output)
    builder = _load(args)
    from tfxkit.metadata.store import connection_config
    from tfxkit.pipeline.compiler import compile_tfx_ir, ir_text
    from tfxkit.runners.local import beam_pipeline_args

    config = builder.config
    ir = compile_tfx_ir(
        builder.build(
            metadata_connection_config=connection_config(config, with_password=False),
            beam_pipeline_args=beam_pipeline_args(config),
        )
    )
    out = Path(args.output or f"build/{config.name}.pbtxt")
    out.parent.mkdir(parents=True, exist_ok=True)
    header = ""
    if config.metadata.mysql:
        variable = config.metadata.mysql.password_env
        header = (
            f"# ML Metadata password: not written here; read from ${variable} by the process "
            "that runs this pipeline.\n"
        )
    out.write_text(header + ir_text(ir))
    print(f"wrote TFX IR for '{config.name}' ({len(ir.nodes)} nodes) to {out}")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.errors import ConfigError, anomaly_table

    config = load_config(args.config, args.overrides)
    quiet_frameworks(args.verbose)
    from tfxkit.pipeline import schema_tools

    if args.action == "infer":
        text = schema_tools.schema_text(schema_tools.infer(config, args.data))
        if not args.output:
            print(text, end="")
            return 0
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
        print(f"wrote the inferred schema to {args.output}")
        return 0
    if args.action == "freeze":
        out = Path(args.output or f"configs/schemas/{config.name}.pbtxt")
        if out.exists() and not args.force:
            raise ConfigError(f"{out} already exists (nothing was written); pass --force")
        approved = schema_tools.approved_schema(config)
        schema = approved[0] if approved else schema_tools.infer(config, args.data)
        source = f"the last approved run ({approved[1]})" if approved else "inferred from the data"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(schema_tools.schema_text(schema))
        print(f"wrote the schema of record, {source}, to {out}")
        print(f"review it, commit it, and pin it in the config:  schema: {{path: {out}}}")
        return 0
    rows, source = schema_tools.diff(config, args.data)
    if not rows:
        print(f"no anomalies: the data fits the schema {source}")
        return 0
    print(f"{len(rows)} anomalies against the schema {source}:")
    print(anomaly_table(rows))
    return 1


def _cmd_init(args: argparse.Namespace) -> int:
    import yaml

    from tfxkit.config.pipeline_config import validate_config
    from tfxkit.data.init_draft import build_draft
    from tfxkit.errors import ConfigError

    draft = build_draft(args.data, label=args.label, name=args.name, output=args.output)
    width = max(len(p.name) for p in draft.profiles)
    use_width = min(max(len(use) for use in draft.uses.values()), 40)
    print(f"{args.data}: {draft.profiles[0].rows} rows read; {draft.describe()}")
    for p in draft.profiles:
        use = draft.uses[p.name].ljust(use_width)
        print(f"  {p.name:<{width}}  {p.type:<6}  {use}  {p.missing_share:6.1%} missing")
    if draft.label is None:
        candidates = "; ".join(draft.candidates()) or "none"
        raise ConfigError(
            f"{args.data}: choose the label, the column the model learns to predict, and run "
            f"again with --label COLUMN (nothing was written). Likely candidates: {candidates}."
        )
    out = Path(draft.output)
    if out.exists() and not args.force:
        raise ConfigError(f"{out} already exists (nothing was written); pass --force to replace it")
    validate_config(yaml.safe_load(draft.text), f"(the draft for {args.data})")  # never write one
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(draft.text)
    for warning in draft.warnings:
        print(f"warning: {warning}")
    print(f"wrote {out}; check it, then run:")
    print(f"  run-pipeline -c {out}")
    return 0


def _progress(line: str) -> None:
    print(line, flush=True)


def _print_summary(summary) -> None:
    from tfxkit.runners.report import summary_lines

    print("\n".join(summary_lines(summary)))


def _dispatch(args: argparse.Namespace) -> int:
    from tfxkit.errors import exit_code, format_error

    commands = {
        "compile": _cmd_compile,
        "run": _cmd_run,
        "schedule": _cmd_schedule,
        "run-ir": _cmd_run_ir,
        "init": _cmd_init,
        "schema": _cmd_schema,
        "serve": cli_serving.cmd_serve,
        "serving": cli_serving.cmd_serving,
    }
    try:
        return commands[args.command](args)
    except KeyboardInterrupt:  # before a run held its lock (a run raises Interrupted)
        print("interrupted; nothing was started", file=sys.stderr)
        return 130
    except Exception as exc:  # one formatter for every error; --verbose keeps the traceback
        if args.verbose:
            raise
        print(format_error(exc), file=sys.stderr)
        return exit_code(exc)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return _dispatch(args)


def run_pipeline_main(argv: list[str] | None = None) -> int:
    args = run_pipeline_parser().parse_args(argv)
    args.command = "run"
    return _dispatch(args)


def console_main() -> None:
    sys.exit(main())


def console_run_pipeline() -> None:
    sys.exit(run_pipeline_main())


if __name__ == "__main__":
    console_main()
