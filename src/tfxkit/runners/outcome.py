"""A run's outcome, read back from ML Metadata once its nodes have run: every gate's verdict.

The runner knows no gate: each output artifact that holds a verdict names its kind, and the
registry (``tfxkit.components.verdicts``) types it. What the runner adds is run-wide: whether
every gate of the trained model blessed it, and the label values of per-class metrics (the
Transform's vocabulary). The flat summary fields of earlier versions are derived at the end.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfxkit.components import verdicts as registry
from tfxkit.components.anomaly_gate.verdict import AnomalyVerdict
from tfxkit.components.evaluator.verdict import EvaluationVerdict
from tfxkit.components.fairness_gate.verdict import FairnessVerdict
from tfxkit.components.model_optimizer.verdict import OptimizationVerdict
from tfxkit.components.model_pusher.verdict import PushVerdict
from tfxkit.components.verdicts import Verdict
from tfxkit.metadata import store as metadata
from tfxkit.pipeline.stages import node_ids
from tfxkit.runners.summary import RunSummary


def fill_outcome(summary: RunSummary, store: Any) -> None:
    """Every gate's verdict in this run, whether the trained model was blessed, and the flat
    fields derived from them; ``store``: the run's open ML Metadata store."""
    artifact_types = sorted({cls.ARTIFACT_TYPE for cls in registry.registered().values()})
    found: dict[str, Verdict] = {}
    transform_graph_uri = None
    for execution in metadata.run_executions(store, summary.pipeline_name, summary.run_id):
        for type_name in artifact_types:
            for artifact in metadata.output_artifacts(store, execution.execution_id, type_name):
                verdict = registry.read(artifact)
                if verdict is None and type_name == "ModelBlessing":
                    verdict = _foreign_blessing(artifact)
                if verdict is not None:
                    found[execution.node_id] = verdict.named(execution.node_id)
        for graph in metadata.output_artifacts(store, execution.execution_id, "TransformGraph"):
            transform_graph_uri = graph.uri
    evaluation = found.get(node_ids.EVALUATOR)
    if isinstance(evaluation, EvaluationVerdict) and evaluation.per_class and transform_graph_uri:
        found[node_ids.EVALUATOR] = _named_classes(evaluation, transform_graph_uri)
    summary.verdicts = {node_id: v.model_dump(mode="json") for node_id, v in found.items()}
    gates = [
        v
        for node_id, v in found.items()
        if v.BLESSING and node_id not in node_ids.OPTIMIZED_MODEL_GATES
    ]
    summary.blessed = all(v.passed for v in gates) if gates else None
    fill_flat_fields(summary, found)


class _Blessing(Verdict):
    """A ``ModelBlessing`` from a component that stores no verdict (TFX's own Evaluator)."""

    BLESSING: ClassVar[bool] = True


def _foreign_blessing(artifact: Any) -> Verdict:
    """Its ``blessed`` property; none (TFX's Evaluator without thresholds) is not blessed."""
    properties = artifact.custom_properties
    judged = "blessed" in properties
    reason = properties["reason"].string_value if "reason" in properties else ""
    return _Blessing(
        kind="blessing",
        passed=judged and properties["blessed"].int_value == 1,
        judged=judged,
        reasons=[reason] if reason else [],
    )


def _named_classes(evaluation: EvaluationVerdict, transform_graph_uri: str) -> EvaluationVerdict:
    """Class ids -> the label values they stand for (the Transform's label vocabulary)."""
    import tensorflow_transform as tft

    from tfxkit.config.features import LABEL_VOCAB_FILE

    names = tft.TFTransformOutput(transform_graph_uri).vocabulary_by_name(LABEL_VOCAB_FILE)

    def name(class_id: str) -> str:
        i = int(class_id) if class_id.isdigit() else len(names)
        return names[i].decode() if i < len(names) else f"class {class_id}"

    named = {name(k): v for k, v in evaluation.per_class.items()}
    return evaluation.model_copy(update={"per_class": named})


def fill_flat_fields(summary: RunSummary, found: dict[str, Verdict]) -> None:
    """The summary fields of earlier versions (``--summary-json`` readers use them), from the
    verdicts of the gates that existed then; a newer gate appears under ``verdicts`` only."""
    for node_id, verdict in found.items():
        if isinstance(verdict, EvaluationVerdict) and node_id in node_ids.OPTIMIZATION_EVALUATORS:
            summary.optimized_evaluations[node_id] = verdict.passed
        elif isinstance(verdict, EvaluationVerdict) and node_id == node_ids.EVALUATOR:
            summary.metrics = dict(verdict.metrics)
            summary.blessing_failures = list(verdict.reasons)
            summary.too_small_slices = verdict.too_small_text()
            summary.per_class = {k: v.model_dump() for k, v in verdict.per_class.items()}
        elif isinstance(verdict, FairnessVerdict):
            summary.fairness = {
                **verdict.model_dump(exclude={"kind", "passed", "judged", "reasons"}),
                "blessed": verdict.passed,
                "failures": list(verdict.reasons),
            }
        elif isinstance(verdict, OptimizationVerdict):
            summary.optimizations.append(
                {
                    "kind": verdict.optimization,
                    **verdict.model_dump(include={"original", "optimized", "comparison"}),
                    "sparsity": verdict.sparsity,
                    "eval_rows": verdict.eval_rows,
                    "gate": {
                        **verdict.bounds,
                        "passed": verdict.passed,
                        "reasons": verdict.reasons,
                    },
                }
            )
        elif isinstance(verdict, AnomalyVerdict):
            summary.anomalies = [row.model_dump() for row in verdict.warnings]
        elif isinstance(verdict, PushVerdict) and verdict.pushed and verdict.destination:
            if node_id == node_ids.PUSHER:
                summary.pushed_path = verdict.destination
                summary.already_pushed = verdict.already_pushed
                summary.serving_labels = dict(verdict.serving_labels)
            else:  # an optimized model's push
                summary.optimized_pushes[node_id] = verdict.destination
