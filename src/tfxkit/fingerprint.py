"""A fingerprint of the code a pipeline node runs, for TFX's cache key and the unchanged re-run.

Why: TFX caches an execution on its inputs and exec properties. A Transform or Trainer that
references code by module path (``tfxkit.training.keras_trainer.run_fn``) has the same exec
properties after that code changes, so a user would silently get the old model from cache.
Putting this fingerprint into the node's exec properties (``custom_config`` or a component
parameter) makes any edit to the code it runs re-execute the node and everything downstream.

What is fingerprinted, the *import closure* of the referenced module: every module it imports,
and every module those import, transitively, across packages, by source bytes, as long as the
module is not part of an installed distribution (the user's plug-ins, the modules beside a
pipeline file, a source checkout such as tfxkit's own editable install); installed packages
(site-packages) by distribution name and version, without reading or importing them; the
standard library not at all. So an edit to a helper two imports away from a plug-in changes
the plug-in's fingerprint, and an edit to an unrelated module changes nothing. A module named
after ``"-m"`` in a list literal (a container step's ``python -m`` command) counts as imported.

Computed from source files without importing them (no TensorFlow at compile time): packages
are located with ``find_spec`` one level at a time, so only our own packages' ``__init__``
files can be imported, never an installed package's.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import re
import sys
import sysconfig
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path

_LENGTH = 16


def _find_spec(module: str):
    try:
        return importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None


@lru_cache(maxsize=1)
def _installed_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple({paths["purelib"], paths["platlib"], paths["stdlib"], paths["platstdlib"]})


def _is_installed(origin: str) -> bool:
    """Part of an installed distribution or the standard library (not followed by source)."""
    return origin.startswith(_installed_roots())


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
                if not package:
                    continue  # a relative import in a top-level script cannot resolve
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, base] if base else anchor)
            imported = {f"{base}.{alias.name}" for alias in node.names}
            names.update(imported)
            # ``from pkg import module`` runs pkg/__init__ but uses only the module: following
            # the package's __init__ would pull in everything it re-exports (for tfxkit, every
            # stage and component), so one component's edit would re-run unrelated nodes.
            if not all(_followed_file(name) is not None for name in imported):
                names.add(base)
        elif isinstance(node, ast.List | ast.Tuple):
            names.update(_run_modules(node.elts))
    return names


_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def _run_modules(elements: list[ast.expr]) -> set[str]:
    """``"-m", "pkg.tool"`` in a list literal (a container step's command, ``python -m``): the
    module runs as part of the step, so its code counts as an import's would."""
    found = set()
    for flag, value in zip(elements, elements[1:], strict=False):
        if (
            isinstance(flag, ast.Constant)
            and flag.value == "-m"
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and _MODULE_NAME.fullmatch(value.value)
        ):
            found.add(value.value)
    return found


@lru_cache(maxsize=4096)
def _top_kind(top: str) -> str:
    """'stdlib', 'installed', 'source' or 'missing' for a top-level module name."""
    if top in sys.stdlib_module_names or top in sys.builtin_module_names or top == "__future__":
        return "stdlib"
    spec = _find_spec(top)
    if spec is None:
        return "missing"
    locations = list(spec.submodule_search_locations or []) or [spec.origin or ""]
    if all(_is_installed(str(location)) for location in locations):
        return "installed"
    return "source"


def _followed_file(module: str) -> Path | None:
    """The source file of a module the closure reads by content, else None (never locates a
    submodule of an installed package: ``find_spec`` would import its parent, e.g. TF)."""
    if _top_kind(module.split(".")[0]) != "source":
        return None
    return _module_file(module)


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    """Top-level module -> distributions (scanning every installed package takes ~1 s)."""
    return metadata.packages_distributions()


def _version(top_package: str) -> str:
    """An installed top-level package's distribution(s) and version(s)."""
    dists = _distributions().get(top_package, [top_package])
    found = []
    for dist in sorted(set(dists)):
        try:
            found.append(f"{dist}=={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    return ",".join(found) or f"{top_package}==unversioned"


def _closure(
    roots: Iterable[str], files: Iterable[Path] = (), *, strict: bool = False
) -> hashlib._Hash:
    """sha256 over the source of every module reached from ``roots`` (module names) and
    ``files`` (top-level scripts such as a pipeline file), plus installed packages' versions.
    ``strict``: a module that cannot be found raises ValueError (it cannot be vouched for)."""
    importlib.invalidate_caches()  # files written since the last call must be found
    _top_kind.cache_clear()
    sources: dict[str, bytes] = {}
    installed: set[str] = set()
    pending: list[str] = list(roots)
    # The referenced code's own package is read by content even when installed (an image's
    # tfxkit): its version alone would not see a rebuilt wheel of the same version.
    own = {root.split(".")[0] for root in roots}
    for file in files:
        data = file.read_bytes()
        sources[f"<file>{file.resolve()}"] = data
        pending.extend(_imported_modules(data.decode("utf-8"), file.stem, False))
    while pending:
        module = pending.pop()
        if module in sources:
            continue
        top = module.split(".")[0]
        kind = "source" if top in own else _top_kind(top)
        if kind == "installed":
            installed.add(top)
            continue
        if kind == "missing" and strict:
            raise ValueError(f"cannot find module '{top}'")
        if kind != "source":
            continue
        path = _module_file(module)
        if path is None:
            continue  # a name inside a module (a function, a class), already counted
        sources[module] = path.read_bytes()
        is_package = path.name == "__init__.py"
        for name in _imported_modules(sources[module].decode("utf-8"), module, is_package):
            if name not in sources:
                pending.append(name)
    # Sorted: the walk's order follows set iteration, which differs between processes.
    digest = hashlib.sha256()
    for top in sorted(installed):
        digest.update(f"\0{_version(top)}".encode())
    for module in sorted(sources):
        digest.update(f"\0{module}\0".encode() + sources[module])
    return digest


@lru_cache(maxsize=64)
def code_fingerprint(reference: str) -> str:
    """Hex fingerprint of the module behind ``reference`` and its whole import closure."""
    root, _ = split_reference(reference)
    return _closure([root]).hexdigest()[:_LENGTH]


def module_fingerprint(module: str) -> str:
    """``code_fingerprint`` of an imported module, uncached (a step's module edited between two
    builds in one process is seen). A module loaded from a file under a name ``find_spec``
    cannot locate (a step defined in the pipeline file itself) is fingerprinted by its file."""
    try:
        root, _ = split_reference(module)
    except ValueError:
        path = getattr(sys.modules.get(module), "__file__", None)
        if not path:
            raise
        return file_fingerprint(path)
    return _closure([root]).hexdigest()[:_LENGTH]


def file_fingerprint(path: str | Path) -> str:
    """Hex fingerprint of a script (a pipeline file) and its import closure; the script's folder
    must be importable (``load_pipeline`` puts it on the path; callers outside a run add it)."""
    path = Path(path).resolve()
    folder = str(path.parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        return _closure([], [path], strict=True).hexdigest()[:_LENGTH]
    finally:
        if added:
            sys.path.remove(folder)


_FINGERPRINT_IN_TEXT = re.compile(r"(code_fingerprint.{1,120}?)\b[0-9a-f]{16}\b", re.DOTALL)


def mask_fingerprints(text: str) -> str:
    """Replace code fingerprints in compiled text by a placeholder (golden files, reviews)."""
    return _FINGERPRINT_IN_TEXT.sub(r"\1{CODE_FINGERPRINT}", text)
