"""Strategies from config on this CPU-only machine: mirrored over logical CPUs, and
multi-worker mirrored with two worker processes on loopback (TF_CONFIG as Kubeflow/Vertex set
it). Each runs in fresh processes: logical devices exist only before TensorFlow starts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CONFIG", "TPU_NAME")}
    return {**env, "TF_CPP_MIN_LOG_LEVEL": "2"}


def test_mirrored_runs_one_replica_per_logical_cpu() -> None:
    code = (
        "from tfxkit.training.strategies import split_cpu, make_strategy, describe\n"
        "split_cpu(2)\n"
        "s = make_strategy('mirrored')\n"
        "print('REPLICAS', s.num_replicas_in_sync, describe(s))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("REPLICAS"))
    assert line.startswith("REPLICAS 2 2 replica(s) on ")
    assert "CPU:0" in line and "CPU:1" in line


def _two_workers(out_dir: Path, *extra: str) -> list[tuple[int, str, str]]:
    ports = [str(_free_port()), str(_free_port())]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.strategy_worker", str(i), *ports, str(out_dir), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=_env(),
        )
        for i in range(2)
    ]
    done = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        done.append((worker.returncode, out, err))
    return done


def test_multi_worker_mirrored_trains_one_model_on_two_processes(tmp_path: Path) -> None:
    results = []
    for code, out, err in _two_workers(tmp_path):
        assert code == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert [r["replicas"] for r in results] == [2, 2]
    assert [r["global_batch"] for r in results] == [16, 16]
    # Synchronous training: both workers end with the same weights, and it learned.
    assert results[0]["weights"] == pytest.approx(results[1]["weights"], abs=1e-6)
    assert results[0]["loss"] < 0.5
    assert (tmp_path / "model" / "saved_model.pb").is_file()


def test_every_strategy_is_described_in_the_trainer_log_line() -> None:
    from tfxkit.training.strategies import describe, make_strategy

    assert describe(make_strategy("default")) == "1 replica(s) on the default device"
    assert describe(make_strategy("one_device")).startswith("1 replica(s) on ")


def test_a_stopped_multi_worker_job_resumes_from_its_backup(tmp_path: Path) -> None:
    """Both workers die after epoch 1 (a preempted job); restarted, they resume at epoch 2."""
    stopped = _two_workers(tmp_path, "1")
    assert [code for code, _, _ in stopped] == [3, 3], [err[-2000:] for _, _, err in stopped]
    assert all("EPOCH 1" in out and "EPOCH 2" not in out for _, out, _ in stopped)
    resumed = _two_workers(tmp_path)
    for code, out, err in resumed:
        assert code == 0, err[-3000:]
        epochs = [line for line in out.splitlines() if line.startswith("EPOCH")]
        assert epochs == ["EPOCH 2", "EPOCH 3"], out[-1000:]
