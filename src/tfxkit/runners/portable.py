"""Portable rehearsal (``runner.beam.mode: portable``): every Beam component out of process.

Why: DirectRunner runs a component's transforms in the very interpreter that built them, so a
pipeline whose code, packages or options would not survive separate SDK worker processes (how
Dataflow, Flink and Spark run Python) still passes locally and fails on a cluster. Here tfxkit
starts Beam's Python job service (``local_job_service_main``, through
``portable_job_service`` so that ``runner.beam.workers`` SDK workers serve each job) and an
external worker pool (``worker_pool_main``) on loopback ports and runs every Beam component
through PortableRunner with ``environment_type=EXTERNAL``. The pool runs a *different*
interpreter: a venv holding only the tfxkit wheel built from this source tree, as a Dataflow
worker installs the staged package. What stands in for a full worker image: the pinned
requirements (TensorFlow, TFX, Beam, ...) are not reinstalled (about 3 GB); the worker venv
reads them from the base environment's site-packages through a ``.pth`` file that leaves out
editable installs, so tfxkit itself and the pipeline's own folder are importable on the
workers only if staged.

Flink, Spark and Prism need job-server jars from Maven; Beam 2.59's DaskRunner silently drops
transforms: none of them is shipped (see docs/scale.md, "Portable rehearsal").
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from tfxkit.config.pipeline_config import BeamMode
from tfxkit.errors import EXIT_USAGE, TfxkitError
from tfxkit.runners.beam_settings import BeamChoice

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 10.0
JOB_TIMEOUT_S = 7 * 24 * 3600
PRUNE_AFTER_S = 14 * 24 * 3600
_MISSING_MODULE = re.compile(r"No module named '([\w.]+)'")


class PortableRehearsalError(TfxkitError):
    """The rehearsal could not start (its services, the worker venv)."""


class UnstagedCodeError(PortableRehearsalError):
    """A Beam worker could not import the pipeline's code: the pipeline's packaging is wrong."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Rehearsal:
    """The running services of one rehearsal: where PortableRunner submits, where workers live."""

    job_endpoint: str
    worker_endpoint: str
    worker_python: Path
    pids: tuple[int, ...]

    def args(self) -> list[str]:
        """Beam options that send a component's jobs to this rehearsal's services."""
        return [
            "--runner=PortableRunner",
            f"--job_endpoint={self.job_endpoint}",
            "--environment_type=EXTERNAL",
            f"--environment_config={self.worker_endpoint}",
            # Beam applies this to the job's state stream too: the 60 s default ends any
            # component running longer with DEADLINE_EXCEEDED (found on Transform here).
            f"--job_server_timeout={JOB_TIMEOUT_S}",
        ]


def project_root() -> Path:
    """The source tree tfxkit runs from; the wheel the workers install is built from it."""
    import tfxkit

    root = Path(tfxkit.__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise PortableRehearsalError(
            f"runner.beam.mode portable: tfxkit at {Path(tfxkit.__file__).parent} is not "
            "running from its source tree (no pyproject.toml above it), so there is no package "
            "to build and stage for the Beam workers; run it from a checkout (pip install -e .)"
        )
    return root


def build_wheel(out_dir: Path, root: Path | None = None) -> Path:
    """The tfxkit wheel, as it would be staged to Dataflow (no dependencies, no network)."""
    root = root or project_root()
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    cmd += ["--no-index", "-q", "-w", str(out_dir), str(root)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheels = sorted(out_dir.glob("tfxkit-*.whl"))
    if done.returncode != 0 or not wheels:
        raise PortableRehearsalError(
            f"runner.beam.mode portable: building the tfxkit wheel from {root} failed: "
            f"{_tail(done.stderr or done.stdout)}"
        )
    return wheels[-1]


def wheel_hash(wheel: Path) -> str:
    """A hash of the wheel's members (names and bytes), not of the zip: zip timestamps vary."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            digest.update(name.encode() + b"\0" + archive.read(name) + b"\0")
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    base = os.environ.get("TFXKIT_CACHE_DIR") or os.path.join(Path.home(), ".cache", "tfxkit")
    return Path(base) / "portable-workers"


def worker_env(wheel: Path, cache: Path | None = None) -> Path:
    """The worker venv's interpreter, built once per wheel hash (``cache``/<hash>)."""
    cache = cache or cache_root()
    final = cache / wheel_hash(wheel)
    python = final / "bin" / "python"
    if python.exists():
        os.utime(final)  # in use: kept by _prune
        return python
    cache.mkdir(parents=True, exist_ok=True)
    _prune(cache)
    building = Path(tempfile.mkdtemp(prefix="building-", dir=cache))
    try:
        _make_venv(building, wheel)
        try:
            building.rename(final)
        except OSError:  # another run built the same hash meanwhile: use theirs
            shutil.rmtree(building, ignore_errors=True)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return python


def _prune(cache: Path) -> None:
    """Each tfxkit source change makes a venv (~6 MB): drop those unused for PRUNE_AFTER_S."""
    for old in cache.iterdir():
        with contextlib.suppress(OSError):
            if old.is_dir() and time.time() - old.stat().st_mtime > PRUNE_AFTER_S:
                shutil.rmtree(old, ignore_errors=True)


def _make_venv(target: Path, wheel: Path) -> None:
    """A venv whose own site-packages holds only tfxkit; the pins come from the base (see top)."""
    base_python = getattr(sys, "_base_executable", sys.executable)
    _check([base_python, "-m", "venv", "--without-pip", str(target)], "creating the worker venv")
    python = target / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    base_site = sysconfig.get_paths()["purelib"]
    editable = sorted(str(p) for p in Path(base_site).glob("__editable__*.pth"))
    # Process the base's .pth files (namespace packages need them), then drop the paths that
    # editable installs add: those are source trees, which a real worker would not have.
    Path(purelib, "tfxkit_rehearsal_base.pth").write_text(
        "import itertools, site, sys; "
        f"site.addsitedir({base_site!r}); "
        f"_e = {{l.strip() for f in {editable!r} for l in open(f) if not l.startswith('import')}}; "
        "sys.path[:] = list(itertools.filterfalse(_e.__contains__, sys.path))\n"
    )
    install = [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q"]
    install += ["--ignore-installed", "--no-warn-script-location", str(wheel)]
    _check(install, "installing the tfxkit wheel into the worker venv")
    where = subprocess.run(
        [str(python), "-c", "import tfxkit, apache_beam; print(tfxkit.__file__)"],
        capture_output=True,
        text=True,
        check=False,
        cwd=target,
    )
    if where.returncode != 0 or not where.stdout.strip().startswith(str(target)):
        raise PortableRehearsalError(
            "runner.beam.mode portable: the worker venv does not import tfxkit from its own "
            f"installed wheel ({_tail(where.stderr or where.stdout)})"
        )


def _check(cmd: list[str], what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PortableRehearsalError(
            f"runner.beam.mode portable: {what} failed: {_tail(done.stderr or done.stdout)}"
        )


def _tail(text: str, lines: int = 5) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "no output"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("localhost", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def services_for(
    choice: BeamChoice, progress: Callable[[str], None], log_dir: Path
) -> Iterator[BeamChoice]:
    """``choice`` as is, or for ``portable`` with the flags of a rehearsal running meanwhile
    (the services' logs appended under ``log_dir``)."""
    if choice.mode is not BeamMode.PORTABLE:
        yield choice
        return
    started = time.monotonic()
    quiet = _JobMessages(log_dir / "job_messages.log")
    root = logging.getLogger()
    root.addFilter(quiet)
    with contextlib.ExitStack() as stack:
        stack.callback(root.removeFilter, quiet)
        running = stack.enter_context(rehearsal(log_dir=log_dir))
        plural = "s" if choice.workers != 1 else ""
        progress(
            f"[tfxkit] portable rehearsal: job service {running.job_endpoint}, worker pool "
            f"{running.worker_endpoint} ({running.worker_python}; {choice.workers} SDK "
            f"worker{plural} per Beam job, runner.beam.workers), started in "
            f"{time.monotonic() - started:.1f}s; logs in {log_dir}"
        )
        args = [*running.args(), f"--direct_num_workers={choice.workers}"]
        yield replace(choice, portable_args=tuple(args))


class _JobMessages(logging.Filter):
    """PortableRunner logs each job message (a failed worker's whole traceback) on the root
    logger: into the rehearsal's logs instead, as the failure's one paragraph says it all."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.pathname.endswith(os.path.join("portability", "portable_runner.py")):
            return True
        with contextlib.suppress(OSError), open(self.path, "a") as out:
            out.write(f"{record.levelname}: {record.getMessage()}\n")
        return False


@contextlib.contextmanager
def rehearsal(
    worker_python: Path | None = None, log_dir: Path | None = None
) -> Iterator[Rehearsal]:
    """Start the job service and the worker pool; stop both (and every SDK worker the pool
    started) on the way out, on success, failure or Ctrl-C alike. ``worker_python``: the
    workers' interpreter; by default the cached venv of a freshly built tfxkit wheel."""
    scratch = Path(tempfile.mkdtemp(prefix="tfxkit-rehearsal-"))
    logs = log_dir or scratch
    started: list[subprocess.Popen] = []
    try:
        if worker_python is None:
            worker_python = worker_env(build_wheel(scratch / "dist"))
        job_port, pool_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        # The pool starts each SDK worker as plain `python`: the worker venv's, first on PATH.
        worker_bin = str(Path(worker_python).parent)
        worker_env_vars = dict(env, PATH=os.pathsep.join([worker_bin, env.get("PATH", "")]))
        started.append(
            _start(
                [sys.executable, "-m", "tfxkit.runners.portable_job_service"]
                + [f"--port={job_port}", f"--staging_dir={scratch / 'staging'}"],
                logs / "job_service.log",
                env,
                scratch,
            )
        )
        workdir = scratch / "workers"  # not the caller's folder: no module found by accident
        workdir.mkdir()
        started.append(
            _start(
                [str(worker_python), "-m", "apache_beam.runners.worker.worker_pool_main"]
                + [f"--service_port={pool_port}"],
                logs / "worker_pool.log",
                worker_env_vars,
                workdir,
            )
        )
        for port, process, name in (
            (job_port, started[0], "job service"),
            (pool_port, started[1], "worker pool"),
        ):
            _wait_for_port(port, process, name, logs)
        yield Rehearsal(
            job_endpoint=f"localhost:{job_port}",
            worker_endpoint=f"localhost:{pool_port}",
            worker_python=Path(worker_python),
            pids=tuple(p.pid for p in started),
        )
    finally:
        for process in reversed(started):
            stop(process)
        shutil.rmtree(scratch, ignore_errors=True)


def _start(cmd: list[str], log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    """A service in its own process group (so its SDK workers stop with it), killed with its
    parent if tfxkit itself dies (Linux: PR_SET_PDEATHSIG)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )


def _die_with_parent() -> None:
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _wait_for_port(port: int, process: subprocess.Popen, name: str, logs: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = logs / ("job_service.log" if name == "job service" else "worker_pool.log")
            text = log.read_text(errors="replace") if log.exists() else ""
            raise PortableRehearsalError(
                f"runner.beam.mode portable: Beam's {name} exited at start-up "
                f"(exit {process.returncode}): {_tail(text)}"
            )
        with contextlib.suppress(OSError), socket.create_connection(("localhost", port), 1):
            return
        time.sleep(0.2)
    raise PortableRehearsalError(
        f"runner.beam.mode portable: Beam's {name} did not listen on localhost:{port} within "
        f"{START_TIMEOUT_S:.0f}s"
    )


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the whole process group, SIGKILL after ``STOP_TIMEOUT_S``."""
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, STOP_TIMEOUT_S)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        if sig is signal.SIGTERM:  # the leader is gone; its SDK workers may not be
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        return


def explain(
    node_id: str, exc: BaseException, choice: BeamChoice | None = None
) -> UnstagedCodeError | None:
    """A worker's import failure, said in one paragraph naming the module; None otherwise
    (and always None when ``choice`` is not portable: DirectRunner imports in-process)."""
    if choice is not None and choice.mode is not BeamMode.PORTABLE:
        return None
    text = "\n".join(_chain(exc))
    found = _MISSING_MODULE.findall(text)
    if not found:
        return None
    module = found[-1]
    return UnstagedCodeError(
        f"portable rehearsal: component '{node_id}' failed because its Beam workers cannot "
        f"import module '{module}'. The workers run a separate interpreter with only the staged "
        "tfxkit wheel and the pinned requirements, as on Dataflow: package the module with the "
        "pipeline (inside tfxkit's package, or in the worker image / setup_file) or add it to "
        "the requirements; a module found only next to the pipeline file is not staged."
    )


def _chain(exc: BaseException | None) -> Iterator[str]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield str(exc)
        exc = exc.__cause__ or exc.__context__
