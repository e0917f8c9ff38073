"""How a local run grows with rows, and what tfxkit's Beam choice buys over TFX's defaults.

The data: ``flights-3m.parquet`` from npm ``vega-datasets`` 3.2.1 (3,000,000 US flights of
2001, BSD-3; ``make bench-scale`` unpacks it once into ``workspace/data/vega-datasets``). Each
size is a fixed random sample of it (seed 0; sizes above 3 M tile it), written as Parquet with
``hour``, ``month`` and ``weekday`` taken from the timestamp, and run through the standard
pipeline (ingest -> statistics -> schema -> validation -> transform -> train -> evaluate ->
push) from a minimal config: label ``late = delay > 15``.

Each (size, setting) is one cold run in a fresh child process and workspace:

- ``default``: TFX's Beam settings (no flags: DirectRunner ``in_memory``, one worker);
- ``tfxkit``: ``runner.beam.mode: auto`` (tfxkit's default), which says what it chose.

Per component it records wall seconds (the run's own progress lines), rows/second, and the
peak RSS of the whole process tree (the run and its Beam workers, sampled every 0.2 s). Then it
prints the ratios against the targets: at 1 M rows tfxkit >= 1.5x the rows/s of the default,
peak RSS <= 3 GiB for every component (issue 27: at 3 M and 10 M rows, with tfxkit's defaults),
and growth 100 k -> 1 M <= 11x.

    make bench-scale                          # 100k,300k,1M,3M x default,tfxkit (~2 h on 2 cores)
    .venv/bin/python bench/scale.py --sizes 100k,1M --json workspace/bench-scale/results.json

Results are saved after every run (``--json``) and reused on a re-run unless ``--fresh``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "workspace" / "data" / "vega-datasets" / "flights-3m.parquet"
WORK = REPO / "workspace" / "bench-scale"
SETTINGS = {
    "default": ["runner.beam.mode=in_memory", "runner.beam.workers=1"],
    "tfxkit": [],  # runner.beam.mode defaults to auto
    # Not run by default; for finding where auto should switch (--settings processes,threads).
    "processes": ["runner.beam.mode=multi_processing"],
    "threads": ["runner.beam.mode=multi_threading"],
}
DEFAULT_SETTINGS = "default,tfxkit"
GIB = 2**30
TARGET_SPEEDUP, TARGET_RSS_GIB, TARGET_GROWTH = 1.5, 3.0, 11.0

CONFIG = """\
# Minimal config: only what the flights table needs; everything else is tfxkit's default.
name: flights
data: {{format: parquet, path: {data}}}
features:
  - {{name: distance, type: int, transform: zscore}}
  - {{name: hour, type: int, transform: zscore}}
  - {{name: month, type: int, transform: zscore}}
  - {{name: weekday, type: int, transform: zscore}}
  - {{name: origin, type: string, transform: vocabulary}}
  - {{name: destination, type: string, transform: vocabulary}}
label: {{name: late, derive: "delay > 15"}}
training: {{train_steps: 1000, batch_size: 256}}
evaluation:
  thresholds: {{AUC: {{lower_bound: 0.5}}}}
"""


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * scale)


def label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows // 1000}k"


def prepare(rows: int) -> Path:
    """``rows`` flights as one Parquet file (100k-row groups), written once per size."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    folder = WORK / "data" / label(rows)
    target = folder / "flights.parquet"
    if target.exists():
        return folder
    if not SOURCE.exists():
        sys.exit(f"{SOURCE} is missing: run `make bench-scale` (it unpacks npm vega-datasets)")
    table = pq.read_table(SOURCE)
    order = np.random.default_rng(0).permutation(table.num_rows)
    picks = np.resize(order, rows)  # tiles beyond 3 M
    table = table.take(pa.array(picks))
    date = table["date"]
    table = table.drop(["date"])
    for name, column in (
        ("hour", pc.hour(date)),
        ("month", pc.month(date)),
        ("weekday", pc.day_of_week(date)),
    ):
        table = table.append_column(name, pc.cast(column, pa.int64()))
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / ".flights.parquet.partial"
    pq.write_table(table, partial, row_group_size=100_000)
    partial.rename(target)
    return folder


class TreeSampler(threading.Thread):
    """Peak RSS of this process and every descendant, per component (set by ``node``)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        import psutil

        self.process = psutil.Process()
        self.node = "start-up"
        self.peaks: dict[str, int] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stopped.wait(0.2):
            total = 0
            for proc in [self.process, *self.process.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass  # a Beam worker that just exited
            self.peaks[self.node] = max(self.peaks.get(self.node, 0), total)


def child(rows: int, setting: str, data: Path, workspace: Path) -> None:
    """One cold run; prints one JSON line with per-component seconds and peak RSS."""
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.ERROR)
    sampler = TreeSampler()
    sampler.start()
    import tfxkit
    from tfxkit.config.pipeline_config import load_config

    config_file = workspace / "flights.yaml"
    config_file.write_text(CONFIG.format(data=data))
    config = load_config(config_file, [f"workspace={workspace}", *SETTINGS[setting]])
    choice: list[str] = []

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)
        if line.startswith("[tfxkit] beam: "):
            choice.append(line.removeprefix("[tfxkit] beam: "))
        if line.endswith(": started"):
            sampler.node = line.split("] ", 1)[1].removesuffix(": started")

    started = time.perf_counter()
    summary = tfxkit.run(config, progress=progress)  # a fresh workspace: a cold run
    seconds = time.perf_counter() - started
    sampler.stopped.set()
    sampler.join()
    print(
        json.dumps(
            {
                "rows": rows,
                "setting": setting,
                "beam": choice[0] if choice else "",
                "seconds": seconds,
                "blessed": summary.blessed,
                "auc": summary.metrics.get("auc", summary.metrics.get("AUC")),
                "metrics": summary.metrics,
                "nodes": {
                    n.node_id: {"seconds": n.seconds, "peak_rss": sampler.peaks.get(n.node_id, 0)}
                    for n in summary.nodes
                },
                "peak_rss": max(sampler.peaks.values()),
            }
        )
    )


def measure(rows: int, setting: str) -> dict:
    data = prepare(rows)
    workspace = WORK / "runs" / f"{label(rows)}-{setting}"
    shutil.rmtree(workspace, ignore_errors=True)
    workspace.mkdir(parents=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    command = [sys.executable, __file__, "--child", str(rows), setting, str(data), str(workspace)]
    started = time.perf_counter()
    log = workspace / "run.log"
    with log.open("w") as stderr:
        result = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=REPO,
            env=env,
            check=False,
        )
    if result.returncode != 0:
        sys.exit(f"{label(rows)} {setting} failed; see {log}:\n{log.read_text()[-3000:]}")
    record = json.loads(result.stdout.strip().splitlines()[-1])
    record["process_seconds"] = time.perf_counter() - started
    shutil.rmtree(workspace / "flights" / "pipeline_root", ignore_errors=True)  # GBs at 3 M
    return record


def report(results: list[dict]) -> None:
    by = {(r["rows"], r["setting"]): r for r in results}
    sizes = sorted({r["rows"] for r in results})
    print("\nPer component: seconds | rows/s | peak RSS of the process tree (GiB)")
    for rows in sizes:
        for setting in SETTINGS:
            record = by.get((rows, setting))
            if not record:
                continue
            print(f"\n{label(rows)} rows, {setting}: beam {record['beam']}")
            print(f"  {'component':<34}{'seconds':>9}{'rows/s':>12}{'peak GiB':>10}")
            for node, values in record["nodes"].items():
                if values["seconds"] < 0.05:
                    continue
                speed = rows / values["seconds"]
                peak = values["peak_rss"] / GIB
                print(f"  {node:<34}{values['seconds']:>9.1f}{speed:>12,.0f}{peak:>10.2f}")
            speed = rows / record["seconds"]
            peak = record["peak_rss"] / GIB
            print(f"  {'whole run':<34}{record['seconds']:>9.1f}{speed:>12,.0f}{peak:>10.2f}")
    print("\nTargets")
    for rows in sizes:
        default, ours = by.get((rows, "default")), by.get((rows, "tfxkit"))
        if default and ours:
            ratio = default["seconds"] / ours["seconds"]
            mark = "ok" if ratio >= TARGET_SPEEDUP or rows != 1_000_000 else "MISSED"
            goal = f" (target >= {TARGET_SPEEDUP} at 1M: {mark})" if rows == 1_000_000 else ""
            print(f"  {label(rows)}: tfxkit rows/s / default rows/s = {ratio:.2f}{goal}")
    for setting in SETTINGS:
        small, large = by.get((100_000, setting)), by.get((1_000_000, setting))
        if small and large:
            growth = large["seconds"] / small["seconds"]
            mark = "ok" if growth <= TARGET_GROWTH else "MISSED"
            print(
                f"  growth 100k -> 1M, {setting}: {growth:.2f}x (target <= {TARGET_GROWTH}: {mark})"
            )
            for node, values in large["nodes"].items():
                before = small["nodes"].get(node, {}).get("seconds", 0)
                if before > 1 and values["seconds"] / before > TARGET_GROWTH:
                    print(f"    super-linear: {node} {values['seconds'] / before:.1f}x")
    for record in results:
        worst = max(record["nodes"].items(), key=lambda item: item[1]["peak_rss"])
        peak = worst[1]["peak_rss"] / GIB
        mark = "ok" if peak <= TARGET_RSS_GIB else "MISSED"
        print(
            f"  peak RSS {label(record['rows'])} {record['setting']}: {peak:.2f} GiB in "
            f"{worst[0]} (target <= {TARGET_RSS_GIB}: {mark})"
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        rows, setting, data, workspace = sys.argv[2:6]
        child(int(rows), setting, Path(data), Path(workspace))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,300k,1M,3M")
    parser.add_argument("--settings", default=DEFAULT_SETTINGS)
    parser.add_argument("--json", type=Path, default=WORK / "results.json")
    parser.add_argument("--fresh", action="store_true", help="measure again what --json holds")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    saved = [] if args.fresh or not args.json.exists() else json.loads(args.json.read_text())
    done = {(r["rows"], r["setting"]) for r in saved}
    if not args.report_only:
        for rows in map(parse_size, args.sizes.split(",")):
            for setting in args.settings.split(","):
                if (rows, setting) in done:
                    continue
                print(f"[bench] {label(rows)} rows, {setting} ...", flush=True)
                record = measure(rows, setting)
                print(
                    f"[bench]   {record['seconds']:.0f} s, beam {record['beam']}, peak "
                    f"{record['peak_rss'] / GIB:.2f} GiB, AUC {record['auc']}",
                    flush=True,
                )
                saved.append(record)
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(saved, indent=1))
    report(saved)


if __name__ == "__main__":
    main()
