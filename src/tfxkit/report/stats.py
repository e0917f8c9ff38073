"""Where a run's statistics are in ML Metadata (the report reads them with ``splits``)."""

from __future__ import annotations

from typing import Any

from tfxkit.components.run_report.splits import STATS_FILE, FeatureRow, SplitStats, load_split
from tfxkit.metadata.store import output_artifacts, run_executions
from tfxkit.pipeline.stages import node_ids

__all__ = ["STATS_FILE", "FeatureRow", "SplitStats", "load_split", "statistics_uri"]


def statistics_uri(store: Any, pipeline_name: str, run_id: str) -> str | None:
    """The ExampleStatistics artifact StatisticsGen produced (or reused, cached) in a run."""
    for execution in run_executions(store, pipeline_name, run_id):
        if execution.node_id == node_ids.STATISTICS_GEN:
            found = output_artifacts(store, execution.execution_id, "ExampleStatistics")
            if found:
                return found[-1].uri
    return None
