"""``tfxkit report [RUN]``: one run as a self-contained HTML file (``tfxkit.report``)."""

from __future__ import annotations

import click

from tfxkit.cli.common import PATH, TfxkitCommand, config_options, verbose_option
from tfxkit.cli.runs import RUN_HELP


@click.command(
    "report",
    cls=TfxkitCommand,
    short_help="write a run's HTML report (offline, one file)",
    help="Write RUN's report (default: the latest run) as one HTML file that opens offline: the "
    "run's status and config hash, each node's status and seconds on a timeline, the data "
    "statistics of the train and eval splits (histograms, missing values, top values) and "
    "anomalies, the schema diff against the schema of record, the training curves, the metrics "
    "overall and per class, fairness rows, every gate's verdict with its reasons, the push, the "
    "lineage and the last runs side by side. Prints the file's path. A local run writes it too, "
    "after every run.",
)
@click.argument("run_id", metavar="[RUN]", default="latest", help=RUN_HELP)
@config_options()
@click.option(
    "--output",
    "-o",
    type=PATH,
    help="the HTML file to write (default: <workspace>/<pipeline>/reports/<run id>.html)",
)
@click.option(
    "--last",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="how many recent runs the compare table shows",
)
@verbose_option()
def report(
    run_id: str,
    config: str,
    overrides: tuple[str, ...],
    output: str | None,
    last: int,
    verbose: bool,
) -> int:
    from tfxkit.cli.runs import load_run_or_fail, open_config_store

    loaded, store = open_config_store(config, overrides, verbose)
    record = load_run_or_fail(store, loaded, run_id)  # a clear error naming the last runs
    from tfxkit.report import write

    click.echo(str(write(store, loaded, record.run_id, output, last=last)))
    return 0
