"""KFP's system artifact types, so the Kubeflow and Vertex UIs show the run report's outputs.

Why: Kubeflow's run and compare pages, and Vertex's, render only outputs typed
``system.HTML``, ``system.Markdown``, ``system.Metrics`` (scalar metrics from the artifact's
metadata) and ``system.ClassificationMetrics`` (``confusionMatrix`` / ``confidenceMetrics``).
TFX 1.16's Kubeflow V2 compiler writes a custom type as an ``instanceSchema`` whose title is
its TYPE_NAME; ``tfxkit.pipeline.kfp_compiler`` turns these into ``schemaTitle``s, and
``entrypoint`` tells TFX's container entrypoint which class each title is. Metadata
(metrics, matrices) travels as custom properties, which the entrypoint reports as the output
artifact's metadata.
"""

from __future__ import annotations

from tfx.types.artifact import Artifact


class HTML(Artifact):
    """An HTML file at the artifact's URI (not a folder): the pipeline UI renders it."""

    TYPE_NAME = "system.HTML"


class Markdown(Artifact):
    """A Markdown file at the artifact's URI."""

    TYPE_NAME = "system.Markdown"


class Metrics(Artifact):
    """Scalar metrics as custom properties: the UI's metrics table and run comparison."""

    TYPE_NAME = "system.Metrics"


class ClassificationMetrics(Artifact):
    """``confusionMatrix`` and ``confidenceMetrics`` (ROC points) as JSON custom properties."""

    TYPE_NAME = "system.ClassificationMetrics"


SYSTEM_TYPES = (HTML, Markdown, Metrics, ClassificationMetrics)
# KFP schema title -> the class TFX's entrypoint imports for it.
TITLE_TO_CLASS_PATH = {t.TYPE_NAME: f"{__name__}.{t.__name__}" for t in SYSTEM_TYPES}
# The module a task with such outputs runs instead of TFX's entrypoint (``entrypoint``).
ENTRYPOINT = "tfxkit.components.run_report.entrypoint"
SCHEMA_VERSION = "0.0.1"  # what the KFP SDK compiles its own system types with
