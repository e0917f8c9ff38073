"""Content digests of output artifacts: what a cached output held when it was recorded.

Why: TFX reuses a cached execution's outputs while their ML Metadata state is LIVE and their URI
exists; it never reads them. A damaged file in a cached output (a truncated
``transform_fn/saved_model.pb``) made every later run fail the same way until ``--no-cache``
(issue 28). tfxkit records a digest of each output when its execution finishes and compares
before reuse (``tfxkit.metadata.cache_guard``); the unchanged-re-run shortcut compares too.

A digest is SHA-256 over every file's path (relative to the artifact's URI) and the SHA-256 of
its bytes, streamed: a changed, truncated, added, removed or renamed file changes it,
modification times do not. Shortened per-file digests are kept to name what changed.
Files only: no TFX, no ML Metadata (the shortcut imports this module and must stay light).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20
SHORT = 16  # hex digits of a file's digest kept in the manifest: enough to name what changed
SHOWN = 3  # changed files named in a message


@dataclass(frozen=True)
class Digest:
    """One artifact's content: ``whole`` decides, ``files`` (path -> SHA-256) names."""

    whole: str
    files: dict[str, str]

    def manifest(self) -> str:
        """Compact JSON of shortened per-file digests, stored beside ``whole``."""
        short = {name: value[:SHORT] for name, value in sorted(self.files.items())}
        return json.dumps(short, separators=(",", ":"))


def is_local(uri: str) -> bool:
    """Only local outputs are digested: remote ones are left to TFX's existence check."""
    return bool(uri) and "://" not in uri


def digest(uri: str) -> Digest:
    """The digest of a file or directory tree; ``FileNotFoundError`` when nothing is there."""
    root = Path(uri)
    if root.is_file():
        files = {root.name: _file_digest(root)}
    elif root.is_dir():
        files = {}
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(names):
                path = Path(folder) / name
                files[path.relative_to(root).as_posix()] = _file_digest(path)
    else:
        raise FileNotFoundError(uri)
    whole = hashlib.sha256()
    for name in sorted(files):
        whole.update(name.encode() + b"\0" + bytes.fromhex(files[name]))
    return Digest(whole.hexdigest(), files)


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def matches(uri: str, whole: str) -> bool:
    """Whether ``uri`` still holds exactly what was digested as ``whole``."""
    try:
        return digest(uri).whole == whole
    except OSError:
        return False


def damage(uri: str, whole: str | None, manifest: str | None = None) -> str | None:
    """What happened to an output since its digest was recorded, in words; None if nothing.

    ``whole`` None (recorded before digests existed): only a missing output can be told.
    """
    if not os.path.exists(uri):
        return f"is missing from disk ({uri})"
    if whole is None:
        return None
    try:
        now = digest(uri)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if now.whole == whole:
        return None
    names = changed_files(manifest, now)
    shown = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if names[SHOWN:] else "")
    return "changed on disk since it was recorded" + (f" ({shown})" if shown else "")


def changed_files(manifest: str | None, now: Digest) -> list[str]:
    """Files that differ from a recorded manifest: ``a/b``, ``c removed``, ``d added``."""
    try:
        recorded = json.loads(manifest) if manifest else None
    except ValueError:
        recorded = None
    if not isinstance(recorded, dict):
        return []
    names = []
    for name in sorted(set(recorded) | set(now.files)):
        if name not in now.files:
            names.append(f"{name} removed")
        elif name not in recorded:
            names.append(f"{name} added")
        elif now.files[name][:SHORT] != recorded[name]:
            names.append(name)
    return names


__all__ = ["Digest", "changed_files", "damage", "digest", "is_local", "matches"]
