"""Batch scoring stages: after the push (the model just blessed and pushed) and on its own (the
scoring pipeline, ``pipelines/batch_scoring.py``, with a pushed version by number or label).

After a push the scorer sits under the same ``Cond``s as the pusher (every gate, the infra
check included), so it runs only when the model was blessed and pushed; it takes the pushed
model (its version) and the schema the model was trained under (the Trainer's ``schema``
input: the schema of record). The scoring pipeline has no training run: its schema of record is
the frozen ``schema.path`` (ImportSchemaGen), as remote pipelines pin it anyway.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from tfx import v1 as tfx

from tfxkit.components.batch_scorer.component import BatchScorer
from tfxkit.config.features import declared_column_types
from tfxkit.config.pipeline_config import PipelineConfig, column_key
from tfxkit.errors import PipelineDefinitionError
from tfxkit.pipeline.stages import node_ids
from tfxkit.pipeline.stages._base import StageContext, gate_passed_condition
from tfxkit.pipeline.stages.targets import LOCAL

BATCH_SCORER = "batch_scorer"
SCORING_SUFFIX = "-scoring"


@dataclass(frozen=True)
class Scored:
    scores: tfx.dsl.Channel


def settings(config: PipelineConfig) -> dict[str, Any]:
    """The scorer's settings from the config (``batch``, ``data.csv``, ``validation``, push)."""
    batch = config.batch
    if batch is None:
        raise PipelineDefinitionError("batch scoring needs a 'batch' section in the config")
    keys = {column_key(f.name) for f in config.features}  # the model's inputs
    declared = {k: v for k, v in declared_column_types(config).items() if k in keys}
    return {
        "data": batch.data,
        "output": batch.output,
        "format": batch.format,
        "pass_through": list(batch.pass_through),
        "batch_rows": batch.batch_rows,
        "version": batch.version,
        "dialect": config.data.csv.model_dump(mode="json"),
        "data_format": str(config.data.format),
        "declared": declared,
        "on_anomaly": config.validation.on_anomaly,
        "severity": dict(config.validation.severity),
        "serving_base": config.resolved_serving_base,
        "model_name": config.resolved_model_name,
    }


def data_fingerprint(data: str) -> str:
    """The batch's files by content (paths and sha256), for TFX's cache key: a local run with
    a new batch at the same path scores it again; the same batch and model stay cached."""
    import os

    from tfxkit.components.content_fingerprint import content_fingerprint

    if "://" in data:  # read at run time on the bucket: like an orchestrator, --no-cache
        return "remote: not fingerprinted"
    if not os.path.exists(data):
        return "absent"
    if os.path.isdir(data):
        return content_fingerprint("batch", data, "*")
    return content_fingerprint("batch", os.path.dirname(data) or ".", os.path.basename(data))


def _settings(p: StageContext) -> dict[str, Any]:
    """``settings`` and, on a local run, the batch's content fingerprint (an orchestrator runs
    the compiled spec later, on data that is not there yet: no fingerprint there, so scheduled
    scoring runs with ``--no-cache``; docs/batch.md)."""
    values = settings(p.config)
    if p.target.name == LOCAL.name:
        values["data_fingerprint"] = data_fingerprint(values["data"])
    return values


def _blessing(gate: Any) -> Any:
    return getattr(gate, "blessing", gate)


def score_pushed(p: StageContext, model: Any, pushed: Any, gates: tuple[Any, ...]) -> Scored:
    """The scorer after a push: ``model`` the Trainer's model channel (its schema input is the
    schema of record), ``pushed`` the pusher's output, ``gates`` the push's gates."""
    producer = getattr(model, "producer_component", None)
    schema = getattr(producer, "inputs", {}).get("schema") if producer is not None else None
    if schema is None:
        raise PipelineDefinitionError(
            "batch scoring after a push needs the model's schema of record: push a model the "
            "train stage produced (its Trainer's schema input)"
        )
    with contextlib.ExitStack() as conds:
        for gate in gates:
            blessing = _blessing(gate)
            conds.enter_context(gate_passed_condition(blessing))
        node = p.add(
            BatchScorer(schema=schema, settings=_settings(p), pushed_model=pushed),
            BATCH_SCORER,
        )
    return Scored(scores=node.outputs["scores"])


def score_version(p: StageContext) -> Scored:
    """The scoring pipeline's one stage: the frozen schema of record, imported, and the scorer
    with ``batch.version`` of the served model."""
    config = p.config
    if not config.schema_.path:
        raise PipelineDefinitionError(
            "the batch scoring pipeline validates the batch against the schema of record: "
            "freeze it (`tfxkit schema freeze -c CONFIG`) and set schema.path"
        )
    importer = p.add(
        tfx.components.ImportSchemaGen(schema_file=config.schema_.path), node_ids.SCHEMA_IMPORTER
    )
    node = p.add(
        BatchScorer(schema=importer.outputs["schema"], settings=_settings(p)), BATCH_SCORER
    )
    return Scored(scores=node.outputs["scores"])


def scoring_config(config: PipelineConfig) -> PipelineConfig:
    """The config of the scoring pipeline: named ``<name>-scoring`` (its own runs, schedules and
    ML Metadata context), the model name and serving base unchanged. Renamed in place (and only
    once): the compilers and runners read the name from the config they gave the pipeline file,
    so the compiled spec, its schedules and the run summary all say ``<name>-scoring``."""
    if not config.name.endswith(SCORING_SUFFIX):
        config.push.model_name = config.resolved_model_name
        config.name = f"{config.name}{SCORING_SUFFIX}"
    return config
