"""``make monitoring-demo``: the monitoring loop on the penguin model ``make demo`` pushed.

Serves the model with request logging, replays penguin traffic in three windows (like training;
body mass gradually shifted; abruptly shifted with a new island), runs ``tfxkit monitor`` on
each (ok -> warn -> alert), and on the alert retrains on a fresh span of shifted data, which is
pushed only if blessed and then promoted as the canary. Everything goes under ``--workdir``
(removed first) but the new version, which goes to the config's serving base.

    python -m tfxkit.monitoring.demo [--config configs/penguin.yaml]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

PHASE = 150  # rows per window
NUMBERS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
STRINGS = ("island", "sex")
MASS_STD = 800.0  # about the penguins' body-mass standard deviation, in grams
TFXKIT = str(Path(sys.executable).parent / "tfxkit")


def _rows(data: Path) -> list[dict]:
    with (data / "penguins.csv").open() as handle:
        return [r for r in csv.DictReader(handle) if all(r[k] not in ("", "NA") for k in NUMBERS)]


def _shifted(row: dict, mass: float, new_island: float, rng: random.Random) -> dict:
    out = dict(row, body_mass_g=str(int(float(row["body_mass_g"]) + mass)))
    if rng.random() < new_island:
        out["island"] = "Atlantis"
    return out


def _instance(row: dict) -> dict:
    return {**{k: float(row[k]) for k in NUMBERS}, **{k: row[k] for k in STRINGS}}


def main(argv: list[str] | None = None) -> int:
    from tfxkit.config.pipeline_config import load_config
    from tfxkit.monitoring.monitor import log_settings
    from tfxkit.serving import Client
    from tfxkit.serving.server import EmbeddedServer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/penguin.yaml")
    parser.add_argument("--workdir", default="workspace/monitoring-demo")
    args = parser.parse_args(argv)
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    config = load_config(args.config)
    if not (Path(config.resolved_push_destination)).is_dir():
        print(f"no pushed model under {config.resolved_push_destination}: run `make demo` first")
        return 2
    rng = random.Random(24)
    rows = _rows(Path(config.data.path))
    span = work / "span-2"
    span.mkdir(parents=True)
    with (span / "penguins.csv").open("w", newline="") as out:  # the fresh span: shifted data
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(_shifted(r, 2.5 * MASS_STD, 0.4, rng) for r in rows)
    sets = [
        "monitoring.logging.enabled=true",
        f"monitoring.logging.directory={work / 'log'}",
        f"monitoring.logging.rotate_records={PHASE}",
        f"monitoring.output={work / 'verdicts'}",
        f"monitoring.sinks=[{{type: file, path: {work / 'alerts.jsonl'}}}]",
        "monitoring.retrain.enabled=true",
        # the fresh span; its shift is the expected change this run approves
        f"monitoring.retrain.set=[data.path={span}, validation.on_anomaly=warn, "
        "validation.drift_check=warn]",
    ]
    config = load_config(args.config, sets)
    phases = {
        "like training": rng.sample(rows, PHASE),
        "gradually shifted": [
            _shifted(r, MASS_STD * i / PHASE, 0.0, rng)
            for i, r in enumerate(rng.sample(rows, PHASE))
        ],
        "abruptly shifted, a new island": [
            _shifted(r, 2.5 * MASS_STD, 0.4, rng) for r in rng.sample(rows, PHASE)
        ],
    }
    model = config.resolved_model_name
    verdicts = []
    with EmbeddedServer(
        config.resolved_serving_base,
        rest_port=0,
        grpc_port=None,
        log=lambda _: None,
        request_log=log_settings(config),
    ) as server:
        client = Client("127.0.0.1", server.rest_port, None, timeout=30)
        for name, phase in phases.items():
            print(f"\n=== window {len(verdicts) + 1}: {name} ({PHASE} requests)")
            for row in phase:
                client.predict(model, [_instance(row)], label="stable")
            logger = server.request_log
            while logger is not None and len(logger.closed) < len(verdicts) + 1:
                time.sleep(0.1)  # the writer closes the window after its last row
            window = sorted(logger.closed)[-1] if logger else None
            argv_monitor = ["monitor", "-c", args.config, "--window", str(window)]
            for value in sets:
                argv_monitor += ["--set", value]
            # the command as a user runs it (the cli layer is above this package)
            code = subprocess.run([TFXKIT, *argv_monitor], check=False).returncode
            report = json.loads((work / "verdicts" / f"{Path(str(window)).stem}.json").read_text())
            verdicts.append(report["verdict"])
            print(f"exit code {code}")
    print(f"\nverdicts: {' -> '.join(verdicts)}")
    retrain = report.get("retrain")
    if retrain:
        print(f"retrain: {retrain['reason']} (run {retrain['run_id']})")
    return 0 if verdicts == ["ok", "warn", "alert"] and retrain and retrain["promoted"] else 1


if __name__ == "__main__":
    sys.exit(main())
