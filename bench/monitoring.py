"""What monitoring costs (issue 24): serving throughput with request logging on vs off, and
``tfxkit monitor`` seconds per 100k logged requests.

Part 1: the penguin model under ``--base`` served by ``EmbeddedServer`` (REST), ``--clients``
client threads sending batch-1 predicts for ``--seconds``, alternating logging off / on
(``sample_rate`` 1.0: every request logged, the worst case) ``--rounds`` times so a busy machine
hurts both alike; reports requests/s of each (median of rounds) and the on/off ratio.

Part 2: a window of ``--rows`` synthetic logged rows (four numeric and two categorical
features, written by the real request logger) judged by ``monitor`` against synthetic training
statistics (skew, drift against a previous window, schema anomalies, labels joined); reports
seconds, scaled to 100k rows, and the logger's rows/s.

    make demo   # pushes the penguin model to workspace/serving
    .venv/bin/python bench/monitoring.py [--base workspace/serving] [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

NUMBERS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
STRINGS = ("island", "sex")


def _instances() -> list[dict]:
    with (REPO / "src/tfxkit/data/penguins/penguins.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if all(r[k] not in ("", "NA") for k in NUMBERS)]
    return [{**{k: float(r[k]) for k in NUMBERS}, **{k: r[k] for k in STRINGS}} for r in rows]


def _throughput(base: str, model: str, clients: int, seconds: float, log_dir: str | None) -> float:
    from tfxkit.serving import Client
    from tfxkit.serving.request_log import LogSettings
    from tfxkit.serving.server import EmbeddedServer

    settings = LogSettings(log_dir, rotate_records=50_000) if log_dir else None
    rows = _instances()
    counts = [0] * clients
    with EmbeddedServer(
        base, rest_port=0, grpc_port=None, log=lambda _: None, request_log=settings
    ) as server:
        stop = time.monotonic() + seconds

        def work(index: int) -> None:
            client = Client("127.0.0.1", server.rest_port, None, timeout=30, retries=0)
            i = index
            while time.monotonic() < stop:
                client.predict(model, [rows[i % len(rows)]])
                counts[index] += 1
                i += clients

        threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        if server.request_log is not None and server.request_log.dropped:
            print(f"  (logging dropped {server.request_log.dropped} records: queue full)")
    return sum(counts) / elapsed


def offer_cost(count: int = 20_000) -> float:
    """Microseconds a request thread spends in ``RequestLogger.offer`` (sample, id, queue)."""
    from tfxkit.serving.request_log import LogSettings, RequestLogger

    logger = RequestLogger(LogSettings(tempfile.mkdtemp(), queue_size=count + 1))  # not started
    body = json.dumps({"instances": _instances()[:1]}).encode()
    started = time.perf_counter()
    for _ in range(count):
        logger.offer("penguin", 1, "predict", body, {"predictions": [[0.1, 0.2, 0.7]]})
    return (time.perf_counter() - started) / count * 1e6


def serving_overhead(args: argparse.Namespace) -> dict:
    off, on = [], []
    with tempfile.TemporaryDirectory() as tmp:
        _throughput(args.base, args.model, args.clients, 2.0, None)  # warm-up: load the model
        for round_ in range(args.rounds):
            off.append(_throughput(args.base, args.model, args.clients, args.seconds, None))
            on.append(
                _throughput(args.base, args.model, args.clients, args.seconds, f"{tmp}/{round_}")
            )
            print(f"  round {round_ + 1}: off {off[-1]:.0f} req/s, on {on[-1]:.0f} req/s")
    result = {
        "rps_logging_off": statistics.median(off),
        "rps_logging_on": statistics.median(on),
    }
    result["ratio_on_off"] = result["rps_logging_on"] / result["rps_logging_off"]
    result["offer_microseconds"] = offer_cost()
    return result


def monitor_cost(args: argparse.Namespace) -> dict:
    import numpy as np
    import pandas as pd
    import tensorflow_data_validation as tfdv

    from tfxkit.config.pipeline_config import validate_config
    from tfxkit.monitoring.monitor import log_directory, monitor
    from tfxkit.serving.request_log import LogSettings, RequestLogger

    rng = np.random.default_rng(0)

    def frame(n: int) -> pd.DataFrame:
        data = {k: rng.normal(40 + 10 * i, 5, n) for i, k in enumerate(NUMBERS)}
        data["island"] = rng.choice(["Biscoe", "Dream", "Torgersen"], n)
        data["sex"] = rng.choice(["male", "female"], n)
        data["species"] = rng.choice(["Adelie", "Gentoo", "Chinstrap"], n)
        return pd.DataFrame(data)

    tmp = Path(tempfile.mkdtemp())
    stats = tfdv.generate_statistics_from_dataframe(frame(5000))
    (tmp / "FeatureStats.pb").write_bytes(stats.SerializeToString())
    tfdv.write_schema_text(tfdv.infer_schema(stats), str(tmp / "schema.pbtxt"))
    config = validate_config(
        {
            "name": "bench",
            "workspace": str(tmp / "ws"),
            "data": {"format": "csv", "path": str(tmp)},
            "features": [{"name": k, "type": "float", "transform": "zscore"} for k in NUMBERS]
            + [{"name": k, "type": "string", "transform": "vocabulary"} for k in STRINGS],
            "label": {"name": "species", "type": "string"},
            "evaluation": {"bless": "always"},
            "monitoring": {
                "training_statistics": str(tmp / "FeatureStats.pb"),
                "schema_file": str(tmp / "schema.pbtxt"),
                "labels": str(tmp / "labels.csv"),
            },
        }
    )
    root = str(log_directory(config).parent)
    labelled = []
    write_seconds = 0.0
    for window, n in (("previous", min(args.rows, 10_000)), ("current", args.rows)):
        data = frame(n)
        settings = LogSettings(root, rotate_records=10**9, queue_size=n + 1)  # keep every row
        logger = RequestLogger(settings).start()
        started = time.monotonic()
        for i, row in enumerate(data.to_dict("records")):
            body = json.dumps({"instances": [{k: row[k] for k in NUMBERS + STRINGS}]})
            logger.offer("bench", 1, "predict", body.encode(), {"predictions": [row["species"]]},
                         f"{window}-{i}")  # fmt: skip
        logger.stop()
        write_seconds = time.monotonic() - started
        labelled = [(f"{window}-{i}", s) for i, s in enumerate(data["species"])]
    pd.DataFrame(labelled, columns=["request_id", "label"]).to_csv(tmp / "labels.csv", index=False)
    started = time.monotonic()
    report = monitor(config)
    seconds = time.monotonic() - started
    return {
        "rows": args.rows,
        "monitor_seconds": seconds,
        "monitor_seconds_per_100k": seconds * 100_000 / args.rows,
        "logger_rows_per_second": args.rows / write_seconds,
        "verdict": report["verdict"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=str(REPO / "workspace" / "serving"))
    parser.add_argument("--model", default="penguin")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-serving", action="store_true")
    parser.add_argument("--skip-monitor", action="store_true")
    parser.add_argument("--output", help="write the results as JSON here")
    args = parser.parse_args()
    results = {}
    if not args.skip_serving:
        if not (Path(args.base) / args.model).is_dir():
            print(f"no model {args.model} under {args.base}: run `make demo` first")
            return 2
        print(f"serving throughput, logging off vs on ({args.clients} clients, batch 1):")
        results["serving"] = serving_overhead(args)
        s = results["serving"]
        print(
            f"  median: off {s['rps_logging_off']:.0f} req/s, on {s['rps_logging_on']:.0f} "
            f"req/s, ratio on/off {s['ratio_on_off']:.3f}; on the request thread: "
            f"{s['offer_microseconds']:.1f} us per logged request"
        )
    if not args.skip_monitor:
        print(f"tfxkit monitor on a window of {args.rows} rows:")
        results["monitor"] = m = monitor_cost(args)
        print(
            f"  {m['monitor_seconds']:.1f} s ({m['monitor_seconds_per_100k']:.1f} s per 100k "
            f"rows); logger {m['logger_rows_per_second']:.0f} rows/s; verdict {m['verdict']}"
        )
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
