"""Files under a serving base, local or on an object store, with atomic replacement.

Local paths use the OS (``os.replace`` makes a rewrite atomic, ``flock`` serialises writers);
``gs://`` and ``s3://`` paths go through ``tf.io.gfile``, imported only when such a path is
used, so rollout commands on a local base never load TensorFlow. An object store has no
rename-into-place, but a single object write is already all-or-nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator


def is_remote(path: str) -> bool:
    return "://" in path


def _gfile():  # noqa: ANN202 - tf.io.gfile, loaded only for object stores
    import tensorflow as tf

    return tf.io.gfile


def exists(path: str) -> bool:
    return _gfile().exists(path) if is_remote(path) else os.path.exists(path)


def isdir(path: str) -> bool:
    return _gfile().isdir(path) if is_remote(path) else os.path.isdir(path)


def listdir(path: str) -> list[str]:
    if not exists(path):
        return []
    names = _gfile().listdir(path) if is_remote(path) else os.listdir(path)
    return sorted(n.rstrip("/") for n in names)


def read_text(path: str) -> str:
    if is_remote(path):
        with _gfile().GFile(path, "r") as handle:
            return handle.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def write_text_atomic(path: str, text: str) -> None:
    """Readers see the old file or the new one, never a prefix of it."""
    if is_remote(path):
        with _gfile().GFile(path, "w") as handle:
            handle.write(text)
        return
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-" + os.path.basename(path) + "-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked(base: str) -> Iterator[None]:
    """One writer of a local base's config at a time (the pusher and rollout commands)."""
    if is_remote(base):
        yield  # object stores: the last writer wins; pushes there run one pipeline at a time
        return
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, ".tfxkit-serving.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
