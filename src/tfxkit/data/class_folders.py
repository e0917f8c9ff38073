"""Folder trees of examples by class, ``DIR/<label>/<file>``: the walk images and text share.

Why shared: ``data.format: images`` (``tfxkit.data.images``) and ``data.format: text_folder``
(``tfxkit.data.text_folders``) read the same layout, the one image and text classification
tools write: one sub-folder per class, its name the label. What differs is only which files
belong in a class folder (``FileKind``) and how one file is read; the walk and its errors are
here once, each one ``DataError`` naming the file or folder: no class folder, an empty class
folder, one class only, a folder inside a class folder, a file of another kind, a file directly
in ``DIR``. Files and folders whose names start with '.' (``.DS_Store``) are skipped.

Two entry points: ``list_tree`` for local folders (the pre-run checks; ``data.pattern`` and
spans included) and ``select_files`` for the listing an ExampleGen executor globbed itself
(local or remote, through TFX's fileio, which this module must not import: the pre-run checks
run before TFX loads).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tfxkit.errors import DataError


@dataclass(frozen=True)
class FileKind:
    """Which files a class folder holds, and how errors name them."""

    noun: str  # "image", "text file"
    article: str  # "an", "a"
    suffixes: tuple[str, ...]  # lower case, with the dot
    example: str  # "*.png": how the layout is shown in errors

    @property
    def plural(self) -> str:
        return f"{self.noun}s"

    @property
    def file_noun(self) -> str:
        return self.noun if self.noun.endswith("file") else f"{self.noun} file"

    @property
    def patterns(self) -> str:
        """'*.png|jpg|jpeg': every suffix, as errors show the layout."""
        return "*." + "|".join(suffix.lstrip(".") for suffix in self.suffixes)

    def check_name(self, path: str) -> None:
        """A file in a class folder must be named as this kind's files are."""
        if not path.lower().endswith(self.suffixes):
            raise DataError(
                f"{path}: not {self.article} {self.file_noun} (a class folder holds only "
                f"{', '.join(self.suffixes)} files); move it out of {os.path.dirname(path)}"
            )


@dataclass(frozen=True)
class ClassTree:
    """The files under one folder (sorted) and how many each class holds."""

    files: tuple[Path, ...]
    classes: dict[str, int]


def label_of(path: str) -> str:
    """The label of a file: the name of the folder holding it."""
    return os.path.basename(os.path.dirname(path))


def relative_path(path: str, base: str) -> str:
    """The file's path under ``base`` with '/' separators: its path feature, and what decides
    its split (the same on every machine, whatever the listing order)."""
    return os.path.relpath(path, base).replace(os.sep, "/")


def mixed_order(path: str, base: str) -> str:
    """The order a folder tree's examples are written in: by a hash of each file's path under
    ``base``, so the classes are mixed.

    Why: the Trainer reads examples in the order they were written, through TFXIO's shuffle
    buffer of 10,000; in folder order (one class after another) its batches held one or two
    classes at a time, and a CNN trained so on full Fashion-MNIST forgot the earlier ones (0.62
    accuracy on the eval split, where Keras' validation on the first classes said 0.91). A hash
    of the relative path, not a random shuffle: the same files are written in the same order on
    every run, wherever the tree lies."""
    return hashlib.sha256(relative_path(path, base).encode("utf-8")).hexdigest()


def list_tree(
    folder: str | os.PathLike[str], kind: FileKind, pattern: str | None = None
) -> ClassTree:
    """The files of ``kind`` under ``folder``, one class per sub-folder, checked by name only.

    ``pattern`` (``data.pattern``, spans included) selects the files; its class folders are the
    sub-folders of the folders holding them. Raises ``DataError`` for no class folder, an empty
    class folder, a folder in a class folder, a file not named as ``kind``, and one class.
    """
    from tfxkit.data.csv_dialect import input_files

    base = Path(folder)
    if pattern:
        selected: set[Path] | None = set(input_files(base, pattern))
        if not selected:
            raise DataError(f"data.path: no file in {base} matches data.pattern '{pattern}'")
        roots = sorted({path.parent.parent for path in selected})
    else:
        selected = None
        roots = [base]
        for stray in _visible(base):
            if stray.is_file() and stray.name.lower().endswith(kind.suffixes):
                raise DataError(
                    f"{stray}: {kind.article} {kind.noun} directly in data.path; every "
                    f"{kind.noun} belongs in the folder of its class ({base}/<label>/{stray.name})"
                )
    files: list[Path] = []
    classes: Counter[str] = Counter()
    for root in roots:
        folders = [p for p in _visible(root) if p.is_dir()]
        if not folders:
            raise DataError(
                f"data.path: {root} holds no class folder; {kind.plural} go in one sub-folder "
                f"per class ({root}/<label>/{kind.example})"
            )
        for class_folder in folders:
            found = _class_files(class_folder, selected, kind)
            if not found:
                raise DataError(
                    f"{class_folder}: an empty class folder (no {kind.noun}); add "
                    f"{kind.plural} of class '{class_folder.name}', or remove the folder"
                )
            files += found
            classes[class_folder.name] += len(found)
    if len(classes) < 2:
        raise DataError(
            f"data.path: {base} has one class only ({sorted(classes)}); a classifier needs at "
            "least two class folders"
        )
    return ClassTree(tuple(sorted(files)), dict(sorted(classes.items())))


def select_files(
    listing: Iterable[str],
    input_base: str,
    kind: FileKind,
    is_dir: Callable[[str], bool],
    shown: str,
) -> list[str]:
    """The files of one ExampleGen input split (``listing``: what its pattern ``shown``
    matched), sorted, hidden files and folders skipped. A folder where a file belongs, a file
    not named as ``kind``, no file, or fewer than two classes is a ``DataError`` naming it."""
    files = []
    for path in sorted(listing):
        if any(part.startswith(".") for part in relative_path(path, input_base).split("/")):
            continue
        if is_dir(path):
            raise DataError(
                f"{path}: a folder where {kind.plural} belong; {kind.plural} sit directly in the "
                f"folder of their class (data.path/<label>/{kind.example})"
            )
        kind.check_name(path)
        files.append(path)
    if not files:
        raise DataError(f"no {kind.noun} matches {shown} (data.path/<label>/{kind.patterns})")
    classes = sorted({label_of(path) for path in files})
    if len(classes) < 2:
        raise DataError(
            f"{input_base}: one class only ({classes}); a classifier needs at least two class "
            "folders"
        )
    return files


def _visible(folder: Path) -> list[Path]:
    """The entries of ``folder`` not hidden by a leading '.', sorted."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _class_files(folder: Path, selected: set[Path] | None, kind: FileKind) -> list[Path]:
    """The files of one class folder (those ``selected`` by a pattern, when given)."""
    found = []
    for entry in _visible(folder):
        if selected is not None and entry not in selected:
            continue
        if entry.is_dir():
            raise DataError(
                f"{entry}: a folder inside the class folder {folder}; {kind.plural} must sit "
                f"directly in the folder of their class (data.path/<label>/{kind.example})"
            )
        kind.check_name(str(entry))
        found.append(entry)
    return found
