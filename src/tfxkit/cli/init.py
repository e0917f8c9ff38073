"""``tfxkit init``: draft a pipeline config from a sample of CSV data (seconds, no TFX)."""

from __future__ import annotations

from pathlib import Path

import click

from tfxkit.cli.common import PATH, TfxkitCommand, output_options, verbose_option


@click.command(
    "init",
    cls=TfxkitCommand,
    short_help="draft a pipeline config from a CSV file or a directory of CSV files",
    help="Read a sample of the data (seconds, no TFX): infer the CSV dialect, each column's "
    "type and transform and the label's task, and write a commented config that validates. "
    "Then run it: run-pipeline -c FILE.",
)
@click.option(
    "--data",
    required=True,
    metavar="PATH",
    type=PATH,
    help="a CSV file, or a directory of CSV files",
)
@click.option(
    "--label",
    metavar="COLUMN|CONDITION",
    help='the column to predict, or a yes/no condition over columns ("arr_delay > 15": a '
    "binary label.derive; the columns it reads are left out of the features). Without it, "
    "init lists candidates and writes nothing",
)
@click.option(
    "--name",
    help="pipeline name (default: the CSV file's name, else the nearest folder not named "
    "data, raw, input, csv...)",
)
@output_options("where to write (default configs/<name>.yaml)", force="overwrite FILE if it exists")
@verbose_option()
def init(
    data: str,
    label: str | None,
    name: str | None,
    output: str | None,
    force: bool,
    verbose: bool,
) -> int:
    from tfxkit.config.loading import load_yaml
    from tfxkit.config.pipeline_config import validate_config
    from tfxkit.data.init_draft import build_draft
    from tfxkit.errors import ConfigError

    draft = build_draft(data, label=label, name=name, output=output)
    width = max(len(p.name) for p in draft.profiles)
    use_width = min(max(len(use) for use in draft.uses.values()), 40)
    click.echo(f"{data}: {draft.profiles[0].rows} rows read; {draft.describe()}")
    for p in draft.profiles:
        use = draft.uses[p.name].ljust(use_width)
        click.echo(f"  {p.name:<{width}}  {p.type:<6}  {use}  {p.missing_share:6.1%} missing")
    if draft.label is not None and draft.label not in {p.name for p in draft.profiles}:
        click.echo(f"  {draft.label}: {draft.uses[draft.label]}")  # a derived label
    if draft.label is None:
        candidates = "; ".join(draft.candidates()) or "none"
        raise ConfigError(
            f"{data}: choose the label, the column the model learns to predict, and run "
            f'again with --label COLUMN, or --label "CONDITION" for a yes/no label derived '
            f"from columns (nothing was written). Likely candidates: {candidates}."
        )
    out = Path(draft.output)
    if out.exists() and not force:
        raise ConfigError(f"{out} already exists (nothing was written); pass --force to replace it")
    validate_config(load_yaml(draft.text), f"(the draft for {data})")  # never write one
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(draft.text)
    for warning in draft.warnings:
        click.echo(f"warning: {warning}")
    click.echo(f"wrote {out}; check it, then run:")
    click.echo(f"  run-pipeline -c {out}")
    return 0
