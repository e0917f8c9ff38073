"""Gather one run from ML Metadata and its artifacts, and write its report (``report.write``)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tfxkit.components.verdicts import parse
from tfxkit.metadata.lineage import Graph
from tfxkit.metadata.run_history import RunRecord, list_runs, load_run
from tfxkit.report import sections
from tfxkit.report.stats import load_split, statistics_uri

_STATES = {"COMPLETE": "finished", "CACHED": "cached", "FAILED": "failed", "RUNNING": "running"}


def default_path(config: Any, run_id: str) -> Path:
    """``<workspace>/<pipeline>/reports/<run id>.html``."""
    return Path(config.run_dir) / "reports" / f"{run_id}.html"


def write(
    store: Any, config: Any, run_id: str = "latest", path: str | Path | None = None, last: int = 5
) -> Path:
    """Write the report of ``run_id`` (``latest``, an id or a unique prefix) and return its path.

    ``config`` is the run's ``PipelineConfig`` (its name, and where reports go by default);
    ``last``: how many recent runs the compare table shows. Raises ``LookupError`` when the
    store holds no such run.
    """
    record = load_run(store, config.name, run_id)
    if record is None:
        raise LookupError(f"no run '{run_id}' of '{config.name}' in ML Metadata")
    html = render(store, record, list_runs(store, config.name), last)
    target = Path(path) if path else default_path(config, record.run_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target


def render(store: Any, record: RunRecord, history: list[RunRecord], last: int = 5) -> str:
    """The report of one run as an HTML string."""
    summary = record.summary or {}
    verdicts = [(node, parse(data)) for node, data in (summary.get("verdicts") or {}).items()]
    recent = _recent(history, record, last)
    parts = [
        sections.header(
            {
                "pipeline": record.pipeline_name,
                "run id": record.run_id,
                "status": record.status,
                "config hash": record.config_hash or "not recorded",
                "started (UTC)": _time(record.started_ms),
                "duration": f"{record.seconds:.1f}s",
                "metadata": summary.get("metadata_store"),
            }
        ),
        sections.error(summary),
        sections.nodes(node_rows(record)),
        sections.statistics(_statistics(store, record)),
        sections.anomalies(summary.get("anomalies") or []),
        sections.metrics(summary),
        sections.verdicts(verdicts),
        sections.optimizations(summary.get("optimizations") or []),
        sections.push(summary),
        sections.lineage(_steps(store, record)),
        sections.compare([_compare_row(r) for r in recent], record.run_id),
    ]
    return sections.page(f"{record.pipeline_name} run {record.run_id}", parts)


def node_rows(record: RunRecord) -> list[tuple[str, str, float]]:
    """(node, status, seconds): the summary's view when recorded, else the executions'."""
    if record.summary and record.summary.get("nodes"):
        return [(n["node_id"], n["status"], float(n["seconds"])) for n in record.summary["nodes"]]
    return [
        (e.node_id, _STATES.get(e.state, e.state.lower()), (e.finished_ms - e.started_ms) / 1e3)
        for e in record.executions
    ]


def _statistics(store: Any, record: RunRecord) -> Any:
    """The train split's statistics; None (the section says so) when missing or unreadable."""
    try:
        uri = statistics_uri(store, record.pipeline_name, record.run_id)
        return load_split(uri) if uri else None
    except Exception as exc:  # noqa: BLE001 - a damaged artifact must not cost the report
        logging.warning("report: could not read the run's statistics: %s", exc)
        return None


def _steps(store: Any, record: RunRecord) -> list[Any]:
    """Each execution of the run with what it read and wrote; [] when the store cannot say."""
    try:
        graph = Graph(store, record.pipeline_name)
        return [graph.step(e.execution_id) for e in record.executions]
    except Exception as exc:  # noqa: BLE001 - lineage is one section of many
        logging.warning("report: could not read the run's lineage: %s", exc)
        return []


def _recent(history: list[RunRecord], record: RunRecord, last: int) -> list[RunRecord]:
    """The ``last`` runs up to and including this one (newest last)."""
    ids = [r.run_id for r in history]
    end = ids.index(record.run_id) + 1 if record.run_id in ids else len(history)
    return history[max(0, end - last) : end]


def _compare_row(record: RunRecord) -> dict[str, Any]:
    summary = record.summary or {}
    path = summary.get("pushed_path")
    pushed = ("v" + path.rstrip("/").rsplit("/", 1)[-1]) if path else ("no" if summary else "-")
    return {
        "run_id": record.run_id,
        "started": _time(record.started_ms),
        "took": f"{record.seconds:.0f}s",
        "status": record.status,
        "metrics": summary.get("metrics") or {},
        "pushed": pushed,
        "config": record.config_hash or "-",
    }


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
