"""What a window is judged against, from ML Metadata; and the monitor's own record there.

The serving model's training statistics and schema are found by lineage: the PushedModel that
recorded the window's model version, walked upstream to the StatisticsGen's ExampleStatistics
(train split) and the Schema its Transform read. ``monitoring.training_statistics`` /
``monitoring.schema_file`` override the lookup (a model pushed by another pipeline, tests).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.errors import DataError

MONITOR_EXECUTION = "tfxkit.Monitor"
MONITOR_CONTEXT = "tfxkit.monitoring"


@dataclass
class Baseline:
    statistics: Any  # DatasetFeatureStatistics of the training split
    schema: Any | None  # tensorflow_metadata Schema
    source: str  # where they came from, for the report


def _load_stats(path: str) -> Any:
    import tensorflow_data_validation as tfdv

    if not Path(path).exists():
        raise DataError(f"training statistics {path} do not exist")
    return tfdv.load_stats_binary(path).datasets[0]


def _load_schema(path: str) -> Any:
    import tensorflow_data_validation as tfdv

    if not Path(path).exists():
        raise DataError(f"schema {path} does not exist")
    return tfdv.load_schema_text(path)


def from_metadata(config: PipelineConfig, version: int) -> tuple[str, str | None] | None:
    """(train statistics file, schema file or None) of the pushed ``version``, or None."""
    from tfxkit.metadata.lineage import Graph
    from tfxkit.metadata.store import connection_config, open_store

    if not config.metadata.mysql and not Path(config.resolved_sqlite_path).exists():
        return None
    graph = Graph(open_store(connection_config(config)), config.name)
    pushed = graph.pushed_version(version, config.resolved_push_destination)
    if pushed is None:
        return None
    stats, schema = None, None
    for step in graph.upstream(pushed):
        for artifacts in step.outputs.values():
            for artifact in artifacts:
                if artifact.type == "ExampleStatistics" and "statistics_gen" in step.node_id:
                    stats = stats or artifact.uri
        if step.node_id.startswith("transform"):
            for artifact in step.inputs.get("schema", []):
                schema = schema or artifact.uri
    if stats is None:
        return None
    train = Path(stats) / "Split-train" / "FeatureStats.pb"
    schema_file = str(Path(schema) / "schema.pbtxt") if schema else None
    return str(train), schema_file


def baseline(config: PipelineConfig, version: int | None) -> Baseline:
    """Training statistics and schema: the config's overrides, else ML Metadata's."""
    settings = config.monitoring
    stats_file, schema_file = settings.training_statistics, settings.schema_file
    source = "config"
    if stats_file is None:
        found = from_metadata(config, version) if version is not None and version >= 0 else None
        if found is None:
            raise DataError(
                f"no training statistics for model {config.resolved_model_name} version "
                f"{version}: ML Metadata ({config.resolved_sqlite_path}) has no push of it by "
                f"pipeline {config.name}. Set monitoring.training_statistics (a FeatureStats.pb) "
                "to judge skew against"
            )
        stats_file, schema_file = found[0], schema_file or found[1]
        source = f"ML Metadata (push of version {version})"
    return Baseline(
        _load_stats(stats_file), _load_schema(schema_file) if schema_file else None, source
    )


def record(config: PipelineConfig, report: dict[str, Any], report_path: str) -> int:
    """Record the monitor run in ML Metadata: an execution of type ``tfxkit.Monitor`` in the
    pipeline's ``tfxkit.monitoring`` context; its id (a retrain started by it names it)."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    from tfxkit.metadata.store import connection_config, open_store

    store = open_store(connection_config(config))
    execution_type = pb.ExecutionType(name=MONITOR_EXECUTION)
    type_id = store.put_execution_type(execution_type, can_add_fields=True)
    context_type_id = store.put_context_type(pb.ContextType(name=MONITOR_CONTEXT))
    context = store.get_context_by_type_and_name(MONITOR_CONTEXT, config.name)
    if context is None:
        [context_id] = store.put_contexts([pb.Context(type_id=context_type_id, name=config.name)])
    else:
        context_id = context.id
    execution = pb.Execution(type_id=type_id, last_known_state=pb.Execution.COMPLETE)
    values = {
        "verdict": report["verdict"],
        "window": report["window"],
        "report": report_path,
        "model_version": str(report.get("model_version")),
        "reasons": json.dumps(report["reasons"]),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for key, value in values.items():
        execution.custom_properties[key].string_value = value
    [execution_id] = store.put_executions([execution])
    store.put_attributions_and_associations(
        [], [pb.Association(context_id=context_id, execution_id=execution_id)]
    )
    return execution_id
