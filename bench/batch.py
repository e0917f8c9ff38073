"""Rows/second and peak RSS of ``tfxkit predict`` beside a plain loop over the same SavedModel.

For each ``--rows`` N: a CSV of N penguin rows (an ``id`` column, the shipped rows repeated) is
scored by each runner below, each in a fresh process, in the same run, ``--repeat`` times with
the order of the runners reversed on every other round (the machine is shared: ratios of
neighbouring runs are what to read):

* ``predict``: ``tfxkit predict -c CONFIG --data FILE --out DIR --version VERSION`` as a user
  runs it (one local file: in this process without Beam, batches of 1,024, validation against
  the schema of record, every row accounted for, output merged and renamed); its ``--timings``
  line gives where the time went, printed per run;
* ``predict --engine beam`` (``--beam``): the same on Beam's DirectRunner with TFDV's
  statistics, the engine remote runners use and the default before issue 30's local engine;
* ``predict --no-validate``: the same without the statistics and schema check, the work the
  loop does not do either (``--no-validate`` on the bench runs only this one, and the loop);
* ``loop``: what one writes by hand: ``pandas.read_csv(chunksize=1024)``, the chunk as
  serving_default's tensors (NaN / "" for missing), one call of the signature per chunk, the
  answers appended to a CSV with ``DataFrame.to_csv``.

Both load TensorFlow and the model first; a 1,000-row run of each measures that fixed cost, so
the table gives end-to-end rows/s and the steady rate ((N - 1000) rows / (wall_N - wall_1000)).
Peak RSS is the process's maximum resident set (``wait4``; the local engine starts no other
process). The model is the one ``make demo``
pushed (``--base``, ``--model``).

    make demo
    .venv/bin/python bench/batch.py --rows 100000 1000000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NUMBERS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
STRINGS = ("island", "sex")
BATCH = 1024
WARM = 1000


def make_data(path: Path, rows: int) -> Path:
    """N penguin rows with an id, written once (kept for the next run)."""
    if path.exists():
        return path
    with (REPO / "src/tfxkit/data/penguins/penguins.csv").open() as handle:
        reader = csv.reader(handle)
        header, body = next(reader), list(reader)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", *header])
        for i in range(rows):
            writer.writerow([i, *body[i % len(body)]])
    tmp.rename(path)
    return path


def loop(data: Path, model_dir: str, out: Path) -> None:
    """The plain loop (run in its own process by ``--loop``)."""
    import numpy as np
    import pandas as pd
    import tensorflow as tf

    signature = tf.saved_model.load(model_dir).signatures["serving_default"]
    arguments = {k: k for k in (*NUMBERS, *STRINGS)}  # penguin's column names are identifiers
    if out.exists():
        out.unlink()
    header = True
    for chunk in pd.read_csv(data, chunksize=BATCH, keep_default_na=True):
        inputs = {arguments[k]: tf.constant(chunk[k].to_numpy(np.float64)) for k in NUMBERS}
        for k in STRINGS:
            inputs[arguments[k]] = tf.constant(chunk[k].fillna("").astype(str).to_numpy(object))
        answer = signature(**inputs)
        names = [n.decode() for n in answer["class_names"].numpy()[0]]
        frame = pd.DataFrame(answer["probabilities"].numpy(), columns=names)
        frame.insert(0, "classes", [c.decode() for c in answer["classes"].numpy()])
        frame.insert(0, "id", chunk["id"].to_numpy())
        frame.to_csv(out, mode="a", header=header, index=False)
        header = False


def _measure(command: list[str]) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak RSS in MiB, stdout) of a child process; raises when it
    fails. CPU seconds (user + system) are less sensitive to a shared machine's load."""
    started = time.monotonic()
    child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    printed = child.stdout.read().decode() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed ({child.returncode}): {err[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, printed


def _timings(printed: str) -> str:
    """The ``timings:`` line ``tfxkit predict --timings`` prints, without its prefix."""
    lines = [line for line in printed.splitlines() if line.startswith("timings: ")]
    return lines[-1].removeprefix("timings: ") if lines else ""


def _stable(base: str, model: str, version: str) -> str:
    sys.path.insert(0, str(REPO / "src"))
    from tfxkit.batch.versions import resolve

    return resolve(base, model, version).path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--config", default="configs/penguin.yaml")
    parser.add_argument("--base", default="workspace/serving")
    parser.add_argument("--model", default="penguin")
    parser.add_argument("--version", default="stable")
    parser.add_argument("--work", default="workspace/bench-batch")
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--batch-rows", type=int, help="tfxkit predict's rows per model call")
    parser.add_argument("--repeat", type=int, default=2, help="rounds per row count (2)")
    parser.add_argument("--beam", action="store_true", help="also run predict --engine beam")
    parser.add_argument(
        "--loop", nargs=3, metavar=("DATA", "MODEL_DIR", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.loop:
        loop(Path(args.loop[0]), args.loop[1], Path(args.loop[2]))
        return
    work = REPO / args.work
    model_dir = _stable(args.base, args.model, args.version)
    tfxkit = str(Path(sys.executable).parent / "tfxkit")
    results = []
    for rows in [WARM, *args.rows]:
        data = make_data(work / f"penguins-{rows}.csv", rows)
        predict = [tfxkit, "predict", "-c", args.config, "--data", str(data)]
        predict += ["--out", str(work / f"out-{rows}"), "--version", args.version]
        predict += ["--base", args.base, "--pass-through", "id"]
        predict += ["--batch-rows", str(args.batch_rows)] if args.batch_rows else []
        predict += ["--timings"]
        plain = [
            sys.executable,
            __file__,
            "--loop",
            str(data),
            model_dir,
            str(work / f"loop-{rows}.csv"),
        ]
        runs = [("predict", predict), ("predict --no-validate", [*predict, "--no-validate"])]
        runs = runs[1:] if args.no_validate else runs
        runs += [("predict --engine beam", [*predict, "--engine", "beam"])] if args.beam else []
        runs += [("loop", plain)]
        for round_ in range(1 if rows == WARM else args.repeat):
            for name, command in runs if round_ % 2 == 0 else runs[::-1]:
                seconds, cpu, rss, printed = _measure(command)
                result = {"rows": rows, "runner": name, "round": round_, "seconds": seconds}
                result["cpu_seconds"] = cpu
                results.append({**result, "rss_mib": rss, "timings": _timings(printed)})
                print(f"{name:22s} {rows:>9,} rows  {seconds:7.1f} s  {rows / seconds:>9,.0f} "
                      f"rows/s  CPU {cpu:6.1f} s  peak RSS {rss:,.0f} MiB", flush=True)  # fmt: skip
                if results[-1]["timings"]:
                    print(f"    {results[-1]['timings']}", flush=True)
    warm = {r["runner"]: r["seconds"] for r in results if r["rows"] == WARM}
    print("\n| runner | rows | round | wall s | CPU s | rows/s end to end | rows/s steady | "
          "peak RSS MiB |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        if r["rows"] == WARM:
            continue
        beyond = r["seconds"] - warm[r["runner"]]  # noise can make it <= 0 on a shared machine
        steady = f"{(r['rows'] - WARM) / beyond:,.0f}" if beyond > 1.0 else "n/a (within noise)"
        rate = r["rows"] / r["seconds"]
        cpu = r["cpu_seconds"]
        print(f"| {r['runner']} | {r['rows']:,} | {r['round'] + 1} | {r['seconds']:.1f} | "
              f"{cpu:.1f} | {rate:,.0f} | {steady} | {r['rss_mib']:,.0f} |")  # fmt: skip
    loops = {(r["rows"], r["round"]): r["seconds"] for r in results if r["runner"] == "loop"}
    cpus = {(r["rows"], r["round"]): r["cpu_seconds"] for r in results if r["runner"] == "loop"}
    print("\nrows/s as a multiple of the loop's in the same round (target: >= 1.0; the loop "
          "validates nothing):")  # fmt: skip
    for r in results:
        if r["rows"] != WARM and r["runner"] != "loop":
            ratio = loops[r["rows"], r["round"]] / r["seconds"]
            cpu = cpus[r["rows"], r["round"]] / r["cpu_seconds"]
            print(f"  {r['runner']:22s} {r['rows']:>9,} rows  round {r['round'] + 1}  {ratio:.2f}x "
                  f"(per CPU second: {cpu:.2f}x)")  # fmt: skip
    (work / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
