"""The run summary as people read it: what ran, whether the model was blessed and why.

Split from the CLI because the summary grew a per-slice fairness table; this module formats
only (plain data in, lines out), so it imports nothing heavier than ``tfxkit.errors``.
"""

from __future__ import annotations

from typing import Any

from tfxkit.errors import anomaly_table


def summary_lines(summary: Any) -> list[str]:
    """Lines for a finished run (``tfxkit.runners.local.RunSummary``)."""
    counts: dict[str, int] = {}
    for node in summary.nodes:
        counts[node.status] = counts.get(node.status, 0) + 1
    blessed = {True: "yes", False: "no", None: "not evaluated"}[summary.blessed]
    lines = [
        "",
        f"run id:    {summary.run_id}",
        f"pipeline:  {summary.pipeline_name}",
        "nodes:     " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
        f"blessed:   {blessed}",
    ]
    if summary.metrics:
        lines.append(
            "metrics:   " + ", ".join(f"{k}={v:g}" for k, v in sorted(summary.metrics.items()))
        )
    if summary.per_class:
        lines.append(
            "per class: " + "; ".join(_class_text(n, v) for n, v in summary.per_class.items())
        )
    lines += [f"  failed:  {failure}" for failure in summary.blessing_failures]
    lines += [f"  too small to judge: {small}" for small in summary.too_small_slices]
    if summary.fairness:
        lines += fairness_lines(summary.fairness)
    if summary.anomalies:
        lines.append(
            f"anomalies: {len(summary.anomalies)} reported as warnings (validation.severity)"
        )
        lines.append(anomaly_table(summary.anomalies))
    pushed = summary.pushed_path or "nothing pushed"
    if summary.already_pushed:
        pushed += " (this model was already there: not copied again)"
    labels = getattr(summary, "serving_labels", None)
    if summary.pushed_path and labels:
        pushed += "  [" + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) + "]"
    lines.append(f"pushed:    {pushed}")
    lines += optimization_lines(
        getattr(summary, "optimizations", []),
        getattr(summary, "optimized_pushes", {}),
        getattr(summary, "optimized_evaluations", {}),
    )
    lines.append(f"metadata:  {summary.metadata_store}")
    return lines


def _class_text(name: str, values: dict) -> str:
    def rate(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    return (
        f"{name} ({values['examples']:g} examples) precision {rate(values['precision'])}, "
        f"recall {rate(values['recall'])}"
    )


def _cell(rate: float | None, gap: dict[str, float] | None, few: str | None) -> str:
    if rate is None:
        return "undefined"
    if few:
        return f"{rate:.3f} (from {few}: not judged)"
    if not gap:
        return f"{rate:.3f}"
    return f"{rate:.3f} (diff {gap['difference']:.3f}, ratio {gap['ratio']:.2f})"


def fairness_lines(verdict: dict[str, Any]) -> list[str]:
    """The fairness gate's decision, its reason, and one table row per slice."""
    decision = "passed" if verdict["blessed"] else "FAILED"
    bounds = ", ".join(
        f"{name} " + " and ".join(f"{k} {v:g}" for k, v in sorted(bound.items()))
        for name, bound in sorted(verdict["metrics"].items())
    )
    lines = [
        f"fairness:  {decision}: {verdict['reason']}",
        f"  decision threshold {verdict['decision_threshold']:g}; bounds: {bounds}; "
        f"slices under {verdict['min_slice_size']} examples and rates from under "
        f"{verdict['min_rate_examples']} are not judged",
    ]
    names = sorted(verdict["metrics"])
    header = ["slice", "examples", *names, "vs", "result"]
    table = [header]
    for row in verdict["rows"]:
        result = row["status"]
        if row["failures"]:
            result = "FAIL: " + "; ".join(f.split(": ")[-1] for f in row["failures"])
        table.append(
            [
                row["slice"],
                f"{row['examples']:g}",
                *(
                    _cell(row["rates"].get(n), row["gaps"].get(n), row["unjudged"].get(n))
                    for n in names
                ),
                row.get("reference", "-"),
                result,
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines += [f"  not judged: {note}" for note in verdict.get("not_judged", [])]
    return lines


_PUSHER_OF = {
    "quantize": "quantized_pusher",
    "prune": "pruned_pusher",
    "distill": "distilled_pusher",
}
_EVALUATOR_OF = {"prune": "pruned_evaluator", "distill": "distilled_evaluator"}


def optimization_lines(
    reports: list[dict], pushes: dict[str, str], evaluations: dict[str, bool] | None = None
) -> list[str]:
    """One line per optimized model: measured ratios against the original and the gate."""

    def ratio(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}x"

    lines = []
    for report in sorted(reports, key=lambda r: r.get("kind", "")):
        c, gate = report.get("comparison", {}), report.get("gate", {})
        if not c:
            continue
        quality = f"{c['metric']} {c['original_quality']:.3f} -> {c['optimized_quality']:.3f}"
        sparsity = report.get("sparsity")
        extra = f", sparsity {sparsity:.2f}" if sparsity is not None else ""
        verdict = "passed" if gate.get("passed") else "rejected: " + "; ".join(gate["reasons"])
        tfma = (evaluations or {}).get(_EVALUATOR_OF.get(report["kind"], ""))
        if tfma is not None:
            verdict += "; TFMA vs original: " + ("blessed" if tfma else "not blessed")
        where = pushes.get(_PUSHER_OF.get(report["kind"], ""))
        pushed = f" -> {where}" if where else " (not pushed)"
        lines.append(
            f"optimized: {report['kind']} ({report['optimized']['name']}): gzip size "
            f"{ratio(c['gzip_size_ratio'])}, params {ratio(c['params_ratio'])}{extra}, p50 "
            f"latency b1 {ratio(c['latency_ratio_b1'])} b32 {ratio(c['latency_ratio_b32'])}, "
            f"{quality} (drop {c['accuracy_drop_points']:.1f} pt): {verdict}{pushed}"
        )
    return lines
