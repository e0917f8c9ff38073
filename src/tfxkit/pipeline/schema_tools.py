"""``tfxkit schema infer | freeze | diff``: the schema as code, without running the pipeline.

Why a command: the schema of record decides which data may train a model, so it should be
reviewable in the repo. ``infer`` prints what TFDV infers from the data (read exactly as
tfxkit's CsvExampleGen reads it: same dialect, feature keys, the config's declared types
winning). ``freeze`` writes the schema of record (the last approved run's, from ML Metadata,
else the inferred one) to a file for review; ``schema.path`` then pins it. ``diff`` validates
data against the reference schema (the frozen file, else the last approved run's) and prints
what it violates or adds. ``accept`` moves the schema of record to changed data, on the
record (``schema_evolution``).
"""

from __future__ import annotations

from typing import Any

from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.errors import DataError

APPROVED_PROPERTY = "approved_statistics_uri"  # set by components/anomaly_gate on its schema


def data_statistics(config: PipelineConfig, data_path: str | None = None) -> Any:
    """TFDV statistics of every row under ``data_path`` (default ``data.path``), one dataset."""
    from tfxkit.components.csv_example_gen.statistics import csv_statistics
    from tfxkit.config.features import declared_column_types

    return csv_statistics(
        data_path or config.data.path,
        config.data.csv,
        config.data.pattern,
        declared_column_types(config),
    )


def infer(config: PipelineConfig, data_path: str | None = None) -> Any:
    """The schema SchemaGen would infer (every feature may be missing: infer_feature_shape off)."""
    import tensorflow_data_validation as tfdv

    stats = data_statistics(config, data_path)
    return tfdv.infer_schema(stats, infer_feature_shape=config.schema_.infer_feature_shape)


def approved_schema_artifact(config: PipelineConfig) -> tuple[Any, Any] | None:
    """(schema, MLMD artifact) of the newest schema approved for this pipeline (by the anomaly
    gate, or accepted with ``tfxkit schema accept``), if any."""
    from tfx.utils import io_utils

    from tfxkit.metadata import store as metadata

    try:
        store = metadata.open_store(metadata.connection_config(config))
    except Exception:  # no store yet: nothing was ever approved
        return None
    pipeline = store.get_context_by_type_and_name("pipeline", config.name)
    if pipeline is None:
        return None
    schemas = [
        a
        for a in store.get_artifacts_by_context(pipeline.id)
        if APPROVED_PROPERTY in a.custom_properties and a.state == a.LIVE
    ]
    if not schemas:
        return None
    newest = max(schemas, key=lambda a: a.id)
    return io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(newest.uri)), newest


def approved_schema(config: PipelineConfig) -> tuple[Any, str] | None:
    """(schema, uri) of the newest approved schema for this pipeline, if any."""
    found = approved_schema_artifact(config)
    return (found[0], found[1].uri) if found else None


def reference_schema(config: PipelineConfig) -> tuple[Any, str]:
    """The schema new data is held to: the frozen file, else the last approved run's."""
    from tfx.utils import io_utils

    if config.schema_.path:
        return io_utils.SchemaReader().read(config.schema_.path), config.schema_.path
    approved = approved_schema(config)
    if approved is None:
        raise DataError(
            f"pipeline '{config.name}' has no schema to compare against yet: run it once (its "
            "schema becomes the reference) or pin one with `tfxkit schema freeze` and schema.path"
        )
    return approved


def diff(config: PipelineConfig, data_path: str | None = None) -> tuple[list[dict], str]:
    """Anomaly rows of the data against the reference schema, and where that schema came from."""
    import tensorflow_data_validation as tfdv

    from tfxkit.components.anomaly_gate.executor import anomaly_rows

    schema, source = reference_schema(config)
    anomalies = tfdv.validate_statistics(data_statistics(config, data_path), schema)
    return anomaly_rows("data", anomalies), source


def schema_text(schema: Any) -> str:
    from google.protobuf import text_format

    return text_format.MessageToString(schema)


__all__ = [
    "approved_schema",
    "approved_schema_artifact",
    "data_statistics",
    "diff",
    "infer",
    "reference_schema",
]
