"""AnomalyGate component: data anomalies decide whether the run goes on.

Why: TFX's ExampleValidator records anomalies but nothing consumes them, so a column whose
values are all outside their domain still trains, blesses and pushes. This component reads
the anomalies (or, once a run has passed, validates new statistics against that run's schema,
with drift bounds) and either fails (stopping everything downstream: nothing is trained or
pushed) or passes the reference schema on. Transform and Trainer take the schema from this gate, so
they cannot start before it has passed.

Modelled on TFX's ``tfx/components/pusher/component.py`` (spec + class + executor).
"""

from __future__ import annotations

import json

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from tfxkit.components.anomaly_gate import executor
from tfxkit.components.verdicts import component_spec, fingerprinted

ANOMALIES_KEY = executor.ANOMALIES_KEY
SCHEMA_KEY = executor.SCHEMA_KEY
GATED_SCHEMA_KEY = executor.GATED_SCHEMA_KEY


class AnomalyGateSpec(types.ComponentSpec):
    """Fails on anomalies that ``on_anomaly``/``severity`` say must stop; else passes ``schema``."""

    PARAMETERS = fingerprinted(
        {
            executor.ON_ANOMALY_KEY: ExecutionParameter(type=str),
            executor.SEVERITY_KEY: ExecutionParameter(type=str),  # JSON {feature/type: action}
            executor.DRIFT_KEY: ExecutionParameter(type=str),  # JSON {feature key: threshold}
            executor.COUNT_CHANGE_KEY: ExecutionParameter(type=float, optional=True),
            executor.LABEL_KEY: ExecutionParameter(type=str, optional=True),
            executor.TARGET_KEY: ExecutionParameter(type=str, optional=True),
            executor.SERVING_DATA_KEY: ExecutionParameter(type=str, optional=True),
            executor.SERVING_DIALECT_KEY: ExecutionParameter(type=str, optional=True),
            executor.SKEW_KEY: ExecutionParameter(type=str, optional=True),
        }
    )
    INPUTS = {
        executor.STATISTICS_KEY: ChannelParameter(type=standard_artifacts.ExampleStatistics),
        ANOMALIES_KEY: ChannelParameter(type=standard_artifacts.ExampleAnomalies),
        SCHEMA_KEY: ChannelParameter(type=standard_artifacts.Schema),
        executor.BASELINE_SCHEMA_KEY: ChannelParameter(
            type=standard_artifacts.Schema, optional=True
        ),
    }
    OUTPUTS = {GATED_SCHEMA_KEY: ChannelParameter(type=standard_artifacts.Schema)}


class AnomalyGate(base_component.BaseComponent):
    """Stops the run on data anomalies; its ``schema`` output is the one downstream uses."""

    SPEC_CLASS = AnomalyGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        statistics: types.BaseChannel,
        anomalies: types.BaseChannel,
        schema: types.BaseChannel,
        baseline_schema: types.BaseChannel | None = None,
        on_anomaly: str = "fail",
        severity: dict[str, str] | None = None,
        drift: dict[str, float] | None = None,
        max_example_count_change: float | None = None,
        label: str = "",
        targets: list[str] | None = None,
        serving_data: str | None = None,
        serving_dialect: str | None = None,
        skew: dict[str, float] | None = None,
    ) -> None:
        spec = component_spec(
            type(self),
            statistics=statistics,
            anomalies=anomalies,
            schema=schema,
            baseline_schema=baseline_schema,
            on_anomaly=on_anomaly,
            severity=json.dumps(severity or {}, sort_keys=True),
            drift=json.dumps(drift or {}, sort_keys=True),
            max_example_count_change=max_example_count_change,
            label=label,
            target=json.dumps(targets) if targets else None,
            serving_data=serving_data,
            serving_dialect=serving_dialect,
            skew=json.dumps(skew, sort_keys=True) if skew else None,
        )
        super().__init__(spec=spec)
