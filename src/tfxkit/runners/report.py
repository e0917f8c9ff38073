"""The run summary as people read it: what ran, whether the model was blessed and why.

Split from the CLI because the summary grew a per-slice fairness table; this module formats
only (plain data in, lines out). Each gate's verdict prints itself (``Verdict.lines``), so a new
gate needs nothing here; the optimized models' lines gather the verdicts of their own gates.
Imports no TFX: an unchanged re-run prints a recorded summary without loading it.
"""

from __future__ import annotations

from typing import Any

from tfxkit.components.model_optimizer.verdict import OptimizationVerdict
from tfxkit.components.verdicts import Verdict, parse
from tfxkit.pipeline.stages import node_ids

# Each optimization's pusher and (for SavedModels) TFMA evaluator: printed on its line.
_PUSHER_OF = {
    "quantize": node_ids.QUANTIZED_PUSHER,
    "prune": node_ids.PRUNED_PUSHER,
    "distill": node_ids.DISTILLED_PUSHER,
}
_EVALUATOR_OF = {"prune": node_ids.PRUNED_EVALUATOR, "distill": node_ids.DISTILLED_EVALUATOR}
_ON_OTHER_LINES = {node_ids.PUSHER, *_PUSHER_OF.values(), *_EVALUATOR_OF.values()}


def summary_lines(summary: Any) -> list[str]:
    """Lines for a finished run (``tfxkit.runners.summary.RunSummary``)."""
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
    recorded = getattr(summary, "verdicts", {})
    verdicts = {node_id: parse(data) for node_id, data in recorded.items()}
    for node_id, verdict in verdicts.items():
        if node_id not in _ON_OTHER_LINES and not isinstance(verdict, OptimizationVerdict):
            lines += verdict.lines()
    pushed = verdicts.get(node_ids.PUSHER)
    lines += pushed.lines() if pushed else ["pushed:    nothing pushed"]
    lines += optimization_lines(verdicts)
    lines.append(f"metadata:  {summary.metadata_store}")
    if getattr(summary, "report_path", None):
        lines.append(f"report:    {summary.report_path}")
    return lines


def optimization_lines(verdicts: dict[str, Verdict]) -> list[str]:
    """One line per optimized model: its gate, TFMA's verdict against the original (pruned and
    distilled SavedModels) and where it was pushed."""
    optimized = [v for v in verdicts.values() if isinstance(v, OptimizationVerdict)]
    lines = []
    for verdict in sorted(optimized, key=lambda v: v.optimization):
        tfma = verdicts.get(_EVALUATOR_OF.get(verdict.optimization, ""))
        push = verdicts.get(_PUSHER_OF.get(verdict.optimization, ""))
        lines.append(
            verdict.line(
                tfma=tfma.passed if tfma else None,
                pushed_to=getattr(push, "destination", None) if push and push.passed else None,
            )
        )
    return lines
