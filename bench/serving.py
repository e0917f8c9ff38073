"""Throughput, latency and errors of ``tfxkit serve`` (the embedded, local-use server).

Part 1, front ends: the same predict request (penguin, batch 1) against the legacy REST front
end (http.server, ``bench/legacy_rest.py``) and the current one (waitress), each in its own
child process over the same serving base:

* ``burst``: ``--clients`` connections opened at once, one request each (``Connection: close``),
  ``--rounds`` times;
* ``steady``: ``--clients`` kept-alive connections sending requests back to back for
  ``--seconds`` (a connection that fails is counted and opened again);
* ``refusals``: ``Content-Length: -1``, ``abc`` and 10 GB with a short body: what answers,
  and after how long (``no answer`` after 5 s).

Errors are resets, refused or dropped connections, timeouts (30 s) and non-200 answers;
``unserved`` counts steady clients that never got an answer (latencies are of answered requests
only). The clients are asyncio streams in this process (one thread), so 200 cost little CPU.

Part 2, protocols: REST and gRPC at batch 1 and 32 from ``--protocol-clients`` client threads
for ``--seconds`` each (``tfxkit.serving.Client``).

The numbers describe the development server on this machine, not TF Serving.

    make demo                       # pushes the penguin model to workspace/serving
    .venv/bin/python bench/serving.py [--base workspace/serving] [--model penguin]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

NUMBERS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
STRINGS = ("island", "sex")
TIMEOUT = 30.0
RATIOS = ("rps", "p50", "p99")
_LENGTH = re.compile(rb"(?im)^content-length:\s*(\d+)\s*$")


def _rows(count: int) -> list[dict]:
    with (REPO / "src/tfxkit/data/penguins/penguins.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if all(r[k] not in ("", "NA") for k in NUMBERS)]
    picked = (rows * (count // len(rows) + 1))[:count]
    return [{**{k: float(r[k]) for k in NUMBERS}, **{k: r[k] for k in STRINGS}} for r in picked]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(model: str, body: bytes, close: bool) -> bytes:
    head = f"POST /v1/models/{model}:predict HTTP/1.1\r\nHost: bench\r\n"
    head += "Connection: close\r\n" if close else ""
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def _error_name(exc: BaseException) -> str:
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "dropped"
    return type(exc).__name__


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> int:
    writer.write(data)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = _LENGTH.search(head)
    await reader.readexactly(int(length[1]) if length else 0)
    return int(head.split(b" ", 2)[1])


class Tally:
    """Latencies of answered requests and counts of errors by kind."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: Counter = Counter()
        self.idle_clients = 0  # steady: clients that never got an answer

    def add(self, started: float, status: int | None, error: str | None = None) -> None:
        if status == 200:
            self.latencies.append(time.perf_counter() - started)
        else:
            self.errors[error or f"http {status}"] += 1

    def row(self, seconds: float) -> dict:
        q = statistics.quantiles(self.latencies, n=100) if len(self.latencies) > 1 else [0] * 99
        total = len(self.latencies) + sum(self.errors.values())
        return {
            "requests": total,
            "errors": sum(self.errors.values()),
            "idle": self.idle_clients,
            "kinds": ", ".join(f"{k} {n}" for k, n in self.errors.most_common()) or "-",
            "rps": len(self.latencies) / seconds,
            "p50": q[49] * 1000,
            "p99": q[98] * 1000,
        }


async def _burst(port: int, data: bytes, clients: int, rounds: int) -> dict:
    tally = Tally()

    async def one() -> None:
        started, writer = time.perf_counter(), None
        try:
            async with asyncio.timeout(TIMEOUT):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                tally.add(started, await _exchange(reader, writer, data))
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            tally.add(started, None, _error_name(exc))
        finally:
            if writer is not None:
                writer.close()

    started = time.perf_counter()
    for _ in range(rounds):
        await asyncio.gather(*(one() for _ in range(clients)))
    return tally.row(time.perf_counter() - started)


async def _steady(port: int, data: bytes, clients: int, seconds: float) -> dict:
    tally = Tally()
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        connection, answered = None, False
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(TIMEOUT):
                    if connection is None:
                        connection = await asyncio.open_connection("127.0.0.1", port)
                    tally.add(started, await _exchange(*connection, data))
                    answered = True
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                tally.add(started, None, _error_name(exc))
                if connection is not None:
                    connection[1].close()
                connection = None
        if connection is not None:
            connection[1].close()
        tally.idle_clients += not answered

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return tally.row(time.perf_counter() - started)


def _refusal(port: int, model: str, length: str) -> str:
    request = (
        f"POST /v1/models/{model}:predict HTTP/1.1\r\nHost: bench\r\n"
        f'Content-Length: {length}\r\n\r\n{{"instances": ['
    ).encode()
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        try:
            answer = sock.recv(4096)
        except TimeoutError:
            return "no answer in 5 s"
        except ConnectionResetError:
            answer = b""
    took = (time.perf_counter() - started) * 1000
    if not answer:
        return f"dropped, no answer ({took:.0f} ms)"
    return f"{answer.split(b' ', 2)[1].decode()} in {took:.1f} ms"


def _start(command: list[str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /v1/models/x HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
                if sock.recv(64):
                    return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    sys.exit(f"{command[1]} did not answer on port {port} within 120 s")


def _front_ends(args: argparse.Namespace) -> None:
    body = json.dumps({"instances": _rows(1)}).encode()
    bin_dir = Path(sys.executable).parent
    fronts = {
        "legacy (http.server)": [sys.executable, str(REPO / "bench/legacy_rest.py")],
        "waitress (now)": [str(bin_dir / "tfxkit"), "serve", "--no-grpc", "--rest-port"],
    }
    results: dict[str, dict] = {}
    for name, command in fronts.items():
        port = _free_port()
        extra = ["--port", str(port)] if "legacy" in name else [str(port)]
        process = _start([*command, *extra, "--base", args.base], port)
        try:
            asyncio.run(_burst(port, _post(args.model, body, True), 10, 1))  # warm-up
            results[name] = {
                "burst": asyncio.run(
                    _burst(port, _post(args.model, body, True), args.clients, args.rounds)
                ),
                "steady": asyncio.run(
                    _steady(port, _post(args.model, body, False), args.clients, args.seconds)
                ),
                "refusals": {
                    length: _refusal(port, args.model, length)
                    for length in ("-1", "abc", str(10 * 1024**3))
                },
            }
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"\nFront ends: {args.clients} concurrent clients, predict batch 1; burst = "
          f"{args.rounds} rounds of {args.clients} new connections, steady = kept-alive "
          f"connections for {args.seconds:g} s; machine: {os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'front end':21} {'load':6} {'requests':>8} {'errors':>6} {'unserved':>8} "
          f"{'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}  error kinds")  # fmt: skip
    for name, result in results.items():
        for load in ("burst", "steady"):
            r = result[load]
            print(f"{name:21} {load:6} {r['requests']:>8} {r['errors']:>6} {r['idle']:>8} "
                  f"{r['rps']:>7.0f} {r['p50']:>8.1f} {r['p99']:>8.1f}  {r['kinds']}")  # fmt: skip
    print(
        "(unserved: steady clients that never got an answer; latencies are of answered "
        "requests only)"
    )
    old, new = results.values()
    for load in ("burst", "steady"):
        a, b = old[load], new[load]
        ratios = ", ".join(f"{k} x{b[k] / a[k]:.2f}" if a[k] else f"{k} -" for k in RATIOS)
        print(f"{load}: waitress / legacy: {ratios}; errors {a['errors']} -> {b['errors']}")
    print(f"\n{'Content-Length':14} " + " ".join(f"{n:34}" for n in results))
    for length in ("-1", "abc", str(10 * 1024**3)):
        label = "10 GiB, short" if len(length) > 3 else length
        print(f"{label:14} " + " ".join(f"{r['refusals'][length]:34}" for r in results.values()))


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


def _protocols(args: argparse.Namespace) -> None:
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
        print(f"\nProtocols: {args.protocol_clients} client threads, {args.seconds:g} s per row")
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
                latencies = _measure(call, args.seconds, args.protocol_clients)
                per_second = len(latencies) / args.seconds
                quantiles = statistics.quantiles(latencies, n=100)
                print(f"{protocol:8} {batch:>5} {per_second:>8.1f} {per_second * batch:>8.0f} "
                      f"{quantiles[49] * 1000:>8.2f} {quantiles[98] * 1000:>8.2f}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="workspace/serving")
    parser.add_argument("--model", default="penguin")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=200, help="front ends: concurrent clients")
    parser.add_argument("--rounds", type=int, default=5, help="front ends: bursts")
    parser.add_argument("--protocol-clients", type=int, default=4, help="protocols: threads")
    parser.add_argument("--part", choices=("all", "front-ends", "protocols"), default="all")
    args = parser.parse_args()
    if not (Path(args.base) / args.model).is_dir():
        sys.exit(f"no model {args.model} under {args.base}: run `make demo` first")
    if args.part in ("all", "front-ends"):
        _front_ends(args)
    if args.part in ("all", "protocols"):
        _protocols(args)


if __name__ == "__main__":
    main()
