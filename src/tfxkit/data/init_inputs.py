"""What ``tfxkit init``'s ``--data`` and ``--label`` mean: the pipeline's name from the path, and
the label as a column or as a condition over columns (``label.derive``).

Split from ``data.init_draft``: these answers come from the user's words, not the data's
profile. Why names skip generic folders: ``init --data data`` named pipelines ``data`` (issue
22 #8), and every project has a ``data`` folder, so two projects' runs, models and remote
pipelines collided under one name.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from tfxkit.config import label_expr
from tfxkit.config.sections import column_key
from tfxkit.config.types import PIPELINE_NAME_MAX, PIPELINE_NAME_PATTERN
from tfxkit.errors import ConfigError

# Folder and file names that say nothing about the data (lower case, after slugging).
GENERIC_NAMES = frozenset(
    """data raw input inputs csv csvs dataset datasets file files tmp temp export exports
    download downloads sample samples train training test eval in src source sources output
    outputs out processed clean interim external local shared work home users user mnt tables
    table dump dumps pipeline pipelines images image img imgs pictures photos texts text docs
    documents corpus""".split()
)
_GENERIC_PATTERN = re.compile(r"(?:part|data|file|export|sample|chunk)?[-_]?[0-9]*")
NAME_LEVELS = 3  # folders above the data looked at for a name
DERIVED_NAME_MAX = 40
_OPERATORS = {
    ">=": "at_least", "<=": "at_most", "==": "is", "!=": "not", ">": "over", "<": "under",
    "*": "x", "/": "per", "+": "plus", "-": "minus",
}  # fmt: skip
_TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|>=|<=|==|!=|[<>*/+-]|[A-Za-z0-9_.]+")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", text.lower()).strip("_-")[:PIPELINE_NAME_MAX].strip("_-")


def _generic(slug: str) -> bool:
    return not slug or slug in GENERIC_NAMES or bool(_GENERIC_PATTERN.fullmatch(slug))


def pipeline_name(source: Path, files: list[Path]) -> str:
    """A name for the pipeline: the CSV file's stem (``--data`` a file, or a folder holding
    one), else the nearest folder whose name is not generic (``data``, ``raw``, ``csv``...),
    else ``pipeline``. It follows the config's name rule."""
    path = source.resolve()
    folder = path if path.is_dir() else path.parent
    stems = [path.stem] if path.is_file() else [files[0].stem] if len(files) == 1 else []
    folders = [folder, *folder.parents][: NAME_LEVELS + 1]
    for candidate in [*stems, *(f.name for f in folders)]:
        slug = _slug(candidate)
        if not _generic(slug) and re.fullmatch(PIPELINE_NAME_PATTERN, slug):
            return slug
    return "pipeline"


@dataclass(frozen=True)
class LabelChoice:
    """``--label``: a column (``column``), or a condition over columns (``derive``), with the
    columns it reads (``sources``: the expression's name -> the CSV column; never features)."""

    name: str
    column: str | None = None
    derive: str | None = None
    sources: dict[str, str] = field(default_factory=dict)


def choose_label(
    text: str, columns: list[str], where: Path, example: str = "arr_delay"
) -> LabelChoice:
    """``--label`` as a column, else as a ``label.derive`` expression whose names are columns
    (by name or feature key); else a ConfigError naming the nearest column and saying how to
    write a condition (with ``example``, a number column, in it)."""
    if text in columns:
        return LabelChoice(text, column=text)
    by_key = {column_key(c): c for c in columns} | {c: c for c in columns}
    try:
        expression = label_expr.parse(text)
    except ConfigError as exc:
        reason = str(exc).removeprefix(f"label.derive {text!r}").lstrip(": ")
        raise ConfigError(_not_a_label(text, columns, where, reason, example)) from None
    unknown = [n for n in expression.columns if n not in by_key]
    if unknown:
        near = _nearest(unknown[0], columns)
        raise ConfigError(
            f"--label {text!r}: '{unknown[0]}' is not a column of {where}{near} (a condition "
            "names columns as they are written, in backticks when not a plain name: "
            f"`unit-price` > 3; columns: {_listed(columns)})"
        )
    sources = {n: by_key[n] for n in expression.columns}
    taken = {column_key(c) for c in columns}
    return LabelChoice(derived_name(text, taken), derive=text, sources=sources)


def derived_name(expression: str, taken: set[str]) -> str:
    """A readable label name from the condition (``total > 0.2 * price`` ->
    ``total_over_0_2_x_price``), or ``label`` when that is long; never a column's key."""
    words = [_OPERATORS.get(t, t.strip("'\"")) for t in _TOKEN.findall(expression)]
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", "_".join(words)).strip("_")
    names = [slug] if 0 < len(slug) <= DERIVED_NAME_MAX else []
    names += ["label", *(f"label_{i}" for i in range(2, len(taken) + 3))]
    return next(n for n in names if n not in taken)


def _nearest(name: str, columns: list[str]) -> str:
    near = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
    if not near:
        lower = {c.lower(): c for c in columns}
        near = [lower[m] for m in difflib.get_close_matches(name.lower(), lower, n=1)]
    return f"; did you mean '{near[0]}'?" if near else ""


def _listed(columns: list[str], most: int = 12) -> str:
    more = f", ... ({len(columns)} in all)" if len(columns) > most else ""
    return ", ".join(columns[:most]) + more


def _not_a_label(text: str, columns: list[str], where: Path, reason: str, example: str) -> str:
    """A word is a misspelt column; anything else was meant as a condition: say what broke."""
    condition = "" if re.fullmatch(r"[\w .-]*", text) else f", nor a condition ({reason})"
    return (
        f"--label {text!r} is not a column of {where}{condition}{_nearest(text, columns)} "
        f"(columns: {_listed(columns)}). To predict a yes/no condition, write it over columns, "
        f'e.g. --label "{example} > 15": it is drafted as label.derive, a binary label'
    )
