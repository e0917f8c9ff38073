"""``tfxkit run-spec``: run a compiled KFP spec here, task by task (``run-ir``: its old name).

Why the rename: the command runs a compiled *spec* (the PipelineSpec file ``compile --format
kfp`` or ``--compile-only`` writes), not TFX IR; ``run-ir`` still works, hidden.
"""

from __future__ import annotations

from pathlib import Path

import click

from tfxkit.cli.common import PATH, TfxkitCommand, progress, verbose_option

#: Old names that still run a command, listed nowhere (``TfxkitGroup(aliases=...)``).
ALIASES = {"run-ir": "run-spec"}


@click.command(
    "run-spec",
    cls=TfxkitCommand,
    short_help="run a compiled KFP spec locally, task by task",
    help="Walk a compiled PipelineSpec's DAG and run each task's container command as a "
    "subprocess here, with a local pipeline root: proof that the compiled file runs. "
    "(Formerly `tfxkit run-ir`, which still works.)",
)
@click.argument("spec", type=PATH, help="compiled spec (build/<name>.json or .yaml)")
@click.option(
    "--pipeline-root",
    metavar="DIR",
    type=PATH,
    help="local pipeline root (default: the spec's)",
)
@verbose_option()
def run_spec(spec: str, pipeline_root: str | None, verbose: bool) -> int:
    from tfxkit.runners.quiet import quiet_frameworks

    quiet_frameworks(verbose)
    from tfxkit.runners.spec_launcher import run_compiled

    summary = run_compiled(Path(spec), pipeline_root, progress=progress)
    counts: dict[str, int] = {}
    for task in summary.tasks:
        counts[task.status] = counts.get(task.status, 0) + 1
    click.echo("")
    click.echo(f"run id:        {summary.run_id}")
    click.echo(f"pipeline:      {summary.pipeline_name}")
    click.echo("tasks:         " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    click.echo(f"pipeline root: {summary.pipeline_root}")
    for warning in summary.warnings:
        click.echo(f"warning:       {warning}")
    return 0
