"""Throughput and latency of ``tfxkit serve`` (the embedded, local-use server).

Starts ``tfxkit serve`` on a serving base in a child process, then sends predict requests
(penguin rows, ``serving_default``) at batch 1 and batch 32 over REST and gRPC from
``--clients`` concurrent client threads for ``--seconds`` each, and prints requests/second,
rows/second and p50/p99 latency. The numbers describe the development server on this machine,
not TF Serving (whose binary cannot be installed here).

    make demo                       # pushes the penguin model to workspace/serving
    .venv/bin/python bench/serving.py [--base workspace/serving] [--model penguin]
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

NUMBERS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
STRINGS = ("island", "sex")


def _rows(count: int) -> list[dict]:
    with (REPO / "src/tfxkit/data/penguins/penguins.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if all(r[k] not in ("", "NA") for k in NUMBERS)]
    picked = (rows * (count // len(rows) + 1))[:count]
    return [{**{k: float(r[k]) for k in NUMBERS}, **{k: r[k] for k in STRINGS}} for r in picked]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _measure(call, seconds: float, clients: int) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        mine = []
        while time.monotonic() < stop:
            start = time.perf_counter()
            call()
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="workspace/serving")
    parser.add_argument("--model", default="penguin")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    if not (Path(args.base) / args.model).is_dir():
        sys.exit(f"no model {args.model} under {args.base}: run `make demo` first")
    import numpy as np

    from tfxkit.serving import Client

    rest_port, grpc_port = _free_port(), _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "tfxkit"), "serve", "--base", args.base,
         "--rest-port", str(rest_port), "--grpc-port", str(grpc_port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )  # fmt: skip
    try:
        client = Client("127.0.0.1", rest_port, grpc_port, timeout=30, retries=10, backoff=1.0)
        client.status(args.model)  # waits (with retries) until the server answers
        print(f"tfxkit serve on {args.base} ({args.model}); {args.clients} client threads, "
              f"{args.seconds:g} s per row; machine: {os.cpu_count()} CPUs")  # fmt: skip
        print(f"{'protocol':8} {'batch':>5} {'req/s':>8} {'rows/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for batch in (1, 32):
            rows = _rows(batch)
            columns = {k: [r[k] for r in rows] for k in (*NUMBERS, *STRINGS)}
            arrays = {k: np.array(v, dtype=np.float64 if k in NUMBERS else object)
                      for k, v in columns.items()}  # fmt: skip
            calls = {
                "rest": lambda rows=rows: client.predict(args.model, rows),
                "grpc": lambda arrays=arrays: client.predict_grpc(args.model, arrays),
            }
            for protocol, call in calls.items():
                call()  # warm-up (first call traces nothing, but connects)
                latencies = _measure(call, args.seconds, args.clients)
                per_second = len(latencies) / args.seconds
                quantiles = statistics.quantiles(latencies, n=100)
                print(f"{protocol:8} {batch:>5} {per_second:>8.1f} {per_second * batch:>8.0f} "
                      f"{quantiles[49] * 1000:>8.2f} {quantiles[98] * 1000:>8.2f}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
