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

from tfx import types
from tfx.types import standard_artifacts

from tfxkit.components.anomaly_gate import executor
from tfxkit.components.specs import SpecComponent, as_json, channels, json_or_none, parameters

ANOMALIES_KEY = executor.ANOMALIES_KEY
SCHEMA_KEY = executor.SCHEMA_KEY
GATED_SCHEMA_KEY = executor.GATED_SCHEMA_KEY


class AnomalyGateSpec(types.ComponentSpec):
    """Fails on anomalies that ``on_anomaly``/``severity`` say must stop; else passes ``schema``."""

    PARAMETERS = parameters(
        {
            executor.ON_ANOMALY_KEY: str,
            executor.SEVERITY_KEY: str,  # JSON {feature/type: action}
            executor.DRIFT_KEY: str,  # JSON {feature key: threshold}
        },
        optional={
            executor.COUNT_CHANGE_KEY: float,
            executor.LABEL_KEY: str,
            executor.TARGET_KEY: str,
            executor.SERVING_DATA_KEY: str,
            executor.SERVING_DIALECT_KEY: str,
            executor.SKEW_KEY: str,
            executor.DRIFT_CHECK_KEY: str,  # fail | warn | off
            executor.SKEW_CHECK_KEY: str,  # fail | warn | off
            executor.CHECKED_KEY: str,  # JSON [feature key]: what the default checks judge
            executor.OPEN_DOMAINS_KEY: str,  # JSON [feature key]: text / hash / date features
        },
    )
    INPUTS = channels(
        {
            executor.STATISTICS_KEY: standard_artifacts.ExampleStatistics,
            ANOMALIES_KEY: standard_artifacts.ExampleAnomalies,
            SCHEMA_KEY: standard_artifacts.Schema,
        },
        optional={executor.BASELINE_SCHEMA_KEY: standard_artifacts.Schema},
    )
    OUTPUTS = channels({GATED_SCHEMA_KEY: standard_artifacts.Schema})


class AnomalyGate(SpecComponent, spec=AnomalyGateSpec, executor=executor.Executor):
    """Stops the run on data anomalies; its ``schema`` output is the one downstream uses."""

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
        drift_check: str = "fail",
        skew_check: str = "fail",
        checked: list[str] | None = None,
        open_domains: list[str] | None = None,
    ) -> None:
        super().__init__(
            locals(),
            severity=as_json(severity or {}),
            drift=as_json(drift or {}),
            target=json_or_none(targets),
            skew=json_or_none(skew),
            checked=json_or_none(checked),
            open_domains=json_or_none(open_domains),
        )
