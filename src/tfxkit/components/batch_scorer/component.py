"""BatchScorer component: spec (inputs, outputs, settings) and the component class.

Why not TFX's BulkInferrer: on this stack (TFX 1.16, TF 2.16, Keras 2 models) it does not
score tfxkit's models (TFX's own penguin e2e test marks it xfail: "Exported Keras model with TF
1.16 is not working with bulk inference"), and it scores through tf.Example signatures, not the
raw-feature signature REST clients call. This component runs ``tfxkit.batch`` (the same code as
``tfxkit predict``): the pushed version's ``serving_default`` on the batch's rows, after the
batch passed the schema of record.

Two uses: after the push in the training pipeline (``pushed_model``: the version just pushed,
under the push's conditions, so only a blessed model scores) and in the scoring pipeline
(``pipelines/batch_scoring.py``: a version by number or label from the serving base).

Modelled on TFX's ``tfx/components/bulk_inferrer/component.py`` (spec + class + executor).
"""

from __future__ import annotations

from typing import Any

from tfx import types
from tfx.types import standard_artifacts

from tfxkit.components.batch_scorer import executor
from tfxkit.components.specs import SettingsSpec, SpecComponent, as_json, channels


class BatchScorerSpec(SettingsSpec):
    """The schema of record and, after a push, the pushed model in; the scores out
    (``InferenceResult``, TFX's type for BulkInferrer's output). Settings: ``executor``."""

    INPUTS = channels(
        {executor.SCHEMA_KEY: standard_artifacts.Schema},
        optional={executor.PUSHED_MODEL_KEY: standard_artifacts.PushedModel},
    )
    OUTPUTS = channels({executor.SCORES_KEY: standard_artifacts.InferenceResult})


class BatchScorer(SpecComponent, spec=BatchScorerSpec, executor=executor.Executor, beam=True):
    """Scores a batch of CSV / Parquet files with a pushed model, every row accounted for."""

    def __init__(
        self,
        schema: types.BaseChannel,
        settings: dict[str, Any],
        pushed_model: types.BaseChannel | None = None,
    ) -> None:
        super().__init__(locals(), settings=as_json(settings))
