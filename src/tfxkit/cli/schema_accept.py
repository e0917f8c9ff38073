"""``tfxkit schema accept`` and ``tfxkit schema history``: printing and confirming only; the
plan and the record are ``tfxkit.pipeline.schema_evolution``'s."""

from __future__ import annotations

import click

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.errors import ConfigError, DataError, anomaly_table


def accept(config: PipelineConfig, data: str | None, reason: str | None, yes: bool) -> int:
    from tfxkit.pipeline import schema_evolution

    if yes and not (reason or "").strip():
        raise ConfigError(
            "tfxkit schema accept --yes needs --reason TEXT: why the data changed is recorded "
            "with the schema (nothing was written)"
        )
    plan = schema_evolution.plan(config, data)
    if not plan.changes and not plan.blocking:
        click.echo(f"nothing to accept: the data fits the schema of record ({plan.source})")
        return 0
    click.echo(f"the schema of record ({plan.source}) would change:")
    for change in plan.changes:
        click.echo(change.line())
    if plan.blocking:
        raise DataError(
            f"{len(plan.blocking)} anomalies remain that accepting cannot absorb (nothing was "
            f"written); fix the data or the config:\n{anomaly_table(plan.blocking)}"
        )
    absent = schema_evolution.configured_but_absent(config, plan.schema)
    if absent:
        raise ConfigError(
            f"the config still lists {', '.join(repr(a) for a in absent)}, which the data no "
            "longer has: remove or rename it in the config's features, then accept again "
            "(nothing was written)"
        )
    if not yes:
        click.echo("nothing recorded: re-run with --yes --reason TEXT to accept these changes")
        return 0
    where = schema_evolution.record(config, plan, reason.strip())
    click.echo(
        f"accepted: the schema of record is now {where}; the next run is validated against it"
    )
    reset = schema_evolution.reset_unreadable_baseline(config, plan, reason.strip())
    if reset:
        click.echo(
            f"the Evaluator's baseline is {reset} (compare with one anyway: tfxkit baseline pin)"
        )
    return 0


def history(config: PipelineConfig) -> int:
    from tfxkit.pipeline import schema_evolution as evolution

    rows = evolution.acceptances(config)
    if not rows:
        click.echo(f"no schema acceptances recorded for '{config.name}'")
        return 0
    for row in rows:
        click.echo(
            f"{row[evolution.ACCEPTED_AT]}  {row[evolution.ACCEPTED_BY]}: "
            f"{row[evolution.ACCEPTED_WHY]}  ({row['uri']})"
        )
    return 0
