"""LeakageGate component: a feature that alone predicts the label stops (or warns about) a run.

Why: a table holding outcome columns recorded after the fact trained a model with AUC 0.997
that was blessed and pushed as stable (issue 22 #6), and no TFX component looks for target
leakage. This gate scores each configured feature on its own against the label
(``data.leakage``) on a bounded sample of the ExampleGen's train split.

Why a component and not a preflight check on the CSV: it reads what the pipeline trains on
(tf.Examples from CSV, TFRecord or Parquet input alike, after the split), it runs (and is
cached) like any node on every orchestrator, and its verdict is recorded in ML Metadata and
printed in the run summary. It sits between the anomaly gate and Transform: it takes the
anomaly gate's schema and passes it on, so with ``validation.leakage: fail`` Transform and
Trainer cannot start once it has failed. The passed-on schema carries no approval property, so
the last-approved-schema resolver and ``tfxkit schema freeze`` still find the anomaly gate's.

Modelled on TFX's ``tfx/components/pusher/component.py`` (spec + class + executor).
"""

from __future__ import annotations

from typing import Any

from tfx import types
from tfx.types import standard_artifacts

from tfxkit.components.leakage_gate import executor
from tfxkit.components.specs import SettingsSpec, SpecComponent, as_json, channels


class LeakageGateSpec(SettingsSpec):
    """Examples, statistics and a schema in; the same schema out. Settings: action (fail or
    warn), features (feature keys), label (key), derive (expression), label_columns ({column:
    key} of a derived label), task, sample_rows."""

    INPUTS = channels(
        {
            executor.EXAMPLES_KEY: standard_artifacts.Examples,
            executor.STATISTICS_KEY: standard_artifacts.ExampleStatistics,
            executor.SCHEMA_KEY: standard_artifacts.Schema,
        }
    )
    OUTPUTS = channels({executor.GATED_SCHEMA_KEY: standard_artifacts.Schema})


class LeakageGate(SpecComponent, spec=LeakageGateSpec, executor=executor.Executor):
    """Scores each feature alone against the label; its ``gated_schema`` is what Transform uses."""

    def __init__(
        self,
        examples: types.BaseChannel,
        statistics: types.BaseChannel,
        schema: types.BaseChannel,
        settings: dict[str, Any],
    ) -> None:
        super().__init__(locals(), settings=as_json(settings))
