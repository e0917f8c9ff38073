"""The run report: one self-contained HTML file per run (``tfxkit report``, and after each run).

Why: a run's statistics, anomalies, metrics and gates otherwise stay in ML Metadata and
artifacts that only code can read, and TFDV's and TFMA's views fetch their scripts from CDNs.
This file has one inline style, inline SVG charts and no script: it opens offline, anywhere.
"""

from __future__ import annotations

from tfxkit.report.write import default_path, write

__all__ = ["default_path", "write"]
