"""The report's sections as HTML fragments: plain data in, escaped HTML out.

Why separate from gathering (``report.write``): each section is testable without a store, and
a section with nothing to show says so in one line rather than vanishing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from tfxkit.components.run_report import svg
from tfxkit.components.run_report.splits import SplitStats

Cell = Any  # str (escaped here) or Raw (already HTML)


class Raw(str):
    """HTML made here (an SVG chart): put into a cell as is."""


def cell(value: Cell) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, float):
        return escape(f"{value:.4g}")
    return escape("" if value is None else str(value))


def table(header: Sequence[str], rows: Iterable[Sequence[Cell]], cls: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{escape(cls)}"' if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>{body}</section>'


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def header(info: dict[str, Any]) -> str:
    """Pipeline, run id, status, config hash, start and duration."""
    rows = [(k, v) for k, v in info.items() if v not in (None, "")]
    status = str(info.get("status", ""))
    badge = "bad" if status in ("failed", "not blessed") else "good"
    return (
        f"<header><h1>{escape(str(info.get('pipeline', '')))} "
        f'<span class="badge {badge}">{escape(status)}</span></h1>'
        + table(("", ""), rows, "kv")
        + "</header>"
    )


def nodes(rows: Sequence[tuple[str, str, float]]) -> str:
    """The DAG in run order: each node's status, seconds and its bar on the run's timeline."""
    if not rows:
        return section("nodes", "Nodes", note("no node ran"))
    bars = svg.timeline(rows)
    body = table(
        ("node", "status", "seconds", "timeline"),
        (
            (n, Raw(f'<span class="st {escape(s)}">{escape(s)}</span>'), f"{t:.1f}", Raw(b))
            for (n, s, t), b in zip(rows, bars, strict=True)
        ),
    )
    return section("nodes", "Nodes", body)


def statistics(splits: SplitStats | Sequence[SplitStats] | None) -> str:
    """Per feature and split (train, then eval beside it): type, count, missing, numbers'
    moments and histogram, strings' top values."""
    if isinstance(splits, SplitStats):
        splits = [splits]
    splits = [s for s in splits or [] if s is not None]
    if not splits:
        return section("statistics", "Data statistics", note("no statistics in this run"))
    by_split = [{f.name: f for f in split.features} for split in splits]
    names = sorted({name for features in by_split for name in features})
    rows = []
    for name in names:
        for i, (split, features) in enumerate(zip(splits, by_split, strict=True)):
            f = features.get(name)
            first = name if i == 0 else ""
            if f is None:
                rows.append((first, "", split.split, "-", "", "not in this split", ""))
                continue
            rows.append((first, f.type, split.split, *_feature_cells(f)))
    intro = note("; ".join(f"split '{s.split}': {s.examples} examples ({s.uri})" for s in splits))
    header_ = ("feature", "type", "split", "count", "missing", "values", "distribution")
    return section("statistics", "Data statistics", intro + table(header_, rows, "stats"))


def _feature_cells(f: Any) -> tuple[Cell, ...]:
    if f.histogram or f.mean is not None:
        detail = f"mean {f.mean:.4g}, std {f.std:.4g}, min {f.min:.4g}, max {f.max:.4g}" + (
            f", zeros {f.zeros:.1%}" if f.zeros else ""
        )
        chart = Raw(svg.histogram(f.histogram))
    else:
        top = ", ".join(f"{v} ({n:g})" for v, n in f.top_values)
        detail = (f"{f.unique} unique; " if f.unique is not None else "") + f"top: {top}"
        chart = Raw(svg.bars([n for _, n in f.top_values], [v for v, _ in f.top_values]))
    missing = Raw(f'<span class="{"bad" if f.missing else ""}">{f.missing:.1%}</span>')
    return (f.count, missing, detail, chart)


def schema_diff(changes: Sequence[Any] | None, reference: str = "") -> str:
    """What this run's data changes against the schema of record (``SchemaChange`` rows, as
    ``tfxkit schema accept`` shows them); None: there was nothing to compare."""
    if changes is None:
        return section("schema", "Schema diff", note("no schema of record to compare with"))
    intro = note(f"against the schema of record: {reference}") if reference else ""
    if not changes:
        return section("schema", "Schema diff", intro + note("no change against it"))
    body = table(
        ("feature", "change", "detail"), ((c.feature, c.change, c.detail) for c in changes)
    )
    return section("schema", "Schema diff", intro + body)


def curves(history: dict[str, Any] | None) -> str:
    """Training curves: each metric over the training steps, train and eval on one chart."""
    if not history:
        return section("training", "Training curves", note("no training history in this run"))
    train, evaluation = history.get("train") or [], history.get("eval") or []
    names = list(dict.fromkeys(k for row in [*train, *evaluation] for k in row))
    charts = []
    for name in (n for n in names if n not in ("step", "epoch")):
        series = {
            label: [(float(r["step"]), float(r[name])) for r in rows if name in r]
            for label, rows in (("train", train), ("eval", evaluation))
        }
        series = {k: v for k, v in series.items() if v}
        last = "; ".join(f"{k} {v[-1][1]:.4g}" for k, v in series.items())
        charts.append(
            f'<figure class="curve"><figcaption>{escape(name)} (last: {escape(last)})'
            f"</figcaption>{svg.lines(series)}</figure>"
        )
    return section("training", "Training curves", "".join(charts))


def anomalies(found: Sequence[dict[str, Any]]) -> str:
    if not found:
        return section("anomalies", "Anomalies", note("no anomalies"))
    keys = list(dict.fromkeys(k for row in found for k in row))
    return section("anomalies", "Anomalies", table(keys, ([r.get(k) for k in keys] for r in found)))


def metrics(summary: dict[str, Any]) -> str:
    """Overall metrics, per class (multiclass) and the fairness gate's rows when configured."""
    body = ""
    overall = summary.get("metrics") or {}
    if overall:
        body += "<h3>Overall</h3>" + table(
            ("metric", "value", ""),
            (
                (k, v, Raw(svg.hbar(v, 1.0)) if 0 <= v <= 1 else "")
                for k, v in sorted(overall.items())
            ),
        )
    per_class = summary.get("per_class") or {}
    if per_class:
        keys = list(dict.fromkeys(k for v in per_class.values() for k in v))
        body += "<h3>Per class</h3>" + table(
            ("class", *keys), ((name, *[v.get(k) for k in keys]) for name, v in per_class.items())
        )
    fairness = summary.get("fairness") or {}
    if fairness.get("rows"):
        body += "<h3>Fairness</h3>" + table(
            ("feature", "slice", "examples", "rates", "gaps", "status"),
            (
                (
                    r.get("feature") or "overall",
                    r.get("slice"),
                    r.get("examples"),
                    _pairs(r.get("rates", {})),
                    _gaps(r.get("gaps", {})),
                    r.get("status"),
                )
                for r in fairness["rows"]
            ),
        )
    return section("metrics", "Metrics", body or note("no evaluation in this run"))


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(
        f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items()
    )


def _gaps(gaps: dict[str, dict[str, float]]) -> str:
    return "; ".join(f"{rate}: {_pairs(values)}" for rate, values in gaps.items())


def verdicts(items: Sequence[tuple[str, Any]]) -> str:
    """Every gate's verdict (``components.verdicts``) with its reasons and summary lines."""
    if not items:
        return section("verdicts", "Gates", note("no gate judged this run"))
    rows = []
    for node_id, verdict in items:
        state = "passed" if verdict.passed else "FAILED"
        if not verdict.judged:
            state += " (nothing judged)"
        klass = "good" if verdict.passed else "bad"
        reasons = "<br>".join(escape(r) for r in verdict.reasons) or "-"
        lines = "<br>".join(escape(line) for line in verdict.lines())
        rows.append(
            (
                node_id,
                verdict.kind,
                Raw(f'<span class="{klass}">{state}</span>'),
                Raw(reasons),
                Raw(lines),
            )
        )
    return section("verdicts", "Gates", table(("node", "kind", "verdict", "reasons", "says"), rows))


def optimizations(found: Sequence[dict[str, Any]]) -> str:
    """Each optimized model against the original: its ratios (optimized / original, below 1 is
    smaller or faster), the accuracy change, and its gate. Empty without an optimize section."""
    if not found:
        return ""
    rows = []
    for item in found:
        comparison = item.get("comparison") or {}
        numbers = {k: v for k, v in comparison.items() if isinstance(v, (int, float)) and v == v}
        gate = item.get("gate") or {}
        verdict = (
            "passed" if gate.get("passed") else "FAILED: " + "; ".join(gate.get("reasons", []))
        )
        rows.append((item.get("kind"), _pairs(numbers) or "-", item.get("sparsity"), verdict))
    body = table(("optimization", "compared with the original", "sparsity", "gate"), rows)
    return section("optimizations", "Optimized models", body)


def push(summary: dict[str, Any]) -> str:
    path = summary.get("pushed_path")
    if not path:
        return section("push", "Push", note("nothing pushed"))
    rows = [
        ("pushed to", path),
        ("already pushed", "yes" if summary.get("already_pushed") else "no"),
    ]
    rows += [(f"label {k}", v) for k, v in (summary.get("serving_labels") or {}).items()]
    rows += [(f"optimized {k}", v) for k, v in (summary.get("optimized_pushes") or {}).items()]
    return section("push", "Push", table(("", ""), rows, "kv"))


def error(summary: dict[str, Any]) -> str:
    if not summary.get("error"):
        return ""
    text = f"{summary.get('failed_component') or 'a component'} failed: {summary['error']}"
    return section("error", "Error", f"<pre>{escape(text)}</pre>")


def lineage(steps: Sequence[Any]) -> str:
    """What each execution read from outside the run (data, code) and wrote: a run's lineage
    (``metadata.lineage.Step``; ``tfxkit lineage`` walks it across runs)."""
    if not steps:
        return section("lineage", "Lineage", note("no executions recorded"))
    rows = []
    for step in steps:
        props = "<br>".join(escape(f"{k}: {v}") for k, v in step.properties.items())
        outputs = "<br>".join(
            escape(f"{key}: {a.describe()}") for key, found in step.outputs.items() for a in found
        )
        long = [Raw(f'<div class="long">{text or "-"}</div>') for text in (props, outputs)]
        rows.append((step.node_id, step.state.lower(), *long))
    return section(
        "lineage", "Lineage", table(("node", "execution", "read (data, code)", "wrote"), rows)
    )


def compare(rows: Sequence[dict[str, Any]], current: str) -> str:
    """The last runs side by side: status, took, metrics (the union of names), pushed, config."""
    if not rows:
        return section("compare", "Recent runs", note("no runs recorded"))
    names = sorted({k for r in rows for k in r.get("metrics", {})})
    header_ = ("run", "started (UTC)", "took", "status", *names, "pushed", "config")
    body = []
    for r in rows:
        run = Raw(f"<b>{escape(r['run_id'])}</b>") if r["run_id"] == current else r["run_id"]
        values = [r.get("metrics", {}).get(n) for n in names]
        body.append((run, r["started"], r["took"], r["status"], *values, r["pushed"], r["config"]))
    return section("compare", f"Recent runs (last {len(rows)})", table(header_, body))


STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0} th,td{border:1px solid #ddd;padding:3px 8px;
text-align:left;vertical-align:middle} th{background:#f4f4f4} .long{overflow-wrap:anywhere}
table.kv th{display:none}
.note{color:#666} .good{color:#2a7a2a} .bad{color:#b22} .badge{font-size:.6em;padding:2px 8px;
border-radius:8px;background:#eee;vertical-align:middle} .st{padding:0 4px;border-radius:3px}
.st.failed{background:#fdd} .st.cached{background:#def} .st.skipped{background:#eee}
pre{white-space:pre-wrap;background:#fff4f4;padding:8px} nav a{margin-right:1em}
figure.curve{display:inline-block;margin:0 1em 1em 0} figcaption{font-size:.9em;color:#444}
"""

NAV = (
    ("nodes", "Nodes"),
    ("statistics", "Data"),
    ("anomalies", "Anomalies"),
    ("schema", "Schema"),
    ("training", "Training"),
    ("metrics", "Metrics"),
    ("verdicts", "Gates"),
    ("push", "Push"),
    ("lineage", "Lineage"),
    ("compare", "Recent runs"),
)


def page(title: str, parts: Sequence[str]) -> str:
    """The whole document: one style element, no script, nothing fetched."""
    nav = "<nav>" + "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in NAV) + "</nav>"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        + nav
        + "".join(parts)
        + "</body></html>\n"
    )
