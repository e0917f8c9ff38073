"""BatchScorer executor: which version, the schema of record, ``tfxkit.batch.score``.

Settings (JSON, built by ``pipeline.stages.score``): ``data``, ``format``, ``pass_through``,
``batch_rows``, ``output`` (publish there too), ``dialect`` (data.csv), ``data_format``,
``declared`` (feature key -> type), ``on_anomaly`` and ``severity`` (validation), and for the
scoring pipeline ``serving_base``, ``model_name``, ``version``. With a ``pushed_model`` input the
version is the one just pushed; one the pusher did not push is not scored.

The scores go into the output artifact's folder (``predictions.<ext>``, ``rejects.csv``,
``summary.json``); ``output`` gets a copy, replaced atomically. A batch that breaks the schema
of record, or bad input (a missing column, a wrong type, no rows), fails the component before
anything is written.
"""

from __future__ import annotations

import os
from typing import Any

from tfx.dsl.components.base import base_beam_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils
from tfx.utils import io_utils

from tfxkit.batch import output as batch_output
from tfxkit.batch.pipeline import ScoreRequest, score
from tfxkit.batch.versions import ModelVersion, resolve
from tfxkit.components.batch_scorer.validation import validator
from tfxkit.components.batch_scorer.verdict import BatchScoreVerdict
from tfxkit.components.verdicts import Artifacts, GateExecutor, load_settings
from tfxkit.config.sections import CsvDialect

SCHEMA_KEY = "schema"
PUSHED_MODEL_KEY = "pushed_model"
SCORES_KEY = "scores"


def model_version(inputs: Artifacts, settings: dict[str, Any]) -> ModelVersion | None:
    """The version just pushed (None when the pusher pushed nothing), else the one named."""
    pushed = inputs.get(PUSHED_MODEL_KEY)
    if pushed:
        artifact = artifact_utils.get_single_instance(pushed)
        if artifact.get_int_custom_property("pushed") != 1:
            return None
        path = artifact.get_string_custom_property("pushed_destination")
        version = int(artifact.get_string_custom_property("pushed_version"))
        return ModelVersion(settings["model_name"], version, path, None)
    return resolve(settings["serving_base"], settings["model_name"], settings.get("version"))


def publish(folder: str, destination: str) -> None:
    """Copy the scores to ``destination``, replacing an earlier copy in one rename."""
    batch_output.check_out(destination)
    tmp = batch_output.temporary(destination)
    try:
        fileio.makedirs(tmp)
        for name in fileio.listdir(folder):
            if not fileio.isdir(os.path.join(folder, name)):
                fileio.copy(os.path.join(folder, name), os.path.join(tmp, name))
        batch_output.commit(tmp, destination)
    except BaseException:
        batch_output.discard(tmp)
        raise


class Executor(GateExecutor, base_beam_executor.BaseBeamExecutor):
    """Scores the batch; the verdict (rows in, out, rejected) is stored with the scores."""

    VERDICT_OUTPUT = SCORES_KEY

    def decide(
        self, inputs: Artifacts, outputs: Artifacts, properties: dict[str, Any]
    ) -> BatchScoreVerdict:
        settings = load_settings(properties)
        scores = artifact_utils.get_single_instance(outputs[SCORES_KEY])
        model = model_version(inputs, settings)
        if model is None:
            return BatchScoreVerdict(judged=False, reasons=["no model was pushed in this run"])
        schema_uri = artifact_utils.get_single_uri(inputs[SCHEMA_KEY])
        schema = io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(schema_uri))
        keys = list(settings["declared"])
        request = ScoreRequest(
            data=settings["data"],
            out=scores.uri,
            model=model,
            dialect=CsvDialect.model_validate(settings["dialect"]),
            data_format=settings.get("data_format", "csv"),
            declared=settings["declared"],
            pass_through=tuple(settings.get("pass_through", ())),
            output_format=settings.get("format", "csv"),
            batch_rows=settings.get("batch_rows", 1024),
            beam_args=tuple(self._beam_pipeline_args or ()),
            reshuffle=any("DataflowRunner" in a for a in self._beam_pipeline_args or ()),
        )
        check = validator(schema, keys, settings["on_anomaly"], settings.get("severity", {}))
        result = score(request, check)
        published = settings.get("output")
        if published:
            publish(scores.uri, published)
        for name, value in (
            ("rows_in", result.rows_in),
            ("rows_out", result.rows_out),
            ("rejected", result.rejected),
            ("model_version", model.version),
        ):
            scores.set_int_custom_property(name, value)
        return BatchScoreVerdict(
            model_name=model.model_name,
            model_version=model.version,
            rows_in=result.rows_in,
            rows_out=result.rows_out,
            rejected=result.rejected,
            output=scores.uri,
            published=published,
            warnings=[f"{w['feature']}: {w['description']}" for w in result.warnings],
        )
