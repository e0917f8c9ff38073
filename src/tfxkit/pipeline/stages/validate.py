"""Validate: statistics, a schema (inferred, or curated as code), anomalies against it, and
the gate (``components/anomaly_gate``) that stops the run on them, then the target-leakage gate
(``components/leakage_gate``, unless ``validation.leakage: off``). ``Validated.schema`` is the
last gate's output, so Transform and Trainer start only once the data has passed both.

Images (``data.format: images``): statistics with TFDV's semantic domains on (the ``image``
feature gets its image format histogram and, in the inferred schema, an image domain), and no
leakage gate (there are no features to score); Transform decodes the images
(``transform.images``)."""

from __future__ import annotations

from dataclasses import dataclass

from tfx import v1 as tfx

from tfxkit.components.anomaly_gate.component import AnomalyGate
from tfxkit.components.csv_example_gen.component import dialect_json
from tfxkit.components.leakage_gate.component import LeakageGate
from tfxkit.components.leakage_gate.executor import SAMPLE_ROWS as LEAKAGE_SAMPLE_ROWS
from tfxkit.config.features import column_key
from tfxkit.config.label_expr import parse as parse_label
from tfxkit.config.sections import IMAGE_KEYS, TEXT_FOLDER_KEYS
from tfxkit.pipeline.stages import node_ids
from tfxkit.pipeline.stages._base import StageContext
from tfxkit.pipeline.stages.ingest import Ingested


@dataclass(frozen=True)
class Validated:
    statistics: tfx.dsl.Channel
    schema: tfx.dsl.Channel
    anomalies: tfx.dsl.Channel


PATH, SHAPE = IMAGE_KEYS[1], IMAGE_KEYS[2:]  # an image's path under data.path; its shape


def validate(p: StageContext, data: Ingested) -> Validated:
    images = p.config.data.format == "images"
    stats_options = {}
    text = any(str(f.transform) == "text" for f in p.config.features)  # natural language
    if images or text:  # TFDV's image, text and time domains: image format counts, an image
        # domain; a text feature's natural language match rate and domain (docs/text.md)
        import tensorflow_data_validation as tfdv

        stats_options["stats_options"] = tfdv.StatsOptions(enable_semantic_domain_stats=True)
    stats = p.add(
        tfx.components.StatisticsGen(examples=data.examples, **stats_options),
        node_ids.STATISTICS_GEN,
    )
    schema_cfg = p.config.schema_
    if schema_cfg.path:
        schema_node = p.add(
            tfx.components.ImportSchemaGen(schema_file=schema_cfg.path), node_ids.SCHEMA_IMPORTER
        )
    else:
        schema_node = p.add(
            tfx.components.SchemaGen(
                statistics=stats.outputs["statistics"],
                infer_feature_shape=schema_cfg.infer_feature_shape,
            ),
            node_ids.SCHEMA_GEN,
        )
    validator = p.add(
        tfx.components.ExampleValidator(
            statistics=stats.outputs["statistics"], schema=schema_node.outputs["schema"]
        ),
        node_ids.EXAMPLE_VALIDATOR,
    )
    validation = p.config.validation
    baseline = None
    resolver = p.target.schema_baseline_resolver(stats.outputs["statistics"])
    if resolver is not None and not schema_cfg.path:  # a curated schema is the reference
        baseline = p.add(resolver, node_ids.SCHEMA_BASELINE_RESOLVER).outputs["schema"]
    gate = p.add(
        AnomalyGate(
            statistics=stats.outputs["statistics"],
            anomalies=validator.outputs["anomalies"],
            schema=schema_node.outputs["schema"],
            baseline_schema=baseline,
            on_anomaly=validation.on_anomaly,
            severity={k: getattr(v, "value", v) for k, v in validation.severity.items()},
            drift={column_key(k): v for k, v in validation.drift.items()},
            drift_check=validation.drift_check,
            checked=_shift_checked(p.config),
            open_domains=open_domain_features(p.config),
            max_example_count_change=validation.max_example_count_change,
            label=_checked_label(p.config),
            **_serving(p.config),
        ),
        node_ids.ANOMALY_GATE,
    )
    schema = gate.outputs["gated_schema"]
    if validation.leakage != "off" and not images:  # Transform takes it once no feature leaks
        schema = p.add(
            LeakageGate(data.examples, stats.outputs["statistics"], schema, _leakage(p.config)),
            node_ids.LEAKAGE_GATE,
        ).outputs["gated_schema"]
    return Validated(
        statistics=stats.outputs["statistics"],
        schema=schema,
        anomalies=validator.outputs["anomalies"],
    )


def _leakage(config) -> dict:
    """The leakage gate's settings: the features, and the label or the columns it derives
    from, as feature keys (``components/leakage_gate``)."""
    label = config.label
    derived = parse_label(label.derive).columns if label.derive else []
    return {
        "action": config.validation.leakage,
        "features": [column_key(f.name) for f in config.features],
        "label": "" if label.derive else column_key(label.name),
        "derive": label.derive or "",
        "positive": label.positive or "",
        "label_columns": {c: column_key(c) for c in derived},
        "task": label.resolved_task,
        "sample_rows": LEAKAGE_SAMPLE_ROWS,
    }


def _shift_checked(config) -> list[str]:
    """The feature keys the gate's default drift and skew checks judge: every configured
    feature and a label read from the data (its balance is part of what the model learned);
    not other columns, which may be ids or dates that differ in every new span."""
    label = [] if config.label.derive else [column_key(config.label.name)]
    if config.data.format == "images":  # a batch of another size or mode is a shift
        return label + list(SHAPE)
    return [column_key(f.name) for f in config.features] + label


def open_domain_features(config) -> list[str]:
    """Features whose values are open-ended by design: a new value is not an anomaly."""
    open_kinds = {"text", "hash", "date"}
    paths = [PATH] if config.data.format == "images" else []  # every new image has a new path
    if config.data.format == "text_folder":  # and every new text file
        paths.append(TEXT_FOLDER_KEYS[1])
    return paths + [
        column_key(f.name)
        for f in config.features
        if str(getattr(f.transform, "value", f.transform)) in open_kinds
    ]


def _checked_label(config) -> str:
    """The label column whose values must all appear in train: a classification label read
    from the data (a derived label has no column; regression has no classes)."""
    label = config.label
    if label.derive or label.resolved_task == "regression":
        return ""
    return column_key(label.name)


def _serving(config) -> dict:
    """The skew check's parameters, only when logged serving data is configured."""
    validation = config.validation
    if not validation.serving_data:
        return {}
    label = config.label
    targets = parse_label(label.derive).columns if label.derive else [label.name]
    return {
        "serving_data": validation.serving_data,
        "serving_dialect": dialect_json(config.data.csv),
        "skew": {column_key(k): v for k, v in validation.skew.items()},
        "skew_check": validation.skew_check,
        "targets": [column_key(c) for c in targets if c],
    }
