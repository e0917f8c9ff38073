"""``tfxkit runs list | show RUN | compare RUN RUN...``: a pipeline's run history from ML Metadata.

Each local run stores its resolved config and summary on TFX's ``pipeline_run`` context
(``metadata.run_history``); these commands read them back, with each node's execution (cached or
executed, how long). Runs recorded before that are shown from their executions alone.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import click

from tfxkit.cli.common import TfxkitGroup, config_options, verbose_option

RUN_HELP = "a run id (a unique prefix is enough), or latest / previous"


@click.group(
    "runs",
    cls=TfxkitGroup,
    short_help="list, show and compare a pipeline's runs (ML Metadata)",
    help="A pipeline's runs from its ML Metadata store (SQLite or MariaDB, as in the config): "
    "status, each node executed or cached and how long it took, metrics, gates, the push, and "
    "what changed in the config between runs.",
)
def runs() -> None:
    """The group itself does nothing: each action is a subcommand."""


def _json_option() -> Any:
    return click.option("--json", "as_json", is_flag=True, help="print JSON (for scripts)")


@runs.command(
    "list",
    short_help="every run, newest last",
    help="Every run of the config's pipeline, oldest first: run id, start, duration, status "
    "(blessed, not blessed, failed), nodes executed and cached, the version pushed and the "
    "config's hash (equal hashes, equal configs).",
)
@config_options()
@click.option("--last", type=click.IntRange(min=1), help="only the last N runs")
@_json_option()
@verbose_option()
def list_command(
    config: str, overrides: tuple[str, ...], last: int | None, as_json: bool, verbose: bool
) -> int:
    loaded, store = open_config_store(config, overrides, verbose)  # quiets TF before it loads
    from tfxkit.metadata.run_history import list_runs

    found = list_runs(store, loaded.name)[-last:] if last else list_runs(store, loaded.name)
    if as_json:
        click.echo(json.dumps([_as_json(r) for r in found], indent=1))
        return 0
    if not found:
        click.echo(f"no runs of '{loaded.name}' in {_where(loaded)}")
        return 0
    rows = [("run id", "started (UTC)", "took", "status", "executed", "cached", "pushed", "config")]
    for record in found:
        counts = _counts(record)
        rows.append(
            (
                record.run_id,
                _time(record.started_ms),
                f"{record.seconds:.0f}s",
                record.status,
                str(counts["executed"]),
                str(counts["cached"]),
                _pushed(record),
                record.config_hash or "-",
            )
        )
    click.echo(_table(rows))
    return 0


@runs.command(
    "show",
    short_help="one run: nodes, metrics, gates, push",
    help="One run: each node's status (finished, cached, skipped, failed) and seconds, the "
    "metrics, every gate's verdict with its reasons, the error if it failed, and the push.",
)
@click.argument("run_id", metavar="RUN", default="latest", help=RUN_HELP)
@config_options()
@_json_option()
@verbose_option()
def show(run_id: str, config: str, overrides: tuple[str, ...], as_json: bool, verbose: bool) -> int:
    loaded, store = open_config_store(config, overrides, verbose)
    record = load_run_or_fail(store, loaded, run_id)
    if as_json:
        click.echo(json.dumps(_as_json(record, full=True), indent=1))
        return 0
    click.echo(
        f"run {record.run_id} of '{record.pipeline_name}': {record.status}, started "
        f"{_time(record.started_ms)} UTC, took {record.seconds:.1f}s"
        + (f", config {record.config_hash}" if record.config_hash else "")
    )
    rows = [("node", "status", "seconds")]
    rows += [(n, s, f"{t:.1f}") for n, s, t in node_rows(record)]
    click.echo(_table(rows))
    summary = record.summary or {}
    for name, value in sorted(summary.get("metrics", {}).items()):
        click.echo(f"  {name}: {value:.4g}")
    for line in _verdict_lines(summary):
        click.echo(f"  {line}")
    if summary.get("error"):
        click.echo(f"  error: {summary['error']}")
    click.echo(f"  pushed: {_pushed(record)}")
    return 0


@runs.command(
    "compare",
    short_help="two or more runs side by side, with what changed",
    help="Runs side by side: status, each node's status and seconds, metrics with their "
    "change from the first run, the push, and every config key whose value differs.",
)
@click.argument("run_ids", metavar="RUN RUN...", nargs=-1, required=True, help=RUN_HELP)
@config_options()
@_json_option()
@verbose_option()
def compare(
    run_ids: tuple[str, ...], config: str, overrides: tuple[str, ...], as_json: bool, verbose: bool
) -> int:
    from tfxkit.errors import ConfigError

    if len(run_ids) < 2:  # before the store opens: a command-line mistake is said at once
        raise ConfigError("runs compare needs at least two runs (e.g. previous latest)")
    loaded, store = open_config_store(config, overrides, verbose)
    records = [load_run_or_fail(store, loaded, r) for r in run_ids]
    changed = config_changes(records)
    if as_json:
        click.echo(
            json.dumps(
                {"runs": [_as_json(r, full=True) for r in records], "config_changes": changed},
                indent=1,
            )
        )
        return 0
    ids = [r.run_id for r in records]
    rows = [("", *ids), ("status", *[r.status for r in records])]
    rows.append(("took", *[f"{r.seconds:.0f}s" for r in records]))
    nodes = {r.run_id: {n: (s, t) for n, s, t in node_rows(r)} for r in records}
    for node in dict.fromkeys(n for r in records for n, _, _ in node_rows(r)):
        cells = [nodes[i].get(node) for i in ids]
        rows.append((node, *[f"{c[0]} {c[1]:.1f}s" if c else "-" for c in cells]))
    metrics = [((r.summary or {}).get("metrics", {})) for r in records]
    for name in sorted({k for m in metrics for k in m}):
        first = metrics[0].get(name)
        cells = []
        for values in metrics:
            value = values.get(name)
            delta = "" if value is None or first is None or values is metrics[0] else (
                f" ({value - first:+.4g})"
            )  # fmt: skip
            cells.append("-" if value is None else f"{value:.4g}{delta}")
        rows.append((name, *cells))
    rows.append(("pushed", *[_pushed(r) for r in records]))
    click.echo(_table(rows))
    if changed:
        click.echo(f"config changes from {ids[0]}:")
        for key, values in changed.items():
            click.echo(f"  {key}: " + " -> ".join(json.dumps(v) for v in values))
    elif all(r.config is not None for r in records):
        click.echo("config: the same in every run")
    else:
        click.echo("config: not recorded for runs before tfxkit kept it")
    return 0


def config_changes(records: list[Any]) -> dict[str, list[Any]]:
    """Each config key (dotted) whose value differs between the runs, with every run's value."""
    flat = [_flatten(r.config) for r in records if r.config is not None]
    if len(flat) < 2:
        return {}
    keys = sorted({k for f in flat for k in f})
    missing = object()
    changed = {}
    for key in keys:
        values = [f.get(key, missing) for f in flat]
        if any(v != values[0] for v in values):
            changed[key] = [None if v is missing else v for v in values]
    return changed


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): value}


def open_config_store(config: str, overrides: tuple[str, ...], verbose: bool) -> tuple[Any, Any]:
    from tfxkit.cli.baseline import _open as open_store

    return open_store(config, overrides, verbose)


def load_run_or_fail(store: Any, loaded: Any, run_id: str) -> Any:
    from tfxkit.errors import ConfigError
    from tfxkit.metadata.run_history import list_runs, load_run

    record = load_run(store, loaded.name, run_id)
    if record is None:
        runs = list_runs(store, loaded.name)
        matches = [r.run_id for r in runs if r.run_id.startswith(run_id)]
        if len(matches) > 1:
            raise ConfigError(
                f"'{run_id}' is the start of {len(matches)} runs of '{loaded.name}' "
                f"({', '.join(matches[:5])}); give more of the run id"
            )
        known = [r.run_id for r in runs[-5:]]
        raise ConfigError(
            f"no run '{run_id}' of '{loaded.name}' in {_where(loaded)}"
            + (f"; the last: {', '.join(known)}" if known else "; it has no runs yet")
        )
    return record


def _where(loaded: Any) -> str:
    mysql = loaded.metadata.mysql
    if mysql:
        return f"MySQL {mysql.host}:{mysql.port}/{mysql.database}"
    return loaded.resolved_sqlite_path


_STATES = {"COMPLETE": "finished", "CACHED": "cached", "FAILED": "failed", "RUNNING": "running"}


def node_rows(record: Any) -> list[tuple[str, str, float]]:
    """(node, status, seconds): the summary's view when recorded, else the executions'."""
    if record.summary and record.summary.get("nodes"):
        return [(n["node_id"], n["status"], n["seconds"]) for n in record.summary["nodes"]]
    return [
        (e.node_id, _STATES.get(e.state, e.state.lower()), (e.finished_ms - e.started_ms) / 1e3)
        for e in record.executions
    ]


def _counts(record: Any) -> dict[str, int]:
    statuses = [s for _, s, _ in node_rows(record)]
    return {"executed": statuses.count("finished"), "cached": statuses.count("cached")}


def _pushed(record: Any) -> str:
    summary = record.summary or {}
    path = summary.get("pushed_path")
    if not path:
        return "no" if summary else "-"
    version = path.rstrip("/").rsplit("/", 1)[-1]
    return f"v{version}" + (" (already)" if summary.get("already_pushed") else "")


def _verdict_lines(summary: dict[str, Any]) -> list[str]:
    from tfxkit.components.verdicts import parse

    lines = []
    for node_id, data in summary.get("verdicts", {}).items():
        lines += parse(data).named(node_id).lines()
    return lines


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _as_json(record: Any, full: bool = False) -> dict[str, Any]:
    data = {
        "run_id": record.run_id,
        "status": record.status,
        "started": _time(record.started_ms),
        "seconds": round(record.seconds, 1),
        "config_hash": record.config_hash,
        "pushed": _pushed(record),
        "nodes": [{"node_id": n, "status": s, "seconds": t} for n, s, t in node_rows(record)],
    }
    if full:
        data["summary"] = record.summary
        data["config"] = record.config
    return data
