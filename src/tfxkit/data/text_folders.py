"""Text folder trees (``data.format: text_folder``): the rules the pre-run check and ingest
share.

The layout of text classification corpora (20 Newsgroups, IMDB's aclImdb, SpamAssassin once
sorted): ``DIR/<label>/<name>.txt``, one sub-folder per class, its name the label; each file is
one example's text. The walk and its errors are ``tfxkit.data.class_folders``' (images share
it); a text file's own rules are here, each one ``DataError`` naming the file: bytes that are
not UTF-8 (with the offset of the first bad byte and how to convert them) and a file with no
text (empty, or whitespace only), which would be a training example without words. A UTF-8
byte-order mark is dropped.
"""

from __future__ import annotations

import os

from tfxkit.data import class_folders
from tfxkit.data.class_folders import ClassTree, FileKind
from tfxkit.errors import DataError

TEXT_SUFFIXES = (".txt",)
TEXT_KIND = FileKind("text file", "a", TEXT_SUFFIXES, "*.txt")
DEFAULT_PATTERN = "*/*"  # ExampleGen's input pattern: every file of every class folder
_BOM = "\ufeff"


def decode_text(data: bytes, source: str) -> str:
    """One file's bytes as text, or a ``DataError`` naming ``source``: not UTF-8, or empty."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{source}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}: "
            f"{exc.reason}); convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8"
        ) from None
    text = text.removeprefix(_BOM)
    if not text.strip():
        raise DataError(
            f"{source}: an empty text file (no text, {len(data)} bytes); write its text, or "
            "remove the file"
        )
    return text


def list_tree(folder: str | os.PathLike[str], pattern: str | None = None) -> ClassTree:
    """The .txt files under ``folder``, one class per sub-folder, checked by name only."""
    return class_folders.list_tree(folder, TEXT_KIND, pattern)


def scan_tree(folder: str | os.PathLike[str], pattern: str | None = None) -> ClassTree:
    """``list_tree``, then every file read and decoded (``decode_text``)."""
    tree = list_tree(folder, pattern)
    for path in tree.files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        decode_text(data, str(path))
    return tree
