"""A fingerprint of the code a pipeline node runs, for TFX's cache key.

Why: TFX caches an execution on its inputs and exec properties. A Transform or Trainer that
references code by module path (``tfxkit.training.keras_trainer.run_fn``) has the same exec
properties after that code changes, so a user would silently get the old model from cache.
Putting this fingerprint into the node's exec properties (``custom_config`` or a component
parameter) makes any edit to the referenced module, or to a module of the same top-level
package that it imports (transitively), re-execute the node and everything downstream.

The fingerprint is computed from source files without importing them (no TensorFlow at
compile time): ``sha256`` over the package version and each module's name and bytes.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import re
from functools import lru_cache
from importlib import metadata
from pathlib import Path

_LENGTH = 16


def _find_spec(module: str):
    try:
        return importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None


def _module_file(module: str) -> Path | None:
    """The source of ``module`` if it is a module, found without importing it.

    find_spec("a.b.c") imports ``a.b``; walking down and stopping at the first plain module
    means only packages (cheap ``__init__`` files) are ever imported.
    """
    parts = module.split(".")
    for end in range(1, len(parts) + 1):
        spec = _find_spec(".".join(parts[:end]))
        if spec is None:
            return None
        if end == len(parts):
            origin = spec.origin or ""
            return Path(origin) if origin.endswith(".py") else None
        if spec.submodule_search_locations is None:
            return None  # a name inside a plain module (a function, a class)
    return None


def module_source(module: str) -> Path | None:
    """The source file of a module or package (``__init__.py``), found without importing it."""
    return _module_file(module)


def split_reference(reference: str) -> tuple[str, Path]:
    """``pkg.module.attr`` or ``pkg.module`` -> (module name, source file)."""
    parts = reference.split(".")
    for end in range(len(parts), 0, -1):
        module = ".".join(parts[:end])
        path = _module_file(module)
        if path is not None:
            return module, path
    raise ValueError(f"cannot find the source of '{reference}' (is its package installed?)")


def _imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Absolute names of the modules a source file imports (relative imports resolved)."""
    names: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, base] if base else anchor)
            imported = {f"{base}.{alias.name}" for alias in node.names}
            names.update(imported)
            # ``from pkg import module`` runs pkg/__init__ but uses only the module: following
            # the package's __init__ would pull in everything it re-exports (for tfxkit, every
            # stage and component), so one component's edit would re-run unrelated nodes.
            # (Checked only inside our own package: find_spec would import foreign packages.)
            own = base.split(".")[0] == module.split(".")[0]
            if not own or not all(_module_file(name) is not None for name in imported):
                names.add(base)
    return names


def _version(top_package: str) -> str:
    try:
        return metadata.version(top_package)
    except metadata.PackageNotFoundError:
        return "unversioned"


@lru_cache(maxsize=64)
def code_fingerprint(reference: str) -> str:
    """Hex fingerprint of the module behind ``reference`` and what it imports of its package."""
    root, _ = split_reference(reference)
    top = root.split(".")[0]
    sources: dict[str, bytes] = {}
    pending = [root]
    while pending:
        module = pending.pop()
        if module in sources:
            continue
        path = _module_file(module)
        if path is None:
            continue
        sources[module] = path.read_bytes()
        is_package = path.name == "__init__.py"
        for name in _imported_modules(sources[module].decode("utf-8"), module, is_package):
            if name.split(".")[0] == top and name not in sources:
                pending.append(name)
    # Sorted: the walk's order follows set iteration, which differs between processes.
    digest = hashlib.sha256(f"{top}=={_version(top)}".encode())
    for module in sorted(sources):
        digest.update(f"\0{module}\0".encode() + sources[module])
    return digest.hexdigest()[:_LENGTH]


_FINGERPRINT_IN_TEXT = re.compile(r"(code_fingerprint.{1,120}?)\b[0-9a-f]{16}\b", re.DOTALL)


def mask_fingerprints(text: str) -> str:
    """Replace code fingerprints in compiled text by a placeholder (golden files, reviews)."""
    return _FINGERPRINT_IN_TEXT.sub(r"\1{CODE_FINGERPRINT}", text)
