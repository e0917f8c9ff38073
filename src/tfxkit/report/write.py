"""Gather one run from ML Metadata and its artifacts, and write its report (``report.write``)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tfxkit.components.run_report import sections
from tfxkit.components.run_report.gather import load_history, load_schema
from tfxkit.components.verdicts import parse
from tfxkit.metadata.lineage import Graph
from tfxkit.metadata.run_history import RunRecord, list_runs, load_run
from tfxkit.pipeline.stages import node_ids
from tfxkit.report import model_card
from tfxkit.report.stats import load_split, statistics_uri

SPLITS = ("train", "eval")  # the splits whose statistics the report shows, side by side

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
    steps = _steps(store, record)
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
        sections.schema_diff(*_schema_diff(steps)),
        sections.curves(_history(steps)),
        sections.metrics(summary),
        sections.verdicts(verdicts),
        sections.optimizations(summary.get("optimizations") or []),
        sections.push(summary),
        model_card.html_section(store, record),
        sections.lineage(steps),
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


def _statistics(store: Any, record: RunRecord) -> list[Any]:
    """The train and eval splits' statistics; [] (the section says so) when missing or
    unreadable."""
    try:
        uri = statistics_uri(store, record.pipeline_name, record.run_id)
        found = [load_split(uri, split) for split in SPLITS] if uri else []
        return [s for s in found if s is not None]
    except Exception as exc:  # noqa: BLE001 - a damaged artifact must not cost the report
        logging.warning("report: could not read the run's statistics: %s", exc)
        return []


def _output_uri(steps: list[Any], node_id: str, key: str, inputs: bool = False) -> str | None:
    """The URI of a node's input or output artifact under ``key`` in this run, if any."""
    for step in steps:
        if step.node_id == node_id:
            found = (step.inputs if inputs else step.outputs).get(key) or []
            if found:
                return found[-1].uri
    return None


def _history(steps: list[Any]) -> dict[str, Any] | None:
    """The Trainer's fit history (``training.history``) in its ModelRun."""
    try:
        return load_history(_output_uri(steps, node_ids.TRAINER, "model_run"))
    except Exception as exc:  # noqa: BLE001 - one section of many
        logging.warning("report: could not read the training history: %s", exc)
        return None


def _schema_diff(steps: list[Any]) -> tuple[list[Any] | None, str]:
    """This run's data (SchemaGen's schema) against the schema of record the anomaly gate held
    it to (the last approved run's, or ``schema.path``'s); (None, "") without both."""
    gate = node_ids.ANOMALY_GATE
    reference = _output_uri(steps, gate, "baseline_schema", inputs=True)
    inferred = _output_uri(steps, node_ids.SCHEMA_GEN, "schema")
    if reference is None:  # a pinned schema (schema.path) is the gate's schema itself
        pinned = _output_uri(steps, node_ids.SCHEMA_IMPORTER, "schema")
        reference = pinned or None
    if not reference or not inferred or reference == inferred:
        return None, ""
    try:
        from tfxkit.pipeline.schema_evolution import changes_between

        return changes_between(load_schema(reference), load_schema(inferred)), reference
    except Exception as exc:  # noqa: BLE001 - one section of many
        logging.warning("report: could not compare the schemas: %s", exc)
        return None, ""


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
