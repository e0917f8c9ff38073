"""``tfxkit init``: draft a pipeline config from a sample of CSV data, or from a folder tree of
images or .txt files by class (seconds, no TFX)."""

from __future__ import annotations

from pathlib import Path

import click

from tfxkit.cli.common import PATH, TfxkitCommand, output_options, verbose_option


@click.command(
    "init",
    cls=TfxkitCommand,
    short_help="draft a pipeline config from CSV files or a folder of images or texts by class",
    help="Read a sample of the data (seconds, no TFX): infer the CSV dialect, each column's "
    "type and transform and the label's task, and write a commented config that validates. "
    "A folder with one sub-folder per class of images (DIR/<label>/*.png|jpg) or of .txt "
    "files drafts an image (CNN) or a text config, the label the folder name. "
    "Then run it: run-pipeline -c FILE.",
)
@click.argument(
    "source",
    required=False,
    metavar="[DATA]",
    type=PATH,
    help="a CSV, Parquet or JSON-lines file, or a folder of class folders (images or .txt); "
    "the same as --data",
)
@click.option(
    "--data",
    metavar="PATH",
    type=PATH,
    help="a CSV file, a directory of CSV files, or a folder of class folders (or give it as "
    "the argument: tfxkit init DIR)",
)
@click.option(
    "--label",
    metavar="COLUMN|CONDITION",
    help='the column to predict, or a yes/no condition over columns ("arr_delay > 15": a '
    "binary label.derive; the columns it reads are left out of the features). Without it, "
    "init lists candidates and writes nothing. For a folder of class folders: the label's "
    "name (default label)",
)
@click.option(
    "--name",
    help="pipeline name (default: the CSV file's name, else the nearest folder not named "
    "data, raw, input, csv...)",
)
@output_options("where to write (default configs/<name>.yaml)", force="overwrite FILE if it exists")
@verbose_option()
def init(
    source: str | None,
    data: str | None,
    label: str | None,
    name: str | None,
    output: str | None,
    force: bool,
    verbose: bool,
) -> int:
    from tfxkit.data.init_draft import build_draft
    from tfxkit.data.init_folders import folder_kind
    from tfxkit.errors import ConfigError

    if (source is None) == (data is None):
        raise ConfigError(
            "tfxkit init: name the data once, as DATA or as --data PATH (a CSV file, a folder "
            "of CSV files, or a folder with one sub-folder of images or .txt files per class)"
        )
    data = source or data
    assert data is not None
    if kind := folder_kind(Path(data)):
        return _init_folder(Path(data), kind, label, name, output, force)
    draft = build_draft(data, label=label, name=name, output=output)
    width = max(len(p.name) for p in draft.profiles)
    use_width = min(max(len(use) for use in draft.uses.values()), 40)
    click.echo(f"{data}: {draft.profiles[0].rows} rows read; {draft.describe()}")
    for p in draft.profiles:
        use = draft.uses[p.name].ljust(use_width)
        click.echo(
            f"  {p.name:<{width}}  {p.type:<6}  {use}  {_share(p.missing, p.rows):>6} missing"
        )
    if draft.label is not None and draft.label not in {p.name for p in draft.profiles}:
        click.echo(f"  {draft.label}: {draft.uses[draft.label]}")  # a derived label
    if draft.label is None:
        candidates = "; ".join(draft.candidates()) or "none"
        raise ConfigError(
            f"{data}: choose the label, the column the model learns to predict, and run "
            f'again with --label COLUMN, or --label "CONDITION" for a yes/no label derived '
            f"from columns (nothing was written). Likely candidates: {candidates}."
        )
    return _write_draft(draft.output, draft.text, draft.warnings, data, force)


def _share(missing: int, rows: int) -> str:
    """A missing share for the table that never reads 100.0% (or 0.0%) for a column that has a
    value in some row (or lacks one in some): 1 of 15,000 rows printed as 100.0% (issue 22 #3)."""
    share = f"{missing / max(rows, 1):.1%}"
    if 0 < missing < rows and share in ("0.0%", "100.0%"):
        return "<0.1%" if share == "0.0%" else ">99.9%"
    return share


def _init_folder(
    source: Path, kind: str, label: str | None, name: str | None, output: str | None, force: bool
) -> int:
    """An image or text folder tree: its classes, what its files are, the draft written."""
    from tfxkit.data.init_folders import build_folder_draft

    draft = build_folder_draft(source, kind, label, name, output)
    click.echo(f"{source}: {kind} by class folder, {sum(draft.classes.values())} files; "
               f"{draft.summary}")  # fmt: skip
    for class_name, count in draft.classes.items():
        click.echo(f"  {class_name}  {count} files")
    return _write_draft(draft.output, draft.text, draft.warnings, source, force)


def _write_draft(output: str, text: str, warnings: list[str], source: object, force: bool) -> int:
    """Validate, then write a draft (never over a file unless --force), and say how to run it."""
    from tfxkit.config.loading import load_yaml
    from tfxkit.config.pipeline_config import validate_config
    from tfxkit.errors import ConfigError

    out = Path(output)
    if out.exists() and not force:
        raise ConfigError(f"{out} already exists (nothing was written); pass --force to replace it")
    validate_config(load_yaml(text), f"(the draft for {source})")  # never write one
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    for warning in warnings:
        click.echo(f"warning: {warning}")
    click.echo(f"wrote {out}; check it, then run:")
    click.echo(f"  run-pipeline -c {out}")
    return 0
