"""ModelPusher executor: ``Do`` checks the blessing and calls ``push_model``, a plain function.

The guarantees, on a local or mounted filesystem:

* **Atomic.** The model is copied to ``<base>/.tmp-<version>-<host>-<pid>`` and renamed to
  ``<base>/<version>``; a rename within one directory is atomic, so a serving process (TF Serving
  watches ``<base>`` for numeric children) sees either no version or a complete one.
* **Increasing versions.** ``<version>`` is one more than the highest numeric child, starting at
  1; if another pusher took that number first the rename fails and the next number is tried.
* **Once.** A push record ``<base>/.tfxkit-pushes/<version>.json`` holds the content digest and
  the identity (``identity``: weights, assets, signatures and baked-in constants, not the names
  TF generates on export) of each pushed model; a model already pushed by either (and whose
  version still exists) is not copied again: the output says ``already_pushed`` and names the
  existing version.
* **No leftovers.** Temporary directories of a dead pusher on this host (killed mid-copy) are
  removed on the next push.
* **Warmed up.** With the infra check's ``infra_blessing`` the version gets the requests the
  check replayed as ``assets.extra/tf_serving_warmup_requests`` (written into the temporary
  copy, so it arrives with the rename); TF Serving replays them when it loads the version.
  The file is not part of the model's digest or identity: a model already pushed is not pushed
  again because its warm-up requests (built from newer evaluation data) differ.

On object stores (gs://, s3://) a "rename" is copy-then-delete, so the second guarantee and the
third hold but a reader listing the bucket during the copy could see a partial version.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from absl import logging
from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from tfxkit.components.infra_check.warmup import WARMUP_PATH
from tfxkit.components.model_pusher.identity import identity_digest, is_warmup
from tfxkit.components.model_pusher.verdict import NOT_BLESSED, PushVerdict
from tfxkit.components.verdicts import Artifacts, GateExecutor, gate_passed
from tfxkit.config.serving import BatchingSettings
from tfxkit.serving import rollout
from tfxkit.serving.layout import RECORDS_DIR

TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class PushResult:
    version: int
    path: str
    digest: str
    already_pushed: bool
    warmup: bool = False  # the version holds TF Serving's warm-up file


def content_digest(model_dir: str) -> str:
    """sha256 over every file's relative path and bytes: equal digests mean equal models."""
    digest = hashlib.sha256()
    files = []
    for root, _, names in fileio.walk(model_dir):
        root = root.decode() if isinstance(root, bytes) else root
        for name in names:
            name = name.decode() if isinstance(name, bytes) else name
            files.append(os.path.join(root, name))
    for path in sorted(files):
        if is_warmup(os.path.relpath(path, model_dir)):
            continue  # not the model: the requests TF Serving replays at load
        digest.update(os.path.relpath(path, model_dir).encode() + b"\0")
        with fileio.open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def existing_versions(base_directory: str) -> list[int]:
    """Numeric children of the base directory (what TF Serving would load), ascending."""
    if not fileio.exists(base_directory):
        return []
    names = [n.rstrip("/") for n in fileio.listdir(base_directory)]
    return sorted(int(n) for n in names if n.isdigit())


def _record_path(base_directory: str, version: int) -> str:
    return os.path.join(base_directory, RECORDS_DIR, f"{version}.json")


def find_pushed(base_directory: str, digest: str, identity: str | None = None) -> int | None:
    """The version already holding this model, if it still exists: the same bytes (``digest``)
    or the same model exported again (``identity``: weights, assets, signatures, constants)."""
    for version in reversed(existing_versions(base_directory)):
        path = _record_path(base_directory, version)
        if not fileio.exists(path):
            continue
        with fileio.open(path, "r") as handle:
            record = json.load(handle)
        if record.get("digest") == digest or (identity and record.get("identity") == identity):
            return version
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(base_directory: str) -> list[str]:
    """Remove temporary directories left by pushers on this host that are no longer alive."""
    removed = []
    if not fileio.exists(base_directory):
        return removed
    host = socket.gethostname()
    for name in fileio.listdir(base_directory):
        name = name.rstrip("/")
        if not name.startswith(TMP_PREFIX):
            continue
        parts = name[len(TMP_PREFIX) :].split("-")
        pid = parts[-1]
        owner_host = "-".join(parts[1:-1])
        if owner_host == host and pid.isdigit() and _pid_alive(int(pid)):
            continue
        if owner_host != host:
            continue  # another machine's push may still be running; never touch it
        fileio.rmtree(os.path.join(base_directory, name))
        removed.append(name)
    return removed


def push_model(
    model_dir: str, base_directory: str, *, warmup: str | None = None, max_attempts: int = 20
) -> PushResult:
    """Copy ``model_dir`` to ``<base>/<next version>`` atomically, unless already pushed;
    ``warmup``: a warm-up file to put at ``assets.extra/tf_serving_warmup_requests``."""
    fileio.makedirs(os.path.join(base_directory, RECORDS_DIR))
    for name in clean_leftovers(base_directory):
        logging.info("removed the leftover of an interrupted push: %s", name)
    digest, identity = content_digest(model_dir), identity_digest(model_dir)
    existing = find_pushed(base_directory, digest, identity)
    if existing is not None:
        path = os.path.join(base_directory, str(existing))
        return PushResult(existing, path, digest, already_pushed=True)
    host, pid = socket.gethostname(), os.getpid()
    for _ in range(max_attempts):
        version = max(existing_versions(base_directory), default=0) + 1
        tmp = os.path.join(base_directory, f"{TMP_PREFIX}{version}-{host}-{pid}")
        final = os.path.join(base_directory, str(version))
        if fileio.exists(tmp):
            fileio.rmtree(tmp)
        io_utils.copy_dir(model_dir, tmp)
        if warmup:
            fileio.makedirs(os.path.dirname(os.path.join(tmp, WARMUP_PATH)))
            fileio.copy(warmup, os.path.join(tmp, WARMUP_PATH), overwrite=True)
        try:
            if fileio.exists(final):
                raise FileExistsError(final)
            fileio.rename(tmp, final)
        except (FileExistsError, OSError):
            fileio.rmtree(tmp)  # another pusher took this version first; try the next one
            continue
        # Only blessed models reach this point (the executor checks every blessing first).
        record = {
            "digest": digest,
            "identity": identity,
            "model": model_dir,
            "pushed_at": time.time(),
            "blessed": True,
            "warmup": bool(warmup),
        }
        with fileio.open(_record_path(base_directory, version), "w") as handle:
            handle.write(json.dumps(record))
        return PushResult(version, final, digest, already_pushed=False, warmup=bool(warmup))
    raise RuntimeError(
        f"could not claim a new version under {base_directory} after {max_attempts} attempts"
    )


def is_blessed(blessings: list[types.Artifact]) -> bool:
    """Every blessing artifact says its gate passed (no blessing input means no gate here)."""
    return all(gate_passed(b) for b in blessings)


def warmup_file(infra_blessings: list[types.Artifact]) -> str | None:
    """The infra check's warm-up file, when it wrote one (it does only for a model it blessed)."""
    for blessing in infra_blessings:
        path = os.path.join(blessing.uri, WARMUP_PATH)
        if fileio.exists(path):
            return path
    return None


class Executor(GateExecutor, base_executor.BaseExecutor):
    """Pushes a blessed model; records pushed, version, destination and digest on the output."""

    VERDICT_OUTPUT = "pushed_model"

    def decide(
        self, inputs: Artifacts, outputs: Artifacts, properties: dict[str, Any]
    ) -> PushVerdict:
        self._log_startup(inputs, outputs, properties)
        pushed = artifact_utils.get_single_instance(outputs["pushed_model"])
        infra = inputs.get("infra_blessing", [])
        if not is_blessed([*inputs.get("model_blessing", []), *infra]):
            logging.info(NOT_BLESSED)
            pushed.set_int_custom_property("pushed", 0)
            return PushVerdict(passed=False, reasons=[NOT_BLESSED])
        model = artifact_utils.get_single_instance(inputs["model"])
        result = push_model(
            path_utils.serving_model_path(model.uri),
            properties["base_directory"],
            warmup=warmup_file(infra),
        )
        pushed.set_int_custom_property("pushed", 1)
        pushed.set_string_custom_property("pushed_destination", result.path)
        pushed.set_string_custom_property("pushed_version", str(result.version))
        pushed.set_string_custom_property("content_digest", result.digest)
        pushed.set_int_custom_property("already_pushed", int(result.already_pushed))
        pushed.set_int_custom_property("warmup", int(result.warmup))
        verb = "already pushed as" if result.already_pushed else "pushed to"
        logging.info("model %s %s", verb, result.path)
        labels: dict[str, int] = {}
        serving_base = properties.get("serving_base")
        if serving_base:
            batching = properties.get("batching")
            change = rollout.label_new_version(
                serving_base,
                properties["model_name"],
                result.version,
                properties.get("label") or "auto",
                BatchingSettings.model_validate_json(batching) if batching else None,
            )
            labels = change.labels if change else {}
            pushed.set_string_custom_property("serving_labels", json.dumps(labels))
            if change:
                logging.info("serving labels: %s", change.describe())
        return PushVerdict(
            passed=True,
            destination=result.path,
            version=result.version,
            digest=result.digest,
            already_pushed=result.already_pushed,
            serving_labels=labels,
            warmup=result.warmup,
        )
