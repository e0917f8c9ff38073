"""``tfxkit why NODE [RUN]``: why a node ran or was cached (``metadata.why``)."""

from __future__ import annotations

import click

from tfxkit.cli.common import TfxkitCommand, config_options, verbose_option
from tfxkit.cli.runs import RUN_HELP


@click.command(
    "why",
    cls=TfxkitCommand,
    short_help="why a node ran or was cached in a run",
    help="Why NODE ran or was cached in RUN (default: the latest run): its execution compared "
    "with the node's previous one in ML Metadata. Names the input artifact that changed (and "
    "the node that produced it), the setting (by its dotted key), the code fingerprint or the "
    "data's content.",
)
@click.argument("node", metavar="NODE", help="a node id, e.g. trainer (see tfxkit runs show)")
@click.argument("run_id", metavar="[RUN]", default="latest", help=RUN_HELP)
@config_options()
@verbose_option()
def why(node: str, run_id: str, config: str, overrides: tuple[str, ...], verbose: bool) -> int:
    from tfxkit.cli.runs import load_run_or_fail, node_rows, open_config_store

    loaded, store = open_config_store(config, overrides, verbose)
    from tfxkit.errors import ConfigError
    from tfxkit.metadata.why import explain

    record = load_run_or_fail(store, loaded, run_id)
    explanation = explain(store, loaded.name, record.run_id, node)
    if explanation is None:
        ran = [n for n, _, _ in node_rows(record)]
        status = {n: s for n, s, _ in node_rows(record)}.get(node)
        if status == "skipped":
            click.echo(f"{node} was skipped in run {record.run_id}: its condition was not met")
            return 0
        raise ConfigError(
            f"run {record.run_id} has no execution of node '{node}'; its nodes: {', '.join(ran)}"
        )
    for line in explanation.lines():
        click.echo(line)
    return 0
