"""``tfxkit run`` and the ``run-pipeline`` program (the same command under its own name).

The run itself is ``tfxkit.runners.session.run``: this module turns options into its
arguments and prints the summary it returns.
"""

from __future__ import annotations

from typing import Any

import click

from tfxkit.cli.common import (
    CONTEXT_SETTINGS,
    PATH,
    TfxkitCommand,
    output_options,
    pipeline_options,
    progress,
    remote_options,
)
from tfxkit.config.runtime import BeamMode
from tfxkit.runners.registry import remote_runner_names, runner_names

_REMOTE = " / ".join(remote_runner_names())
_RUN_HELP = "Run a pipeline end to end and print a summary."
# Ran to completion, but no model was pushed (not blessed): with --fail-if-not-pushed only.
NOT_PUSHED_EXIT = 4


def _run_options(function: Any) -> Any:
    """Every option of a run, declared once for ``tfxkit run`` and ``run-pipeline``."""
    decorators = (
        pipeline_options,
        click.option(
            "--runner",
            type=click.Choice(runner_names()),
            default="beam",
            show_default=True,
            help=f"beam = run on this machine (TFX LocalDagRunner, Beam DirectRunner); {_REMOTE} "
            "= compile to a KFP v2 PipelineSpec and submit it",
        ),
        remote_options(),
        click.option(
            "--beam-mode",
            type=click.Choice([mode.value for mode in BeamMode]),
            default=None,
            help="local runs: runner.beam.mode for this run; portable = rehearse the Beam "
            "components on separate worker processes with their own interpreter (PortableRunner)",
        ),
        click.option(
            "--compile-only",
            is_flag=True,
            help=f"{_REMOTE}: write the compiled spec under build/ and stop",
        ),
        output_options(f"{_REMOTE}: compiled spec path (.json|.yaml)", metavar="PATH"),
        click.option(
            "--schedule",
            metavar="CRON",
            help=f"{_REMOTE}: create or update a recurring run instead of one run",
        ),
        click.option(
            "--schedule-name",
            default="default",
            metavar="NAME",
            help="name of the schedule (with the pipeline name, its key); default 'default'",
        ),
        click.option(
            "--no-cache",
            is_flag=True,
            help="re-execute every component even if an identical execution exists in MLMD",
        ),
        click.option(
            "--summary-json",
            metavar="PATH",
            type=PATH,
            help="also write the run summary as JSON to PATH",
        ),
        click.option(
            "--fail-if-not-pushed",
            is_flag=True,
            help=f"local runs: exit {NOT_PUSHED_EXIT} when the run completed but pushed no model "
            "(a gate did not bless it), so CI can tell a refusal from a push; default: exit 0 "
            "(the summary says why)",
        ),
        click.option(
            "--no-wait",
            is_flag=True,
            help="if another run of this pipeline holds its lock (same workspace, or the same "
            "pipeline in a shared MySQL store), fail at once (exit 3) instead of waiting",
        ),
    )
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def run_command(
    *,
    pipeline: str | None,
    config: str,
    overrides: tuple[str, ...],
    verbose: bool,
    runner: str,
    profile: str | None,
    host: str | None,
    endpoint: str | None,
    compile_only: bool,
    output: str | None,
    schedule: str | None,
    schedule_name: str,
    no_cache: bool,
    summary_json: str | None,
    no_wait: bool,
    fail_if_not_pushed: bool = False,
    beam_mode: str | None = None,
) -> int:
    """Hand the options to the run session; print (and maybe write) the summary it returns."""
    from tfxkit.runners.session import run, write_summary

    remote_run = runner in remote_runner_names()
    remote: dict[str, Any] = {}
    if remote_run:
        remote = dict(
            profile=profile,
            compile_only=compile_only,
            host=host,
            endpoint=endpoint,
            schedule=schedule,
            schedule_name=schedule_name,
            output=output,
        )
    try:
        summary = run(
            config,
            pipeline,
            runner=runner,
            overrides=[*overrides, *([f"runner.beam.mode={beam_mode}"] if beam_mode else [])],
            cache=not no_cache,
            wait=not no_wait,
            progress=progress,
            verbose=verbose,
            **remote,
        )
    except Exception as exc:  # a failed run still leaves its summary (failed component, why)
        if summary_json and getattr(exc, "summary", None):
            write_summary(summary_json, exc.summary)
        raise
    if remote_run:  # the remote runner printed what it submitted, as progress
        return 0
    _ignore_late_interrupts()
    from tfxkit.runners.report import summary_lines

    click.echo("\n".join(summary_lines(summary)))
    if summary_json:
        write_summary(summary_json, summary)
    if fail_if_not_pushed and not summary.pushed_path:
        click.echo(
            f"not pushed: the run completed but no model was pushed (exit {NOT_PUSHED_EXIT}, "
            "--fail-if-not-pushed)",
            err=True,
        )
        return NOT_PUSHED_EXIT
    return 0


def _ignore_late_interrupts() -> None:
    """The run is complete and recorded: a Ctrl-C while the summary prints or the process
    shuts TensorFlow down must not turn it into a traceback or a death by signal."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@click.command(
    "run", cls=TfxkitCommand, help=_RUN_HELP, short_help="run a pipeline (same as run-pipeline)"
)
@_run_options
def run(**options: Any) -> int:
    return run_command(**options)


@click.command(
    "run-pipeline",
    cls=TfxkitCommand,
    context_settings=CONTEXT_SETTINGS,
    help="Run a tfxkit pipeline end to end (the same as `tfxkit run`).",
)
@_run_options
def run_pipeline(**options: Any) -> int:
    return run_command(**options)
