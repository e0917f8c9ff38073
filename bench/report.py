"""How long the run report takes to write, and how big it is, for a 1M-row run.

Targets (issue 25): under 10 s to write the report of a 1,000,000-row run, and a file under
5 MB. The report's size follows the features, nodes, runs compared and lineage, not the rows
(histograms have fixed buckets), but its reads (statistics protos, lineage over ML Metadata,
the fit history) are measured on a real run's artifacts.

The data: 1,000,000 penguin-like rows (the 333 penguins of ``src/tfxkit/data/penguins``
resampled with seed 0 and numbers jittered by 2 % so values do not repeat), written once to
``workspace/bench-report/data``; run once through the penguin pipeline (``configs/penguin.yaml``)
with short training (100 steps). Then it times ``tfxkit.report.write`` in this process
(``--repeat`` times, after one warm-up) and the ``tfxkit report`` command in a fresh process
(imports included), and prints seconds, bytes and the verdict against the targets.

    .venv/bin/python bench/report.py                 # run once (minutes), then measure
    .venv/bin/python bench/report.py --rows 100000   # a smaller run
    .venv/bin/python bench/report.py --fresh         # run the pipeline again
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "workspace" / "bench-report"
PENGUINS = REPO / "src" / "tfxkit" / "data" / "penguins" / "penguins.csv"
CONFIG = REPO / "configs" / "penguin.yaml"
TARGET_SECONDS, TARGET_BYTES = 10.0, 5_000_000
NUMBERS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
RUN_OVERRIDES = ["training.train_steps=100", "training.epochs=2", "training.eval_steps=20"]


def prepare(rows: int) -> Path:
    """``rows`` penguin-like rows as CSV (written once per size); returns its folder."""
    import numpy as np
    import pandas as pd

    folder = WORK / "data" / str(rows)
    target = folder / "penguins.csv"
    if target.exists():
        return folder
    source = pd.read_csv(PENGUINS)
    rng = np.random.default_rng(0)
    table = source.iloc[rng.integers(0, len(source), rows)].reset_index(drop=True)
    for name in NUMBERS:
        jitter = 1 + rng.normal(0, 0.02, rows)
        values = table[name] * jitter
        table[name] = values.round(0 if name in ("flipper_length_mm", "body_mass_g") else 1)
    table["flipper_length_mm"] = table["flipper_length_mm"].astype("Int64")
    table["body_mass_g"] = table["body_mass_g"].astype("Int64")
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / ".penguins.csv.partial"
    table.to_csv(partial, index=False)
    partial.rename(target)
    return folder


def overrides(rows: int, data: Path) -> list[str]:
    return [f"workspace={WORK / 'runs' / str(rows)}", f"data.path={data}", *RUN_OVERRIDES]


def run_pipeline(rows: int, data: Path, fresh: bool) -> float | None:
    """One run of the penguin pipeline over the data (skipped when one is recorded)."""
    import tfxkit
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.metadata.run_history import list_runs
    from tfxkit.metadata.store import connection_config, open_store

    workspace = WORK / "runs" / str(rows)
    if fresh:
        shutil.rmtree(workspace, ignore_errors=True)
    config = load_config(CONFIG, overrides(rows, data))
    if workspace.exists() and list_runs(open_store(connection_config(config)), config.name):
        return None
    started = time.perf_counter()
    summary = tfxkit.run(config, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"pipeline run {summary.run_id}: blessed {summary.blessed}", file=sys.stderr)
    return time.perf_counter() - started


def measure(rows: int, data: Path, repeat: int) -> dict:
    from tfxkit import report
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.metadata.store import connection_config, open_store

    config = load_config(CONFIG, overrides(rows, data))
    store = open_store(connection_config(config))
    out = WORK / "report.html"
    report.write(store, config, "latest", out)  # warm-up: imports, first proto parse
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        report.write(store, config, "latest", out)
        times.append(time.perf_counter() - started)
    cli_out = WORK / "report-cli.html"
    command = [str(Path(sys.executable).parent / "tfxkit"), "report", "-c", str(CONFIG)]
    command += [x for o in overrides(rows, data) for x in ("--set", o)] + ["-o", str(cli_out)]
    started = time.perf_counter()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run(command, check=True, cwd=REPO, env=env, capture_output=True)
    cli_seconds = time.perf_counter() - started
    html = out.read_text()
    return {
        "rows": rows,
        "write_seconds_median": statistics.median(times),
        "write_seconds_max": max(times),
        "cli_seconds": cli_seconds,
        "bytes": out.stat().st_size,
        "sections": html.count("<section"),
        "svg_charts": html.count("<svg"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="run the pipeline again")
    args = parser.parse_args()
    data = prepare(args.rows)
    run_seconds = run_pipeline(args.rows, data, args.fresh)
    result = measure(args.rows, data, args.repeat)
    result["pipeline_seconds"] = run_seconds
    print(json.dumps(result, indent=1))
    slowest = max(result["write_seconds_max"], result["cli_seconds"])
    ok_time, ok_size = slowest < TARGET_SECONDS, result["bytes"] < TARGET_BYTES
    print(
        f"report of a {args.rows:,}-row run: write {result['write_seconds_median']:.2f} s "
        f"(median of {args.repeat}), `tfxkit report` {result['cli_seconds']:.2f} s with "
        f"start-up; {result['bytes'] / 1e6:.3f} MB. Targets: < {TARGET_SECONDS:g} s "
        f"{'met' if ok_time else 'MISSED'}, < {TARGET_BYTES / 1e6:g} MB "
        f"{'met' if ok_size else 'MISSED'}"
    )
    sys.exit(0 if ok_time and ok_size else 1)


if __name__ == "__main__":
    main()
