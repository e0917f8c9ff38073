"""``tfxkit model-card [RUN|VERSION]``: print (or write) the model card of a run from ML Metadata
(``tfxkit.report.model_card``); a local run writes it beside the pushed version by itself."""

from __future__ import annotations

import click

from tfxkit.cli.common import PATH, TfxkitCommand, config_options, verbose_option
from tfxkit.cli.runs import RUN_HELP


@click.command(
    "model-card",
    cls=TfxkitCommand,
    short_help="print a run's model card (Markdown, from ML Metadata)",
    help="Print the model card of RUN (default: the latest run), or of the run that pushed "
    "VERSION (a number): intended use (model_card in the config), data and its statistics, "
    "metrics overall and per slice, fairness gaps, explanations, privacy budget, optimization, "
    "limitations and lineage ids. With --output, write it there and print the path.",
)
@click.argument("run_id", metavar="[RUN|VERSION]", default="latest", help=RUN_HELP)
@config_options()
@click.option("--output", "-o", type=PATH, help="the Markdown file to write")
@verbose_option()
def model_card(
    run_id: str, config: str, overrides: tuple[str, ...], output: str | None, verbose: bool
) -> int:
    from tfxkit.cli.runs import load_run_or_fail, open_config_store
    from tfxkit.errors import ConfigError
    from tfxkit.metadata.run_history import list_runs
    from tfxkit.report import model_card as card

    loaded, store = open_config_store(config, overrides, verbose)
    if run_id.isdigit():  # a pushed version: the newest run whose pusher pushed it
        pushed = [r for r in list_runs(store, loaded.name) if _pushed_version(r) == int(run_id)]
        if not pushed:
            raise ConfigError(
                f"no run of '{loaded.name}' in ML Metadata pushed version {run_id}; "
                "`tfxkit runs` lists the runs and what they pushed"
            )
        run_id = pushed[-1].run_id
    record = load_run_or_fail(store, loaded, run_id)  # a clear error naming the last runs
    if output:
        click.echo(card.write(store, loaded.name, record.run_id, output))
    else:
        click.echo(card.render(card.facts(store, record)), nl=False)
    return 0


def _pushed_version(record: object) -> int | None:
    verdicts = (getattr(record, "summary", None) or {}).get("verdicts") or {}
    push = verdicts.get("pusher") or {}
    return push.get("version") if push.get("passed") else None
