"""RunReport component: the run report and its key metrics as Kubeflow/Vertex UI outputs.

Why: locally the runner writes the HTML report from ML Metadata after each run
(``tfxkit.report``); on Kubeflow Pipelines and Vertex AI there is no local store to read and
the UI shows only HTML, Markdown, Metrics and ClassificationMetrics outputs. This node reads
the run's artifacts (statistics, TFMA's evaluation and the Evaluator's verdict, the Trainer's
fit history, the label vocabulary) and writes those four outputs (``artifacts``). It is added
to remote pipelines only (``stages.push``): a local run has its report already.

Modelled on TFX's ``tfx/components/pusher/component.py`` (spec + class + executor).
"""

from __future__ import annotations

from typing import Any

from tfx import types
from tfx.types import standard_artifacts

from tfxkit.components.run_report import artifacts, executor
from tfxkit.components.specs import SettingsSpec, SpecComponent, as_json, channels


class RunReportSpec(SettingsSpec):
    """Every input optional (a custom pipeline may lack one); settings: pipeline (its name)."""

    INPUTS = channels(
        {},
        {
            executor.STATISTICS_KEY: standard_artifacts.ExampleStatistics,
            executor.EVALUATION_KEY: standard_artifacts.ModelEvaluation,
            executor.BLESSING_KEY: standard_artifacts.ModelBlessing,
            executor.MODEL_RUN_KEY: standard_artifacts.ModelRun,
            executor.TRANSFORM_GRAPH_KEY: standard_artifacts.TransformGraph,
        },
    )
    OUTPUTS = channels(
        {
            executor.HTML_KEY: artifacts.HTML,
            executor.MARKDOWN_KEY: artifacts.Markdown,
            executor.METRICS_KEY: artifacts.Metrics,
            executor.CLASSIFICATION_KEY: artifacts.ClassificationMetrics,
        }
    )


class RunReport(SpecComponent, spec=RunReportSpec, executor=executor.Executor):
    """The report (``html``), a summary (``markdown``), scalar ``metrics`` and the confusion
    matrix (``classification_metrics``) of one run."""

    def __init__(
        self,
        settings: dict[str, Any],
        statistics: types.BaseChannel | None = None,
        evaluation: types.BaseChannel | None = None,
        blessing: types.BaseChannel | None = None,
        model_run: types.BaseChannel | None = None,
        transform_graph: types.BaseChannel | None = None,
    ) -> None:
        super().__init__(locals(), settings=as_json(settings))
