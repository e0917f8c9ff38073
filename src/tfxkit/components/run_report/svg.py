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


LINE_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2")


def lines(
    series: dict[str, Sequence[tuple[float, float]]], width: int = 360, height: int = 140
) -> str:
    """Curves on one scale (a metric over training steps, train and eval): one polyline per
    series, a point per eval value, the axes' ranges and a legend in text."""
    points = [p for values in series.values() for p in values]
    if not points:
        return ""
    left, bottom, legend = 42, 16, 14
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    plot_w, plot_h = width - left - 4, height - bottom - legend

    def xy(x: float, y: float) -> str:
        px = left + (x - x0) / (x1 - x0) * plot_w
        py = legend + plot_h - (y - y0) / (y1 - y0) * plot_h
        return f"{_num(px)},{_num(py)}"

    parts = [
        f'<text x="0" y="{legend + 8}" font-size="9">{escape(f"{y1:.4g}")}</text>',
        f'<text x="0" y="{legend + plot_h}" font-size="9">{escape(f"{y0:.4g}")}</text>',
        f'<text x="{left}" y="{height - 3}" font-size="9">step {escape(f"{x0:g}")}</text>',
        f'<text x="{width - 4}" y="{height - 3}" font-size="9" text-anchor="end">'
        f"{escape(f'{x1:g}')}</text>",
        f'<rect x="{left}" y="{legend}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#ccc"/>',
    ]
    x_legend = left
    for i, (name, values) in enumerate(series.items()):
        color = LINE_COLORS[i % len(LINE_COLORS)]
        if len(values) > 1:
            path = " ".join(xy(x, y) for x, y in values)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}"/>')
        for x, y in values if len(values) <= 20 else []:
            cx, cy = xy(x, y).split(",")
            parts.append(
                f'<circle cx="{cx}" cy="{cy}" r="2" fill="{color}">'
                f"<title>{escape(f'{name} at step {x:g}: {y:.4g}')}</title></circle>"
            )
        parts.append(
            f'<text x="{x_legend}" y="10" font-size="10" fill="{color}">{escape(name)}</text>'
        )
        x_legend += 8 + 6 * len(name)
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
        + "".join(parts)
        + "</svg>"
    )
