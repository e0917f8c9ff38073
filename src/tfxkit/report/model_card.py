"""The model card: one Markdown page per blessed run, from ML Metadata, beside the pushed version.

Why from ML Metadata (not from the pipeline's objects): a card must describe the run that made
the version, and a reviewer must be able to regenerate it later (``tfxkit model-card``) from the
same record: the run's config and summary (``metadata.run_history``), the statistics artifact,
the gates' verdicts (metrics, fairness gaps, explanations, optimization, push) and the ids of
the executions. model-card-toolkit does not install with this stack (it pins TFMA < 0.42), so
the card is a Jinja2 template here. Where the card was written is recorded on the run's
``pipeline_run`` context, beside its config and summary.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import jinja2

from tfxkit.components.verdicts import parse
from tfxkit.metadata.run_history import RunRecord, load_run
from tfxkit.metadata.store import PIPELINE_RUN_CONTEXT

CARD_FILE = "model_card.md"
CARDS_DIR = ".tfxkit-cards"  # <model dir>/.tfxkit-cards/<version>/model_card.md (serving/layout)
CARD_PROPERTY = "tfxkit_model_card"  # on the run's pipeline_run context: the card's path
CARD_DIGEST_PROPERTY = "tfxkit_model_card_sha256"
SPLITS = ("train", "eval")

TEMPLATE = """\
# Model card: {{ model_name }}{% if version %} version {{ version }}{% endif %}

Generated from ML Metadata for run `{{ run_id }}` of pipeline `{{ pipeline }}` \
(status: {{ status }}; config hash `{{ config_hash }}`).

## Intended use
{{ intended_use or "Not stated (set model_card.intended_use in the pipeline config)." }}
{% if owners %}
Owners: {{ owners | join(", ") }}
{% endif %}
## Model
- task: {{ task }}, label `{{ label }}`
- model: {{ model_type }}
- features ({{ features | length }}): {{ features | join(", ") }}

## Data
- source: `{{ data_path }}` ({{ data_format }})
{% for s in splits %}- {{ s.split }}: {{ s.examples }} examples, {{ s.features | length }} features
{% endfor %}{% if feature_rows %}
| feature | type | missing | mean | std | distinct |
|---|---|---|---|---|---|
{% for f in feature_rows %}| {{ f.name }} | {{ f.type }} | {{ pct(f.missing) }} \
| {{ num(f.mean) }} | {{ num(f.std) }} | {{ num(f.unique) }} |
{% endfor %}{% endif %}
## Metrics
{% if metrics %}| metric | value |
|---|---|
{% for name, value in metrics %}| {{ name }} | {{ num(value) }} |
{% endfor %}{% else %}No evaluation metrics were recorded.
{% endif %}{% if slice_metrics %}
Per slice:

| slice | {{ slice_metric_names | join(" | ") }} |
|---|{% for _ in slice_metric_names %}---|{% endfor %}
{% for row in slice_metrics %}| {{ row.slice }} | \
{% for n in slice_metric_names %}{{ num(row.metrics.get(n)) }} |\
{{ " " if not loop.last else "" }}{% endfor %}
{% endfor %}{% endif %}
## Fairness
{% if fairness %}{{ fairness.reason }} (decision threshold {{ num(fairness.threshold) }})

| slice | examples | {{ fairness.names | join(" | ") }} | result |
|---|---|{% for _ in fairness.names %}---|{% endfor %}---|
{% for row in fairness.rows %}| {{ row.slice }} | {{ num(row.examples) }} | \
{% for n in fairness.names %}{{ gap(row, n) }} | {% endfor %}{{ row.status }} |
{% endfor %}{% else %}No fairness gate in this run.
{% endif %}
## Explanations
{% if explanation %}{{ explanation.method }} on {{ explanation.examples }} evaluation examples; \
mean absolute attribution per raw feature:

| rank | feature | importance |
|---|---|---|
{% for name, value in explanation.importance %}| {{ loop.index }} | {{ name }} | {{ num(value) }} |
{% endfor %}{% set counts = explanation.slice_examples %}\
{% for s, ranked in explanation.slices %}
- slice {{ s }}{% if counts.get(s) %} ({{ counts[s] }} examples){% endif %}: \
{{ ranked | join(", ") }}{% endfor %}
{% if explanation.drift %}

Attribution drift against the previous blessed model (`{{ explanation.drift.baseline }}`): \
{% if explanation.drift.correlation is none %}not measured: {{ explanation.drift.note }}.
{% else %}rank correlation {{ num(explanation.drift.correlation) }} over \
{{ explanation.drift.common }} features.

| feature | importance before | now | change in share |
|---|---|---|---|
{% for c in explanation.drift.changes %}| {{ c.feature }} | {{ num(c.before) }} | \
{{ num(c.after) }} | {{ "%+.1f" | format(100 * c.share_change) }}% |
{% endfor %}{% endif %}{% endif %}{% else %}No explanations in this run (add an explain section).
{% endif %}
## Privacy
{% if privacy %}Trained with DP-SGD: epsilon {{ num(privacy.epsilon) }} at delta \
{{ num(privacy.delta) }}.{% else %}Not trained with differential privacy \
(no privacy budget).{% endif %}

## Optimization
{% for line in optimization %}- {{ line }}
{% else %}No optimized model.
{% endfor %}
## Limitations
{% for item in limitations %}- {{ item }}
{% else %}None stated (set model_card.limitations).
{% endfor %}{% for item in caveats %}- {{ item }}
{% endfor %}
## Lineage
- run: `{{ run_id }}`{% if destination %}; pushed to `{{ destination }}`{% endif %}\
{% if digest %} (sha256 {{ digest[:16] }}){% endif %}

| node | execution id | state |
|---|---|---|
{% for e in executions %}| {{ e.node_id }} | {{ e.execution_id }} | {{ e.state }} |
{% endfor %}"""


def num(value: Any) -> str:
    """A number as the card prints it: 4 significant digits; '-' for none."""
    if value is None:
        return "-"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.4g}"
    return str(value)


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _gap(row: dict[str, Any], name: str) -> str:
    rate = row["rates"].get(name)
    gap = row.get("gaps", {}).get(name)
    if rate is None:
        return "undefined"
    return num(rate) + (f" (diff {num(gap['difference'])})" if gap else "")


def facts(store: Any, record: RunRecord) -> dict[str, Any]:
    """Everything the card shows, read from the run's record and artifacts in ML Metadata."""
    config = record.config or {}
    summary = record.summary or {}
    verdicts = {node: parse(data) for node, data in (summary.get("verdicts") or {}).items()}
    by_kind: dict[str, Any] = {}
    for verdict in verdicts.values():
        by_kind.setdefault(verdict.kind, verdict)
    card = config.get("model_card") or {}
    push = by_kind.get("push")
    destination = push.destination if push is not None and push.passed else None
    evaluation = by_kind.get("evaluation")
    data = config.get("data") or {}
    label = config.get("label") or {}
    found: dict[str, Any] = {
        "pipeline": record.pipeline_name,
        "run_id": record.run_id,
        "status": record.status,
        "config_hash": record.config_hash or "not recorded",
        "model_name": (config.get("push") or {}).get("model_name") or record.pipeline_name,
        "version": push.version if destination else None,
        "destination": destination,
        "digest": push.digest if destination else None,
        "intended_use": card.get("intended_use"),
        "owners": card.get("owners") or [],
        "limitations": card.get("limitations") or [],
        "caveats": [],
        "task": label.get("task") or "inferred",
        "label": label.get("name", "?"),
        "model_type": (config.get("model") or {}).get("type", "?"),
        "features": [f["name"] for f in config.get("features") or []],
        "data_path": data.get("path", "?"),
        "data_format": data.get("format", "csv"),
        "splits": _splits(store, record),
        "metrics": sorted((evaluation.metrics if evaluation else {}).items()),
        "slice_metrics": [],
        "fairness": _fairness(by_kind.get("fairness")),
        "explanation": _explanation(by_kind.get("explanation")),
        "privacy": _privacy(by_kind.get("privacy")),
        "optimization": [v.line() for v in verdicts.values() if v.kind == "optimization"],
        "executions": [vars(e) for e in record.executions],
    }
    found["feature_rows"] = (
        [vars(f) for f in found["splits"][0].features] if found["splits"] else []
    )
    found["slice_metrics"] = _slice_metrics(store, record)
    names = sorted({n for row in found["slice_metrics"] for n in row["metrics"]})
    found["slice_metric_names"] = names
    if evaluation is not None and evaluation.too_small:
        found["caveats"] += evaluation.too_small_text()
    explained = by_kind.get("explanation")
    if explained is not None and not explained.passed:
        found["caveats"] += explained.reasons
    if found["fairness"]:
        found["caveats"] += [f"fairness not judged: {n}" for n in found["fairness"]["not_judged"]]
    return found


def _splits(store: Any, record: RunRecord) -> list[Any]:
    try:
        from tfxkit.report.stats import load_split, statistics_uri

        uri = statistics_uri(store, record.pipeline_name, record.run_id)
        found = [load_split(uri, split) for split in SPLITS] if uri else []
    except Exception as exc:  # noqa: BLE001 - one section of the card, never the card
        logging.warning("model card: could not read the statistics: %s", exc)
        return []
    return [s for s in found if s is not None]


def _slice_metrics(store: Any, record: RunRecord) -> list[dict[str, Any]]:
    """TFMA's metrics per slice (scalars only), from the Evaluator's output artifact."""
    from tfxkit.metadata.store import output_artifacts

    uris = [
        a.uri
        for e in record.executions
        if e.node_id == "evaluator"
        for a in output_artifacts(store, e.execution_id, "ModelEvaluation")
    ]
    if not uris:
        return []
    try:
        import tensorflow_model_analysis as tfma

        results = list(tfma.load_metrics(uris[-1]))
    except Exception as exc:  # noqa: BLE001 - one section of the card, never the card
        logging.warning("model card: could not read TFMA's metrics: %s", exc)
        return []
    rows = []
    for per_slice in results:
        keys = per_slice.slice_key.single_slice_keys
        if not keys:
            continue
        name = ", ".join(f"{k.column}={_slice_value(k)}" for k in keys)
        metrics = {
            item.key.name: item.value.double_value.value
            for item in per_slice.metric_keys_and_values
            if item.value.HasField("double_value")
            and item.key.model_name != "baseline"
            and not item.key.is_diff
        }
        rows.append({"slice": name, "metrics": metrics})
    return sorted(rows, key=lambda r: r["slice"])


def _slice_value(key: Any) -> str:
    kind = key.WhichOneof("kind")
    value = getattr(key, kind) if kind else ""
    return value.decode() if isinstance(value, bytes) else str(value)


def _fairness(verdict: Any) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {
        "reason": verdict.reason,
        "threshold": verdict.decision_threshold,
        "names": sorted(verdict.metrics),
        "rows": [row.model_dump() for row in verdict.rows],
        "not_judged": verdict.not_judged,
    }


def _explanation(verdict: Any) -> dict[str, Any] | None:
    if verdict is None or not verdict.passed:  # a failed explainer's reason: under caveats
        return None
    return {
        "method": verdict.method,
        "examples": verdict.examples,
        "importance": sorted(verdict.importance.items(), key=lambda kv: -kv[1]),
        "slices": [
            (name, [f for f, _ in sorted(values.items(), key=lambda kv: -kv[1])][:5])
            for name, values in sorted(verdict.per_slice.items())
        ],
        "slice_examples": dict(getattr(verdict, "slice_examples", None) or {}),
        "drift": _drift(getattr(verdict, "drift", None)),
    }


def _drift(drift: Any) -> dict[str, Any] | None:
    """The attribution drift against the previous blessed model (None: there was none)."""
    if drift is None:
        return None
    return {
        "baseline": drift.baseline_model_uri,
        "correlation": drift.rank_correlation,
        "common": drift.common,
        "note": drift.note,
        "changes": drift.changes,
    }


def _privacy(verdict: Any) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {"epsilon": getattr(verdict, "epsilon", None), "delta": getattr(verdict, "delta", None)}


def render(values: dict[str, Any]) -> str:
    """The card as Markdown (autoescape off: Markdown, not HTML; values are ours or config's)."""
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    env.globals.update(num=num, pct=pct, gap=_gap)
    return env.from_string(TEMPLATE).render(**values)


def card_path(destination: str) -> str:
    """``<model dir>/.tfxkit-cards/<version>/model_card.md`` for ``<model dir>/<version>``: a
    dot-directory beside the versions, so TF Serving never sees it and a version stays as
    pushed (its digest and identity unchanged)."""
    model_dir, version = os.path.split(destination.rstrip("/"))
    return os.path.join(model_dir, CARDS_DIR, version, CARD_FILE)


def write(
    store: Any, pipeline_name: str, run_id: str, path: str | Path | None = None
) -> str | None:
    """Write the card of a run and record its path in ML Metadata; without ``path``, beside
    the pushed version (None when nothing was pushed: only a blessed run gets a card)."""
    record = load_run(store, pipeline_name, run_id)
    if record is None:
        raise LookupError(f"no run '{run_id}' of '{pipeline_name}' in ML Metadata")
    values = facts(store, record)
    target = (
        str(path) if path else (card_path(values["destination"]) if values["destination"] else None)
    )
    if target is None:
        return None
    text = render(values)
    from tfxkit.serving import storage

    storage.write_text_atomic(target, text)  # gs:// too, like the version it describes
    context = store.get_context_by_type_and_name(PIPELINE_RUN_CONTEXT, record.run_id)
    if context is not None and not path:
        context.custom_properties[CARD_PROPERTY].string_value = target
        digest = hashlib.sha256(text.encode()).hexdigest()
        context.custom_properties[CARD_DIGEST_PROPERTY].string_value = digest
        store.put_contexts([context])
    return target


def recorded_card(store: Any, run_id: str) -> str | None:
    """Where the card of a run was written, as recorded in ML Metadata (None: no card)."""
    context = store.get_context_by_type_and_name(PIPELINE_RUN_CONTEXT, run_id)
    if context is None or CARD_PROPERTY not in context.custom_properties:
        return None
    return context.custom_properties[CARD_PROPERTY].string_value or None


def html_section(store: Any, record: RunRecord) -> str:
    """The card's section of the HTML report (``report.write``): what the rest of the report
    does not show (intended use, owners, limitations, attributions, privacy) and where the
    Markdown card is. Every string is escaped by ``run_report.sections``."""
    from tfxkit.components.run_report import sections

    try:
        values = facts(store, record)
    except Exception as exc:  # noqa: BLE001 - one section of the report, never the report
        logging.warning("report: could not gather the model card: %s", exc)
        return sections.section("model-card", "Model card", sections.note("not readable"))
    rows = [
        ("intended use", values["intended_use"] or "not stated (model_card.intended_use)"),
        ("owners", ", ".join(values["owners"]) or "-"),
        ("limitations", "; ".join(values["limitations"] + values["caveats"]) or "-"),
        ("privacy", _privacy_text(values["privacy"])),
        ("card", recorded_card(store, record.run_id) or "none (nothing pushed)"),
    ]
    body = sections.table(("", ""), rows, "kv")
    explanation = values["explanation"]
    if explanation:
        ranked = list(enumerate(explanation["importance"], 1))
        body += sections.table(
            ("rank", "feature", "mean |attribution|"), [(i, n, v) for i, (n, v) in ranked]
        )
    return sections.section("model-card", "Model card", body)


def _privacy_text(privacy: dict[str, Any] | None) -> str:
    if not privacy:
        return "not trained with differential privacy"
    return f"epsilon {num(privacy['epsilon'])} at delta {num(privacy['delta'])}"
