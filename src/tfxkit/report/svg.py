"""Small inline SVG charts for the run report: bars, histograms and a node timeline.

Why hand-written: the report must render offline with nothing fetched at view time, and a
plotting library would add a dependency (and its transitive pins) for three shapes. Every
label is escaped; sizes are fixed so a chart costs a few hundred bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR = "#4c78a8"
COLORS = {
    "finished": "#4c78a8",
    "cached": "#9ecae9",
    "resolved": "#bab0ac",
    "skipped": "#e0e0e0",
    "failed": "#e45756",
}


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bars(
    values: Sequence[float], labels: Sequence[str] | None = None, width: int = 160, height: int = 40
) -> str:
    """Vertical bars scaled to the largest value (a histogram's counts); each bar's title
    (hover text) is its label and value."""
    if not values:
        return ""
    top = max(max(values), 0.0) or 1.0
    step = width / len(values)
    parts = []
    for i, value in enumerate(values):
        h = max(0.0, value) / top * (height - 1)
        label = labels[i] if labels and i < len(labels) else str(i)
        parts.append(
            f'<rect x="{_num(i * step)}" y="{_num(height - h)}" width="{_num(max(step - 1, 0.5))}" '
            f'height="{_num(h)}" fill="{BAR}"><title>{escape(f"{label}: {value:g}")}</title></rect>'
        )
    return (
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">{"".join(parts)}</svg>'
    )


def histogram(
    buckets: Sequence[tuple[float, float, float]], width: int = 160, height: int = 40
) -> str:
    """A histogram from (low, high, count) buckets, as TFDV's numeric statistics hold them."""
    labels = [f"{low:.4g} to {high:.4g}" for low, high, _ in buckets]
    return bars([count for _, _, count in buckets], labels, width, height)


def hbar(value: float, top: float, width: int = 120, height: int = 12, label: str = "") -> str:
    """One horizontal bar: value out of top (a metric out of 1, a share of rows)."""
    share = 0.0 if top <= 0 else min(max(value / top, 0.0), 1.0)
    return (
        f'<svg width="{width}" height="{height}" role="img">'
        f'<rect width="{width}" height="{height}" fill="#eee"/>'
        f'<rect width="{_num(share * width)}" height="{height}" fill="{BAR}">'
        f"<title>{escape(label or f'{value:g}')}</title></rect></svg>"
    )


def timeline(
    nodes: Sequence[tuple[str, str, float]], width: int = 300, height: int = 12
) -> list[str]:
    """One bar per (node, status, seconds), laid end to end as the local runner runs nodes one
    after another: each bar starts where the previous ended, on one time scale."""
    total = sum(max(s, 0.0) for _, _, s in nodes) or 1.0
    out, start = [], 0.0
    for node, status, seconds in nodes:
        x, w = start / total * width, max(max(seconds, 0.0) / total * width, 1.0)
        start += max(seconds, 0.0)
        color = COLORS.get(status, BAR)
        out.append(
            f'<svg width="{width}" height="{height}" '
            f'role="img"><rect x="{_num(x)}" width="{_num(w)}" height="{height}" fill="{color}">'
            f"<title>{escape(f'{node}: {status}, {seconds:.1f}s')}</title></rect></svg>"
        )
    return out
