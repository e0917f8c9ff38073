"""Fault injection on real local runs: start ``run-pipeline``, signal it while a chosen
component is executing, then check what a re-run finds and leaves; or damage a cached output
on disk and check that the re-run re-executes its component instead of reusing it.

Used by ``tests/integration/test_faults.py`` (CI: Transform, the infra check and the push; a
damaged Transform graph) and by ``make chaos`` (``python -m tests.chaos``: every component,
SIGKILL and SIGINT, as a table; ``python -m tests.chaos infra_check pusher``: only those;
``python -m tests.chaos damage``: every output of every component, damaged). After a kill, no
process may outlive the run (the infra check's serving process ends with it) and every pushed
version must be complete, with its warm-up file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.paths import PENGUIN_CONFIG, PENGUIN_DATA, PENGUIN_PIPELINE, REPO

RUN_PIPELINE = str(Path(sys.executable).parent / "run-pipeline")


def command(workspace: Path, *extra: str) -> list[str]:
    return [
        RUN_PIPELINE, str(PENGUIN_PIPELINE), "--config", str(PENGUIN_CONFIG),
        "--runner", "beam", "--set", f"workspace={workspace}",
        "--set", f"data.path={PENGUIN_DATA}", "--set", "training.train_steps=40", *extra,
    ]  # fmt: skip


@dataclass
class Killed:
    returncode: int
    stdout: str
    stderr: str
    reached: bool  # the component had started when the signal was sent


def kill_during(workspace: Path, component: str, sig: int, delay: float = 1.0) -> Killed:
    """Run until ``<component>: started`` is printed, wait ``delay`` s, send ``sig``."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        command(workspace), cwd=REPO, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    lines, reached = [], False
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if line.rstrip().endswith(f"] {component}: started"):
            reached = True
            time.sleep(delay)
            proc.send_signal(sig)
            break
    out, err = proc.communicate(timeout=300)
    return Killed(proc.returncode, "".join(lines) + out, err, reached)


def rerun(workspace: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(
        command(workspace, *extra), cwd=REPO, env=env, capture_output=True, text=True, check=False
    )


def store_problems(workspace: Path) -> list[str]:
    """Executions left NEW/RUNNING, and model versions that are partial or temporary."""
    from tests.pipeline_runs import sqlite_store, versions
    from tfxkit.metadata.recovery import unfinished

    problems = []
    store = sqlite_store(workspace / "penguin" / "metadata.sqlite")
    for node_id, execution in unfinished(store, "penguin"):
        problems.append(f"{node_id} execution {execution.id} left unfinished")
    serving = workspace / "serving" / "penguin"
    for version in versions(serving):
        if not (serving / str(version) / "saved_model.pb").is_file():
            problems.append(f"model version {version} is partial")
    if serving.is_dir():
        problems += [
            f"temporary {p.name} visible" for p in serving.iterdir() if p.name.startswith(".tmp")
        ]
    for version in versions(serving):  # the infra check's requests, TF Serving's warm-up
        if not (serving / str(version) / "assets.extra" / "tf_serving_warmup_requests").is_file():
            problems.append(f"model version {version} has no warm-up file")
    return problems


def newest_output(workspace: Path, node: str, output: str) -> Path:
    """The newest ``<pipeline root>/<node>/<output>/<execution id>`` folder: what a cached
    re-run would reuse."""
    folder = workspace / "penguin" / "pipeline_root" / node / output
    return max((p for p in folder.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


def damage(workspace: Path, node: str, output: str, file: str | None = None) -> str:
    """Damage a cached output as a disk, a crash or a stray script might: flip one byte of
    ``file`` (default: its largest file); an output with no files is removed. What was hit."""
    folder = newest_output(workspace, node, output)
    files = sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    if not files:
        folder.rmdir()
        return "missing"
    target = folder / file if file else files[-1]
    data = bytearray(target.read_bytes() or b"\0")  # an empty file gains a byte
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    return target.relative_to(folder).as_posix()


COMPONENTS = (
    "example_gen", "statistics_gen", "schema_gen", "example_validator", "anomaly_gate",
    "transform", "trainer", "evaluator", "infra_check", "pusher",
)  # fmt: skip
PROBE = "tfxkit.components.infra_check.probe"  # the infra check's fresh serving process


def outliving_processes(workspace: Path, wait: float = 5.0) -> list[str]:
    """Processes a killed run started that are still alive after ``wait`` s (the infra check's
    serving process ends itself when its parent dies)."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                args = cmdline.read_bytes().split(b"\0")
            except OSError:
                continue  # ended while we looked
            text = b" ".join(args).decode(errors="replace")
            if PROBE in text and str(workspace) in text:
                found.append(f"process {cmdline.parent.name} ({PROBE}) outlived its run")
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def sweep(base: Path, components: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(component, signal, verdict) for every component and both signals, fresh workspaces."""
    from tests.pipeline_runs import versions

    rows = []
    for component in components or COMPONENTS:
        for sig in (signal.SIGKILL, signal.SIGINT):
            workspace = base / f"{component}-{sig.name}"
            killed = kill_during(workspace, component, sig, delay=0.5)
            left = outliving_processes(workspace)
            again = rerun(workspace)
            problems = left + store_problems(workspace)
            if again.returncode != 0:
                problems.append(f"re-run exited {again.returncode}")
            if versions(workspace / "serving" / "penguin") != [1]:
                problems.append("not exactly one model version")
            if sig == signal.SIGINT and killed.reached and killed.returncode not in (0, 130):
                problems.append(f"interrupted run exited {killed.returncode}")
            verdict = "survived" if not problems else "FAILED: " + "; ".join(problems)
            rows.append((component, sig.name, verdict))
            print(f"{component:<18} {sig.name:<8} {verdict}", flush=True)
    return rows


def damage_sweep(base: Path, components: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(component, output, verdict) for every output of every component, one workspace: damage
    the output a re-run would reuse; the re-run must say so and re-execute that component."""
    from tests.pipeline_runs import executions

    workspace, rows = base / "damage", []
    first = rerun(workspace)
    assert first.returncode == 0, first.stderr[-2000:]
    root = workspace / "penguin" / "pipeline_root"
    for component in components or COMPONENTS:
        for output in sorted(p.name for p in (root / component).iterdir() if p.name[0] != "."):
            hit = damage(workspace, component, output)
            summary = base / "summary.json"
            again = rerun(workspace, "--summary-json", str(summary))
            problems = []
            if again.returncode != 0:
                problems.append(f"re-run exited {again.returncode}")
            elif f"cache: {component}'s output {output} " not in again.stdout:
                problems.append("not said")
            else:
                run_id = json.loads(summary.read_text())["run_id"]
                state = executions(workspace, "penguin", run_id)[component].state
                if state != "COMPLETE":
                    problems.append(f"{component} {state}, not re-executed")
            verdict = "re-run" if not problems else "FAILED: " + "; ".join(problems)
            rows.append((component, f"{output} ({hit})", verdict))
            print(f"{component:<18} {output + ' (' + hit + ')':<50} {verdict}", flush=True)
    return rows


if __name__ == "__main__":
    import tempfile

    damaging = sys.argv[1:2] == ["damage"]
    names = sys.argv[2:] if damaging else sys.argv[1:]  # or name components to sweep
    if unknown := [n for n in names if n not in COMPONENTS]:  # --help included: no run
        print(
            f"usage: python -m tests.chaos [damage] [COMPONENT ...]\n"
            f"unknown: {', '.join(unknown)}; components: {' '.join(COMPONENTS)}",
            file=sys.stderr,
        )
        sys.exit(2)
    with tempfile.TemporaryDirectory(prefix="tfxkit-chaos-") as tmp:
        if damaging:
            print(f"{'component':<18} {'output (damaged file)':<50} verdict")
            results = damage_sweep(Path(tmp), names or None)
        else:
            print(f"{'component':<18} {'signal':<8} verdict")
            results = sweep(Path(tmp), names or None)
    failed = [r for r in results if not r[2].startswith(("survived", "re-run"))]
    print(f"\n{len(results) - len(failed)}/{len(results)} faults survived")
    sys.exit(1 if failed else 0)
