"""``tfxkit schema accept``: move the schema of record to the data as it now is, on the record.

Why: after one approved run, every later run is validated against that run's schema, so a new
column, a renamed or removed one, or a new category stops the run (SCHEMA_NEW_COLUMN, ...) and
ignoring the anomaly is not enough: the gate hands Transform the old schema, which lacks the
new column. Accepting is a reviewed, recorded act instead:

1. ``plan``: the reference schema (``schema.path``, else the last approved run's) updated to
   the data with TFDV's ``update_schema`` (new columns, new categories, relaxed constraints),
   minus the columns the data no longer has; ``SchemaChange`` rows say what moves, and any
   anomaly the update cannot absorb is listed and blocks the acceptance.
2. ``record``: with an approved schema in ML Metadata, the new schema becomes a Schema artifact
   output by a ``tfxkit.SchemaAcceptance`` execution in the pipeline's context, carrying who,
   when, why and the changes. It keeps the previous approval's statistics as its drift
   baseline, except for the columns it accepted (added, retyped, new categories: the new
   data's, since against the old data they would read as drift), so the resolver
   (``pipeline.resolvers.PreviousApprovedSchemaStrategy``) hands it to the next run's anomaly
   gate as the reference, and drift is still measured against the last approved data.
   A column whose type changed takes the data's type (TFDV's update would deprecate it).
   With ``schema.path`` the file is rewritten instead: the schema of record is code, reviewed
   in version control.
"""

from __future__ import annotations

import datetime
import getpass
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfxkit.config.features import column_key
from tfxkit.config.pipeline_config import PipelineConfig
from tfxkit.errors import DataError
from tfxkit.pipeline import schema_tools

ACCEPTANCE_TYPE = "tfxkit.SchemaAcceptance"
ACCEPTED_BY, ACCEPTED_AT, ACCEPTED_WHY = "tfxkit_accepted_by", "tfxkit_accepted_at", "tfxkit_why"
ACCEPTED_CHANGES = "tfxkit_changes"
_TYPE_NAMES = {1: "BYTES", 2: "INT", 3: "FLOAT", 4: "STRUCT"}
_STATS_FILE = "FeatureStats.pb"  # what TFX's StatisticsGen writes per split
_TAKEN_FROM_DATA = ("added", "type", "values")  # changes whose drift baseline is the new data


@dataclass(frozen=True)
class SchemaChange:
    feature: str
    change: str  # added, removed, type, values, dropped (deprecated)
    detail: str

    def line(self) -> str:
        return f"  {self.change:<8} {self.feature}: {self.detail}"


@dataclass
class Plan:
    reference: Any  # schema_pb2.Schema
    source: str  # where the reference came from
    schema: Any  # the schema to accept
    changes: list[SchemaChange]
    blocking: list[dict[str, str]]  # anomalies the update could not absorb
    approved_statistics: str  # the reference approval's statistics ("" for a file)
    statistics: Any = None  # the new data's (DatasetFeatureStatisticsList, one dataset)


def _features(schema: Any) -> dict[str, Any]:
    return {f.name: f for f in schema.feature}


def _domain(schema: Any, feature: Any) -> set[str]:
    if feature.HasField("string_domain"):
        return set(feature.string_domain.value)
    if feature.HasField("domain"):
        for domain in schema.string_domain:
            if domain.name == feature.domain:
                return set(domain.value)
    return set()


def changes_between(old: Any, new: Any) -> list[SchemaChange]:
    """What a reviewer needs to see: columns added and removed, types and categories changed."""
    before, after = _features(old), _features(new)
    rows = [
        SchemaChange(n, "added", _TYPE_NAMES.get(after[n].type, "?"))
        for n in after
        if n not in before
    ]
    rows += [SchemaChange(n, "removed", "no longer in the data") for n in before if n not in after]
    for name in sorted(set(before) & set(after)):
        if before[name].type != after[name].type:
            types = (_TYPE_NAMES.get(before[name].type), _TYPE_NAMES.get(after[name].type))
            rows.append(SchemaChange(name, "type", f"{types[0]} -> {types[1]}"))
        if _deprecated(after[name]) and not _deprecated(before[name]):
            rows.append(SchemaChange(name, "dropped", "deprecated: runs will not read it"))
        added = sorted(_domain(new, after[name]) - _domain(old, before[name]))
        if added:
            shown = ", ".join(repr(v) for v in added[:8]) + (" ..." if len(added) > 8 else "")
            rows.append(SchemaChange(name, "values", f"new categories {shown}"))
    return sorted(rows, key=lambda r: (r.change, r.feature))


def _reference(config: PipelineConfig) -> tuple[Any, str, str]:
    """(schema, source, approved statistics uri) new data is held to."""
    if config.schema_.path:
        schema, source = schema_tools.reference_schema(config)
        return schema, source, ""
    approved = schema_tools.approved_schema_artifact(config)
    if approved is None:
        raise DataError(
            f"pipeline '{config.name}' has no schema of record yet: nothing to accept into. The "
            "first run's schema is inferred from its data and becomes the schema of record"
        )
    schema, artifact = approved
    return (
        schema,
        artifact.uri,
        artifact.custom_properties[schema_tools.APPROVED_PROPERTY].string_value,
    )


def plan(config: PipelineConfig, data_path: str | None = None) -> Plan:
    """The schema of record moved to the data under ``data_path`` (default ``data.path``)."""
    import tensorflow_data_validation as tfdv

    from tfxkit.components.anomaly_gate.executor import anomaly_rows, open_domains
    from tfxkit.pipeline.stages.validate import open_domain_features

    reference, source, approved_statistics = _reference(config)
    statistics = schema_tools.data_statistics(config, data_path)
    updated = tfdv.update_schema(
        reference, statistics, infer_feature_shape=config.schema_.infer_feature_shape
    )
    present = {f.path.step[0] if f.path.step else f.name for f in statistics.datasets[0].features}
    for index in reversed(range(len(updated.feature))):
        if updated.feature[index].name not in present:
            del updated.feature[index]
    inferred = tfdv.infer_schema(statistics, infer_feature_shape=config.schema_.infer_feature_shape)
    take_new_types(reference, updated, inferred)
    updated = open_domains(updated, open_domain_features(config))  # as the gate keeps them
    blocking = anomaly_rows("data", tfdv.validate_statistics(statistics, updated))
    return Plan(
        reference=reference,
        source=source,
        schema=updated,
        changes=changes_between(reference, updated),
        blocking=blocking,
        approved_statistics=approved_statistics,
        statistics=statistics,
    )


def take_new_types(reference: Any, updated: Any, inferred: Any) -> None:
    """A column whose type changed ("01".."12" now declared string) takes the data's type and
    domain, as TFDV infers them. Why: ``update_schema`` deprecates such a feature instead, the
    change list showed nothing, and the next run's Transform then lacked a configured feature
    (issue 22 #5). Its environments (the label's not-in-SERVING) are kept."""
    before, fresh = _features(reference), _features(inferred)
    domains = {d.name: d for d in inferred.string_domain}
    for feature in updated.feature:
        old, new = before.get(feature.name), fresh.get(feature.name)
        if old is None or new is None or new.type == old.type:
            continue
        environments = (list(old.in_environment), list(old.not_in_environment))
        feature.CopyFrom(new)
        feature.in_environment[:], feature.not_in_environment[:] = environments
        if new.HasField("domain") and new.domain in domains:
            for index in reversed(range(len(updated.string_domain))):
                if updated.string_domain[index].name == new.domain:
                    del updated.string_domain[index]
            updated.string_domain.add().CopyFrom(domains[new.domain])


def _deprecated(feature: Any) -> bool:
    from tensorflow_metadata.proto.v0 import schema_pb2

    return feature.deprecated or feature.lifecycle_stage == schema_pb2.DEPRECATED


def configured_but_absent(config: PipelineConfig, schema: Any) -> list[str]:
    """Configured features the accepted schema would not hold (the data lacks them), or would
    hold deprecated (the run's Transform does not see those)."""
    names = _features(schema)
    return [
        f.name
        for f in config.features
        if column_key(f.name) not in names or _deprecated(names[column_key(f.name)])
    ]


def record(config: PipelineConfig, accepted: Plan, why: str) -> str:
    """Make ``accepted.schema`` the schema of record; returns where it now lives."""
    if config.schema_.path:
        Path(config.schema_.path).write_text(schema_tools.schema_text(accepted.schema))
        return config.schema_.path
    from ml_metadata.proto import metadata_store_pb2 as mlmd_pb2

    from tfxkit.metadata import store as metadata

    when = datetime.datetime.now(datetime.timezone.utc)
    folder = (
        Path(config.resolved_pipeline_root) / "schema_of_record" / when.strftime("%Y%m%dT%H%M%S%fZ")
    )
    folder.mkdir(parents=True)
    (folder / "schema.pbtxt").write_text(schema_tools.schema_text(accepted.schema))
    # Beside the schema, not in its folder: a Schema artifact's folder holds one file.
    baseline_folder = folder.with_name(f"{folder.name}-statistics")
    baseline = _baseline_with_accepted_columns(accepted, baseline_folder)
    who = _who()
    changes = json.dumps([c.__dict__ for c in accepted.changes])
    store = metadata.open_store(metadata.connection_config(config))
    pipeline = store.get_context_by_type_and_name("pipeline", config.name)
    artifact = mlmd_pb2.Artifact(
        type_id=store.get_artifact_type("Schema").id,
        uri=str(folder),
        state=mlmd_pb2.Artifact.LIVE,
    )
    properties = {
        schema_tools.APPROVED_PROPERTY: baseline,
        ACCEPTED_BY: who,
        ACCEPTED_AT: when.isoformat(timespec="seconds"),
        ACCEPTED_WHY: why,
        ACCEPTED_CHANGES: changes,
    }
    for key, value in properties.items():
        artifact.custom_properties[key].string_value = value
    execution = mlmd_pb2.Execution(
        type_id=store.put_execution_type(mlmd_pb2.ExecutionType(name=ACCEPTANCE_TYPE)),
        last_known_state=mlmd_pb2.Execution.COMPLETE,
    )
    for key in (ACCEPTED_BY, ACCEPTED_AT, ACCEPTED_WHY):
        execution.custom_properties[key].string_value = properties[key]
    event = mlmd_pb2.Event(type=mlmd_pb2.Event.OUTPUT)
    event.path.steps.add().key = "schema"
    event.path.steps.add().index = 0
    store.put_execution(execution, [(artifact, event)], [pipeline])
    return str(folder)


def _baseline_with_accepted_columns(accepted: Plan, folder: Path) -> str:
    """The drift baseline for the next run: the last approval's statistics, with the columns
    just accepted (added, or a new type or categories) as the accepted data has them, and the
    removed ones dropped. Why: compared with data from before the change, an accepted new
    category (0% -> 31%) stopped the next run as drift, so accepting was not enough; a column
    the baseline lacks fills the log with TFDV's 'can't find' lines. The other columns are
    still compared with the approved run. Returns the statistics' location."""
    accepted_names = {c.feature for c in accepted.changes if c.change in _TAKEN_FROM_DATA}
    source = accepted.approved_statistics
    if not accepted.changes or not source or "://" in source or not Path(source).is_dir():
        return source
    from tensorflow_metadata.proto.v0 import statistics_pb2

    def name(feature: Any) -> str:
        return feature.path.step[0] if feature.path.step else feature.name

    kept = {f.name for f in accepted.schema.feature}
    taken = [f for f in accepted.statistics.datasets[0].features if name(f) in accepted_names]
    for split in sorted(Path(source).glob("Split-*")):
        stats_file = split / _STATS_FILE
        if not stats_file.is_file():
            continue
        statistics = statistics_pb2.DatasetFeatureStatisticsList.FromString(stats_file.read_bytes())
        for dataset in statistics.datasets:
            for index in reversed(range(len(dataset.features))):
                if name(dataset.features[index]) in accepted_names or (
                    name(dataset.features[index]) not in kept
                ):
                    del dataset.features[index]
            dataset.features.extend(taken)
        (folder / split.name).mkdir(parents=True)
        (folder / split.name / _STATS_FILE).write_bytes(statistics.SerializeToString())
    return str(folder)


def reset_unreadable_baseline(config: PipelineConfig, accepted: Plan, why: str) -> str:
    """After accepting removed or retyped columns no earlier model is a fair baseline: the
    Evaluator's baseline is reset (``tfxkit baseline reset``, recorded with who, when, why).
    Why: after a type change the next run trained, then failed in the Evaluator on the old
    model's Transform signature (a raw TFMA error); a removed column would be imputed for it.
    Returns the decision as said, or '' when nothing was reset."""
    breaking = sorted({c.feature for c in accepted.changes if c.change in ("removed", "type")})
    if not breaking or not _store_exists(config):
        return ""
    from tfxkit.metadata import store as metadata
    from tfxkit.pipeline import baseline as decisions
    from tfxkit.pipeline.resolvers import OPTIMIZATION_PROPERTY

    store = metadata.open_store(metadata.connection_config(config))
    context = store.get_context_by_type_and_name("pipeline", config.name)
    model_types = {t.id for t in store.get_artifact_types() if t.name == "Model"}
    models = [
        a
        for a in (store.get_artifacts_by_context(context.id) if context else [])
        if a.type_id in model_types and OPTIMIZATION_PROPERTY not in a.custom_properties
    ]
    if not models:
        return ""
    newest = max(models, key=lambda m: m.id)
    reason = (
        f"schema accepted ({why}): earlier models were trained on {', '.join(breaking)} as "
        "the data no longer has them (removed: imputed for them; retyped: unreadable)"
    )
    change = decisions.record(store, config.name, "reset", newest.id, newest.uri, reason)
    return change.describe()


def _store_exists(config: PipelineConfig) -> bool:
    """A MySQL store, or a SQLite file some run has created (a preview creates none)."""
    return bool(config.metadata.mysql) or Path(config.resolved_sqlite_path).exists()


def acceptances(config: PipelineConfig) -> list[dict[str, str]]:
    """Every recorded acceptance of this pipeline, oldest first: who, when, why, what."""
    from tfxkit.metadata import store as metadata

    store = metadata.open_store(metadata.connection_config(config))
    pipeline = store.get_context_by_type_and_name("pipeline", config.name)
    if pipeline is None:
        return []
    rows = []
    for artifact in store.get_artifacts_by_context(pipeline.id):
        if ACCEPTED_AT in artifact.custom_properties:
            props = {k: v.string_value for k, v in artifact.custom_properties.items()}
            rows.append(
                {
                    "uri": artifact.uri,
                    **{
                        k: props.get(k, "")
                        for k in (ACCEPTED_BY, ACCEPTED_AT, ACCEPTED_WHY, ACCEPTED_CHANGES)
                    },
                }
            )
    return sorted(rows, key=lambda r: r[ACCEPTED_AT])


def _who() -> str:
    """The accepting user, as the OS knows them (no secret: a login name)."""
    try:
        return os.environ.get("TFXKIT_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
