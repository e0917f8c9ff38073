"""``tfxkit schedule apply|list|pause|resume|delete``: recurring runs on Kubeflow or Vertex."""

from __future__ import annotations

from typing import Any

import click

from tfxkit.cli.common import (
    TfxkitGroup,
    compile_remote,
    pipeline_options,
    progress,
    remote_options,
    verbose_option,
)


@click.group(
    "schedule",
    cls=TfxkitGroup,
    short_help="manage recurring runs on Kubeflow or Vertex",
    help="Schedules are keyed by pipeline name and schedule name: applying the same schedule "
    "twice changes nothing; applying a changed one replaces it.",
)
def schedule() -> None:
    """The group itself does nothing: each action is a subcommand."""


@schedule.command(
    "apply",
    short_help="create or update a schedule",
    help="Compile the pipeline and create or update its recurring run.",
)
@pipeline_options
@remote_options(profile_required=True)
@click.option("--cron", required=True, help="cron expression, e.g. '0 3 * * *'")
@click.option("--name", default="default", help="schedule name (default 'default')")
@click.option("--no-cache", is_flag=True, help="disable caching in scheduled runs")
def apply(
    pipeline: str | None,
    config: str,
    overrides: tuple[str, ...],
    verbose: bool,
    profile: str,
    host: str | None,
    endpoint: str | None,
    cron: str,
    name: str,
    no_cache: bool,
) -> int:
    return compile_remote(
        config,
        overrides,
        pipeline,
        profile,
        verbose=verbose,
        enable_cache=not no_cache,
        host=host,
        endpoint=endpoint,
        schedule=cron,
        schedule_name=name,
    )


def _manage(action: str, *, profile: str, pipeline: str | None, verbose: bool, **rest: Any) -> int:
    """list, pause, resume, delete: one call to the backend, which prints what it did."""
    from tfxkit.runners.quiet import quiet_frameworks
    from tfxkit.runners.remote import manage_schedule, resolve_profile

    loaded = resolve_profile(profile, None)
    quiet_frameworks(verbose)
    manage_schedule(
        action,
        loaded,
        pipeline_name=pipeline,
        schedule_name=rest.get("name", "default"),
        host=rest["host"],
        endpoint=rest["endpoint"],
        progress=progress,
    )
    return 0


def _action(action: str, summary: str) -> click.Command:
    """One management action; all but ``list`` name one schedule (pipeline and name)."""
    one = action != "list"
    decorators = [
        schedule.command(action, short_help=summary, help=summary[0].upper() + summary[1:] + "."),
        remote_options(profile_required=True),
        click.option(
            "--pipeline",
            metavar="NAME",
            required=one,
            help="pipeline name" + ("" if one else " (default: every pipeline)"),
        ),
    ]
    if one:
        decorators.append(click.option("--name", default="default", help="schedule name"))
    decorators.append(verbose_option())

    def handler(**options: Any) -> int:
        return _manage(action, **options)

    for decorator in reversed(decorators):
        handler = decorator(handler)
    return handler


list_schedules = _action("list", "list schedules")
pause = _action("pause", "pause a schedule")
resume = _action("resume", "resume a paused schedule")
delete = _action("delete", "delete a schedule")
