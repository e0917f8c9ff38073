"""``tfxkit schema infer|freeze|diff|accept|history``: the data schema as code, and how it
evolves on the record (``pipeline.schema_evolution``)."""

from __future__ import annotations

from pathlib import Path

import click

from tfxkit.cli.common import PATH, TfxkitCommand, config_options, output_options, verbose_option


@click.command(
    "schema",
    cls=TfxkitCommand,
    short_help="infer, freeze, diff or accept the data schema (schema as code)",
    help="infer: print the schema TFDV infers from the data. freeze: write the schema of "
    "record (the last approved run's, else inferred) for review, then pin it with "
    "schema.path. diff: validate data against the reference schema (schema.path, else the "
    "last approved run's) and list the anomalies; exit 1 when there are any. accept: show "
    "how the schema of record would move to the data as it now is (new, renamed, removed "
    "columns; new categories) and, with --yes and --reason, record it in ML Metadata (who, "
    "when, why) or rewrite schema.path; the next run is validated against it. history: list "
    "the acceptances.",
)
@click.argument(
    "action",
    type=click.Choice(("infer", "freeze", "diff", "accept", "history")),
    help="infer: print the inferred schema; freeze: write the schema of record; diff: list "
    "the anomalies of the data against the reference schema; accept: move the schema of "
    "record to the data, on the record; history: list the acceptances",
)
@config_options("override a config value (repeatable)")
@click.option("--data", metavar="DIR", type=PATH, help="data directory (default: data.path)")
@output_options(
    "infer: write here instead of printing; freeze: default configs/schemas/<name>.pbtxt",
    force="freeze: overwrite FILE",
)
@click.option("--reason", metavar="TEXT", help="accept: why the data changed (recorded)")
@click.option("--yes", is_flag=True, help="accept: record it (without: show the changes only)")
@verbose_option()
def schema(
    action: str,
    config: str,
    overrides: tuple[str, ...],
    data: str | None,
    output: str | None,
    force: bool,
    reason: str | None,
    yes: bool,
    verbose: bool,
) -> int:
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.errors import ConfigError, anomaly_table
    from tfxkit.runners.quiet import quiet_frameworks

    loaded = load_config(config, list(overrides))
    quiet_frameworks(verbose)
    from tfxkit.pipeline import schema_tools

    if action == "infer":
        text = schema_tools.schema_text(schema_tools.infer(loaded, data))
        if not output:
            click.echo(text, nl=False)
            return 0
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text)
        click.echo(f"wrote the inferred schema to {output}")
        return 0
    if action == "freeze":
        out = Path(output or f"configs/schemas/{loaded.name}.pbtxt")
        if out.exists() and not force:
            raise ConfigError(f"{out} already exists (nothing was written); pass --force")
        approved = schema_tools.approved_schema(loaded)
        frozen = approved[0] if approved else schema_tools.infer(loaded, data)
        source = f"the last approved run ({approved[1]})" if approved else "inferred from the data"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(schema_tools.schema_text(frozen))
        click.echo(f"wrote the schema of record, {source}, to {out}")
        click.echo(f"review it, commit it, and pin it in the config:  schema: {{path: {out}}}")
        return 0
    if action in ("accept", "history"):
        from tfxkit.cli.schema_accept import accept, history

        return accept(loaded, data, reason, yes) if action == "accept" else history(loaded)
    rows, source = schema_tools.diff(loaded, data)
    if not rows:
        click.echo(f"no anomalies: the data fits the schema {source}")
        return 0
    click.echo(f"{len(rows)} anomalies against the schema {source}:")
    click.echo(anomaly_table(rows))
    return 1
