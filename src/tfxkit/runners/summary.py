"""What a local run did, as plain data: printed by ``report``, written by ``--summary-json``,
and kept by ``rerun`` so an unchanged re-run can report it without importing TFX."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class NodeResult:
    node_id: str
    status: str  # finished | cached | resolved | skipped | failed
    seconds: float


@dataclass
class RunSummary:
    pipeline_name: str
    run_id: str
    nodes: list[NodeResult] = field(default_factory=list)
    blessed: bool | None = None  # every gate of the trained model passed (None: none ran)
    pushed_path: str | None = None
    already_pushed: bool = False
    serving_labels: dict[str, int] = field(default_factory=dict)
    # Each optimized model's report and gate, and where those that passed were pushed (by
    # pusher node id).
    optimizations: list[dict] = field(default_factory=list)
    optimized_pushes: dict[str, str] = field(default_factory=dict)
    optimized_evaluations: dict[str, bool] = field(default_factory=dict)  # TFMA blessed?
    metrics: dict[str, float] = field(default_factory=dict)
    blessing_failures: list[str] = field(default_factory=list)
    too_small_slices: list[str] = field(default_factory=list)
    # The fairness gate's verdict (components/fairness_gate/gaps.py), when configured.
    fairness: dict | None = None
    # Multiclass: {label value: {examples, precision, recall}} on the evaluation split.
    per_class: dict[str, dict] = field(default_factory=dict)
    # Anomalies that stopped the run, or (when it went on) those reported as warnings.
    anomalies: list[dict] = field(default_factory=list)
    failed_component: str | None = None
    error: str | None = None
    metadata_store: str = ""
    # Every gate's verdict by node id, as JSON ({"kind", "passed", "judged", "reasons", ...}:
    # tfxkit.components.verdicts): the printed summary reads these. The outcome fields above
    # are derived from them (runners.outcome), kept for scripts that read --summary-json.
    verdicts: dict[str, dict] = field(default_factory=dict)
    report_path: str | None = None  # the run's HTML report (tfxkit.report), once written

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunSummary:
        """The inverse of ``as_dict`` (unknown keys from another tfxkit version are dropped)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["nodes"] = [NodeResult(**node) for node in values.get("nodes", [])]
        return cls(**values)
