"""RunReport executor: the run's artifacts in, the four KFP UI outputs written.

Each output's URI is a file (KFP's convention for system types), not a folder: the HTML page,
the Markdown summary; the metrics and the confusion matrix are custom properties, which TFX's
container entrypoint reports as the artifacts' metadata (what the UI reads).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from tfx.dsl.components.base import base_executor
from tfx.utils import io_utils

from tfxkit.components.run_report import gather, sections
from tfxkit.components.run_report.splits import load_split
from tfxkit.components.verdicts import VERDICT_FILE, load_settings, parse

STATISTICS_KEY = "statistics"
EVALUATION_KEY = "evaluation"
BLESSING_KEY = "blessing"
MODEL_RUN_KEY = "model_run"
TRANSFORM_GRAPH_KEY = "transform_graph"
HTML_KEY = "html"
MARKDOWN_KEY = "markdown"
METRICS_KEY = "metrics"
CLASSIFICATION_KEY = "classification_metrics"
SPLITS = ("train", "eval")


def _uri(inputs: dict[str, list[Any]], key: str) -> str | None:
    found = inputs.get(key) or []
    return found[-1].uri if found else None


class Executor(base_executor.BaseExecutor):
    def Do(
        self,
        input_dict: dict[str, list[Any]],
        output_dict: dict[str, list[Any]],
        exec_properties: dict[str, Any],
    ) -> None:
        settings = load_settings(exec_properties)
        content = Content.read(input_dict)
        html = render(settings.get("pipeline", ""), content)
        io_utils.write_string_file(output_dict[HTML_KEY][0].uri, html)
        io_utils.write_string_file(output_dict[MARKDOWN_KEY][0].uri, markdown(content))
        metrics = output_dict[METRICS_KEY][0]
        for name, value in content.metrics.items():
            metrics.set_float_custom_property(name, value)
        # The same as JSON at each URI: the UI reads the metadata, a reader without MLMD this.
        io_utils.write_string_file(metrics.uri, json.dumps(content.metrics, sort_keys=True))
        target = output_dict[CLASSIFICATION_KEY][0]
        for name, value in (content.classification or {}).items():
            target.set_json_value_custom_property(name, value)
        io_utils.write_string_file(target.uri, json.dumps(content.classification or {}))


class Content:
    """What the report of a remote run shows, read from its input artifacts."""

    def __init__(self) -> None:
        self.splits: list[Any] = []
        self.verdict: Any = None
        self.metrics: dict[str, float] = {}
        self.per_class: dict[str, Any] = {}
        self.history: dict[str, Any] | None = None
        self.classification: dict[str, Any] | None = None

    @classmethod
    def read(cls, inputs: dict[str, list[Any]]) -> Content:
        content = cls()
        stats = _uri(inputs, STATISTICS_KEY)
        if stats:
            found = [load_split(stats, split) for split in SPLITS]
            content.splits = [s for s in found if s is not None]
        blessing = _uri(inputs, BLESSING_KEY)
        if blessing and os.path.exists(os.path.join(blessing, VERDICT_FILE)):
            with open(os.path.join(blessing, VERDICT_FILE)) as handle:
                content.verdict = parse(json.load(handle))
        content.metrics = {
            k: float(v) for k, v in (getattr(content.verdict, "metrics", None) or {}).items()
        }
        names = _label_names(_uri(inputs, TRANSFORM_GRAPH_KEY))
        per_class = getattr(content.verdict, "per_class", None) or {}
        content.per_class = {_name(k, names): v.model_dump() for k, v in per_class.items()}
        content.history = gather.load_history(_uri(inputs, MODEL_RUN_KEY))
        matrix = gather.confusion(_uri(inputs, EVALUATION_KEY))
        content.classification = gather.name_classes(matrix, names) if matrix else None
        return content


def _label_names(transform_graph: str | None) -> list[str]:
    """The label vocabulary (class id i is its i-th value); [] for regression or none."""
    if not transform_graph:
        return []
    try:
        import tensorflow_transform as tft

        from tfxkit.config.features import LABEL_VOCAB_FILE

        names = tft.TFTransformOutput(transform_graph).vocabulary_by_name(LABEL_VOCAB_FILE)
        return [n.decode() for n in names]
    except Exception as exc:  # noqa: BLE001 - a regression model has no label vocabulary
        logging.info("report: no label vocabulary in %s: %s", transform_graph, exc)
        return []


def _name(class_id: str, names: list[str]) -> str:
    return names[int(class_id)] if class_id.isdigit() and int(class_id) < len(names) else class_id


def render(pipeline: str, content: Content) -> str:
    """The report page: the same sections the local report shows, from this run's artifacts."""
    verdict = content.verdict
    status = "no evaluation" if verdict is None else "blessed" if verdict.passed else "not blessed"
    summary = {"metrics": content.metrics, "per_class": content.per_class}
    parts = [
        sections.header({"pipeline": pipeline, "status": status}),
        sections.statistics(content.splits),
        sections.curves(content.history),
        sections.metrics(summary),
        sections.verdicts([("evaluator", verdict)] if verdict is not None else []),
    ]
    return sections.page(f"{pipeline} run report", parts)


def markdown(content: Content) -> str:
    """A short summary for the UI's Markdown viewer: the verdict and the metrics."""
    verdict = content.verdict
    lines = ["# Run report", ""]
    if verdict is None:
        lines.append("No evaluation in this run.")
    else:
        lines.append(f"**Evaluation: {'blessed' if verdict.passed else 'not blessed'}**")
        lines += [f"- {reason}" for reason in verdict.reasons]
    if content.metrics:
        lines += ["", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v:.4g} |" for k, v in sorted(content.metrics.items())]
    if content.per_class:
        keys = list(dict.fromkeys(k for v in content.per_class.values() for k in v))
        lines += ["", "| class | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
        lines += [
            f"| {name} | " + " | ".join(_cell(v.get(k)) for k in keys) + " |"
            for name, v in content.per_class.items()
        ]
    for split in content.splits:
        lines.append(f"\nSplit '{split.split}': {split.examples} examples.")
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else "" if value is None else str(value)
