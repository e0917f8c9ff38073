"""A run's outcome, read back from ML Metadata once its nodes have run: blessings, metrics,
fairness and optimization verdicts, anomalies and what was pushed, into the ``RunSummary``."""

from __future__ import annotations

import json

from tfxkit.metadata import store as metadata
from tfxkit.pipeline.stages import node_ids
from tfxkit.runners.summary import RunSummary


def fill_outcome(summary: RunSummary, conn) -> None:
    """Blessing, its reasons and the push destination of this run, read back from MLMD."""
    # TFMA loads only once a run has finished.
    from tfxkit.pipeline.eval_config import read_fairness, read_optimization, read_outcome

    store = metadata.open_store(conn)
    per_class: dict = {}
    transform_graph_uri = None
    for execution in metadata.run_executions(store, summary.pipeline_name, summary.run_id):
        for blessing in metadata.output_artifacts(store, execution.execution_id, "ModelBlessing"):
            # TFX writes no 'blessed' when no threshold is configured: that is not blessed.
            blessed = blessing.custom_properties["blessed"].int_value == 1
            if "optimization" in blessing.custom_properties:  # an optimized model's own gate
                summary.optimizations.append(read_optimization(blessing.uri))
                continue
            if execution.node_id in node_ids.OPTIMIZATION_EVALUATORS:  # TFMA on an optimized
                summary.optimized_evaluations[execution.node_id] = blessed
                continue
            summary.blessed = blessed and summary.blessed is not False  # every gate must bless
            fairness = read_fairness(blessing.uri)
            if fairness:
                summary.fairness = fairness
        evaluations = metadata.output_artifacts(store, execution.execution_id, "ModelEvaluation")
        for evaluation in evaluations if execution.node_id == node_ids.EVALUATOR else []:
            outcome = read_outcome(evaluation.uri)
            summary.metrics, summary.blessing_failures = outcome["metrics"], outcome["failures"]
            summary.too_small_slices = outcome["too_small"]
            per_class = outcome["per_class"]
        for graph in metadata.output_artifacts(store, execution.execution_id, "TransformGraph"):
            transform_graph_uri = graph.uri
        for schema in metadata.output_artifacts(store, execution.execution_id, "Schema"):
            warnings = schema.custom_properties.get("anomaly_warnings")
            if warnings is not None:
                summary.anomalies = json.loads(warnings.string_value)
        for pushed in metadata.output_artifacts(store, execution.execution_id, "PushedModel"):
            props = pushed.custom_properties
            if execution.node_id != node_ids.PUSHER:  # an optimized model's push
                if props["pushed"].int_value == 1:
                    summary.optimized_pushes[execution.node_id] = props[
                        "pushed_destination"
                    ].string_value
                continue
            if props["pushed"].int_value == 1:
                summary.pushed_path = props["pushed_destination"].string_value
                summary.already_pushed = props["already_pushed"].int_value == 1
                if "serving_labels" in props:
                    summary.serving_labels = json.loads(props["serving_labels"].string_value)
    if per_class and transform_graph_uri:
        summary.per_class = _named_classes(per_class, transform_graph_uri)


def _named_classes(per_class: dict[int, dict], transform_graph_uri: str) -> dict[str, dict]:
    """Class ids -> the label values they stand for (the Transform's label vocabulary)."""
    import tensorflow_transform as tft

    from tfxkit.config.features import LABEL_VOCAB_FILE

    names = tft.TFTransformOutput(transform_graph_uri).vocabulary_by_name(LABEL_VOCAB_FILE)
    return {
        (names[i].decode() if i < len(names) else f"class {i}"): values
        for i, values in per_class.items()
    }
