"""Which files ``data.pattern`` selects: the latest span (and version), as TFX's ExampleGen picks.

Why not TFX's own ``example_gen.utils``: it imports TensorFlow (5 s here), and the pre-run data
check and the unchanged-re-run key run before TensorFlow loads. The rules below follow TFX 1.16's
``_create_matching_glob_and_regex`` and ``_get_target_span_version`` exactly (a unit test runs
both on the same trees): ``{SPAN}`` or ``{SPAN:width}``, or the date specs ``{YYYY}``, ``{MM}``,
``{DD}`` (span = days since 1970-01-01), each optionally with one ``{VERSION}`` /
``{VERSION:width}``; the latest span wins, then its latest version, and the files read are
those matching the pattern with the winning tokens substituted. A pattern TFX would refuse is
refused here, with TFX's reason.
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass
from pathlib import Path

SPAN_FULL_REGEX = r"{SPAN}|{SPAN:(?P<width>.*?)}"
VERSION_FULL_REGEX = r"{VERSION}|{VERSION:(?P<width>.*?)}"
DATE_SPECS = ("{YYYY}", "{MM}", "{DD}")
_UNIX_EPOCH = datetime.date(1970, 1, 1)


class PatternError(ValueError):
    """``data.pattern`` is not one TFX's ExampleGen accepts."""


@dataclass(frozen=True)
class Specs:
    span: bool
    date: bool
    version: bool


def specs_in(pattern: str) -> Specs:
    """Which specs a pattern holds; refused as TFX's ``verify_split_pattern_specs`` refuses."""
    span_matches = re.findall(SPAN_FULL_REGEX, pattern)
    version_matches = re.findall(VERSION_FULL_REGEX, pattern)
    span, version = bool(span_matches), bool(version_matches)
    date = any(spec in pattern for spec in DATE_SPECS)
    if span and date:
        raise PatternError(f"either {{SPAN}} or the date specs, not both, in '{pattern}'")
    if span and len(span_matches) != 1:
        raise PatternError(f"only one {{SPAN}} is allowed in '{pattern}'")
    if date and not all(pattern.count(spec) == 1 for spec in DATE_SPECS):
        raise PatternError(f"exactly one each of {{YYYY}}, {{MM}}, {{DD}} is needed in '{pattern}'")
    if version and not (span or date):
        raise PatternError(f"{{VERSION}} needs a {{SPAN}} or date specs in '{pattern}'")
    if version and len(version_matches) != 1:
        raise PatternError(f"only one {{VERSION}} is allowed in '{pattern}'")
    return Specs(span, date, version)


def _glob_to_regex(glob_pattern: str) -> str:
    """TFX's translation, character for character (so both match the same paths)."""
    regex = glob_pattern.replace("\\", "\\\\").replace(".", r"\.").replace("+", r"\+")
    regex = regex.replace("*", r"[^\\/]*").replace("?", r"[^\\/]")
    return regex.replace("(", r"\(").replace(")", r"\)")


def _width(full_regex: str, pattern: str, name: str) -> str:
    match = re.search(full_regex, pattern)
    width = (match.group("width") if match else None) or ""
    if width and not width.isdigit():
        raise PatternError(
            f"the width of {{{name.upper()}:{width}}} is not a number in '{pattern}'"
        )
    return width


def _any(width: str) -> str:
    """TFX's capture: any characters, exactly ``width`` of them when a width is given."""
    return "." + ("{" + width + "}" if width else "*")


def _glob_and_regex(root: str, pattern: str, specs: Specs) -> tuple[str, str]:
    full = os.path.join(root, pattern)
    glob, regex = full, _glob_to_regex(full)
    if specs.span:
        width = _width(SPAN_FULL_REGEX, pattern, "span")
        glob = re.sub(SPAN_FULL_REGEX, "*", glob)
        capture = f"(?P<span>{_any(width)})"
        regex = re.sub(SPAN_FULL_REGEX, lambda _: capture, regex)
    elif specs.date:
        for spec, name, size in zip(DATE_SPECS, ("year", "month", "day"), (4, 2, 2), strict=True):
            glob = glob.replace(spec, "*")
            regex = regex.replace(spec, f"(?P<{name}>.{{{size}}})")
    if specs.version:
        width = _width(VERSION_FULL_REGEX, pattern, "version")
        glob = re.sub(VERSION_FULL_REGEX, "*", glob)
        capture = f"(?P<version>{_any(width)})"
        regex = re.sub(VERSION_FULL_REGEX, lambda _: capture, regex)
    return glob, regex


def _number(text: str, what: str, path: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise PatternError(f"{what} '{text}' in {path} is not a number") from None


def select(root: str | os.PathLike[str], pattern: str) -> list[Path]:
    """The files of ``root`` that TFX's ExampleGen reads for ``pattern`` (sorted); [] if none."""
    specs = specs_in(pattern)
    root = os.fspath(root)
    if not (specs.span or specs.date):
        return sorted(p for p in Path(root).glob(pattern) if p.is_file())
    glob, regex = _glob_and_regex(root, pattern, specs)
    latest: tuple[int, int | None, tuple[str, ...], str | None] | None = None
    for path in Path(root).glob(os.path.relpath(glob, root)):
        match = re.search(regex, str(path))
        if not match:
            continue
        if specs.span:
            tokens = (match.group("span"),)
            span = _number(tokens[0], "span", str(path))
        else:
            tokens = (match.group("year"), match.group("month"), match.group("day"))
            try:
                day = datetime.date(*(int(t) for t in tokens))
            except ValueError:
                raise PatternError(f"{'-'.join(tokens)} in {path} is not a date") from None
            span = (day - _UNIX_EPOCH).days
        version_text = match.group("version") if specs.version else None
        version = _number(version_text, "version", str(path)) if specs.version else None
        if latest is None or span > latest[0]:
            latest = (span, version, tokens, version_text)
        elif span == latest[0] and (latest[1] is None or (version or 0) >= latest[1]):
            latest = (span, version, latest[2], version_text)
    if latest is None:
        return []
    chosen = pattern
    if specs.span:
        chosen = re.sub(SPAN_FULL_REGEX, lambda _: latest[2][0], chosen)
    else:
        for spec, token in zip(DATE_SPECS, latest[2], strict=True):
            chosen = chosen.replace(spec, token)
    if specs.version and latest[3] is not None:
        chosen = re.sub(VERSION_FULL_REGEX, lambda _: latest[3], chosen)
    return sorted(p for p in Path(root).glob(chosen) if p.is_file())
