"""Schedules, written once for every backend: key, fingerprint, cron rules and apply.

Neither Kubeflow Pipelines nor Vertex AI has a declarative "apply" for schedules, so tfxkit
builds one the same way on both:

* Key. A schedule is named by its display name ``<pipeline>:<schedule>`` (:func:`schedule_key`).
* Fingerprint. What defines a schedule (cron, caching, the backend's own settings and the exact
  package bytes) is hashed into 63 hex characters (:func:`schedule_fingerprint`; short enough
  for a Google Cloud label value) and stored on the schedule by the adapter.
* Cron. One strict validator (:func:`validate_cron`) for the standard 5 fields, optionally
  after ``TZ=Area/City``; adapters convert to their API's form (KFP adds a seconds field).
* Apply (:func:`apply_schedule`), given every schedule the backend holds under the key:

  - exactly one, with the new fingerprint: nothing changes, ``unchanged``;
  - one with the new fingerprint plus leftovers (an interrupted replace, or a copy): the first
    match as listed is kept, every other one deleted, ``deduplicated``;
  - no match: the new schedule is created first (paused when any old one was paused), then
    every old one deleted, ``created`` when none existed, else ``replaced``.

  So a failure part-way never loses the schedule, and after a successful apply exactly one
  schedule holds the key. A failed delete says which schedule is in place; applying the same
  schedule again finishes the cleanup (it then reports ``deduplicated``).
"""

from __future__ import annotations

import hashlib
import json
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tfxkit.errors import RemoteError
from tfxkit.runners.backends.base import ScheduleAction, ScheduleInfo, ScheduleResult, ScheduleState

FINGERPRINT_LABEL = "tfxkit-fingerprint"
_SCHEDULE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class ScheduleInputError(ValueError):
    """A schedule name or cron is invalid; adapters add where and what to the message."""


def schedule_key(pipeline_name: str, schedule_name: str) -> str:
    """``<pipeline>:<schedule>``, checked so that it splits back into the same two names."""
    if (
        not pipeline_name
        or any(c in pipeline_name for c in ':"')
        or pipeline_name != pipeline_name.strip()
    ):
        raise ScheduleInputError(
            f"pipeline name {pipeline_name!r} must be non-empty and contain no ':' or '\"'."
        )
    if not _SCHEDULE_NAME.match(schedule_name or ""):
        raise ScheduleInputError(
            f"schedule name {schedule_name!r} must be 1-63 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit."
        )
    return f"{pipeline_name}:{schedule_name}"


def missing_schedule(key: str) -> str:
    """The detail of the error for a pause, resume or delete of a key nothing holds."""
    return f"no schedule '{key}' exists there; `tfxkit schedule list` shows the ones that do."


# ------------------------------------------------------------------------------ cron

_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    (
        "month",
        1,
        12,
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    ),
    ("day of week", 0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)
_CRON_ITEM = re.compile(r"^(?:(?P<star>\*)|(?P<lo>\w+)(?:-(?P<hi>\w+))?)(?:/(?P<step>\d+))?$")
_CRON_TZ = re.compile(r"^(?P<prefix>(?:CRON_)?TZ)=(?P<zone>\S+)\s+(?P<rest>.*)$")


def validate_cron(cron: str) -> str:
    """Check a standard 5-field cron (optionally ``TZ=Zone`` first); returns it normalized.

    The fields are minute hour day-of-month month day-of-week, each ``*``, a value, a range
    ``a-b``, any of those with ``/step``, or a comma-separated list of them; months and
    weekdays may be named (JAN, MON). Six-field (seconds), ``?``/``#`` and ``@daily`` forms are
    rejected before anything is sent: Vertex refuses them, and one spelling for every backend
    keeps a schedule portable.
    """
    text = " ".join(str(cron).split())
    prefix = ""
    tz_match = _CRON_TZ.match(text)
    if tz_match:
        zone = tz_match["zone"]
        if not _known_time_zone(zone):
            raise _cron_error(cron, f"unknown time zone '{zone}'")
        prefix = f"{tz_match['prefix']}={zone} "
        text = tz_match["rest"]
    parts = text.split(" ") if text else []
    if len(parts) != len(_CRON_FIELDS):
        seconds = " (no seconds field: tfxkit adds it where a backend wants one)"
        raise _cron_error(
            cron,
            "expected 5 fields (minute hour day-of-month month day-of-week), "
            f"got {len(parts)}" + (seconds if len(parts) == 6 else ""),
        )
    for part, (label, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        problem = _cron_field_problem(part, low, high, names)
        if problem:
            raise _cron_error(cron, f"{label} field '{part}': {problem}")
    return prefix + " ".join(parts)


def split_time_zone(cron: str) -> tuple[str | None, str]:
    """``("Europe/Paris", "0 3 * * *")`` for a validated ``TZ=Europe/Paris 0 3 * * *``."""
    match = _CRON_TZ.match(cron)
    return (match["zone"], match["rest"]) if match else (None, cron)


def _cron_field_problem(part: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    for item in part.split(","):
        match = _CRON_ITEM.match(item)
        if not match:
            return f"'{item}' is not *, a value, a range or a step"
        if match["step"] is not None and int(match["step"]) < 1:
            return "a step must be at least 1"
        if match["star"]:
            continue
        values = []
        for token in (match["lo"], match["hi"]):
            if token is None:
                continue
            if token.isdigit():
                value = int(token)
            elif token.upper() in names:
                value = names.index(token.upper()) + low
            else:
                return f"'{token}' is not a number" + (" or a name" if names else "")
            if not low <= value <= high:
                return f"{value} is outside {low}-{high}"
            values.append(value)
        if len(values) == 2 and values[0] > values[1]:
            return f"range '{item}' runs backwards"
    return None


def _known_time_zone(zone: str) -> bool:
    available = zoneinfo.available_timezones()
    if available:
        return zone in available
    # No tz database on this machine: accept anything shaped like an IANA name.
    return re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*", zone) is not None


def _cron_error(cron: str, problem: str) -> ScheduleInputError:
    return ScheduleInputError(
        f"invalid cron {cron!r}: {problem}. Use a standard 5-field cron such as '0 3 * * *' "
        "(03:00 daily), optionally prefixed with a time zone: 'TZ=Europe/Paris 0 3 * * *'."
    )


# ----------------------------------------------------------------------- fingerprint


def schedule_fingerprint(
    cron: str,
    package_bytes: bytes,
    *,
    enable_caching: bool,
    settings: Mapping[str, Any] | None = None,
) -> str:
    """sha256 of what defines a schedule, as 63 lowercase hex characters (a label value).

    ``settings`` holds the backend's own parts (experiment, service account, ...); they must
    be JSON-serializable. Key order and the spacing of ``cron`` do not matter.
    """
    defined = {
        **dict(settings or {}),
        "cron": " ".join(cron.split()),
        "enable_caching": bool(enable_caching),
    }
    digest = hashlib.sha256(json.dumps(defined, sort_keys=True).encode())
    digest.update(b"\0")
    digest.update(package_bytes)
    return digest.hexdigest()[:63]


# ----------------------------------------------------------------------------- apply


def apply_schedule(
    existing: Sequence[ScheduleInfo],
    fingerprint: str,
    *,
    key: str,
    create: Callable[[bool], str],
    delete: Callable[[ScheduleInfo], None],
) -> ScheduleResult:
    """Apply a schedule with ``fingerprint`` over ``existing`` (everything under ``key``).

    ``create(paused)`` makes the new schedule and returns its id; ``delete(info)`` removes one
    old schedule. The module docstring says which action happens when.
    """
    matches = [s for s in existing if s.fingerprint == fingerprint]
    if matches:
        kept = matches[0]
        stale = [s for s in existing if s is not kept]
        _delete_all(stale, delete, key, kept.schedule_id)
        action = ScheduleAction.DEDUPLICATED if stale else ScheduleAction.UNCHANGED
        return ScheduleResult(action=action, schedule_id=kept.schedule_id)
    paused = any(s.state is ScheduleState.PAUSED for s in existing)
    created = create(paused)
    _delete_all(existing, delete, key, created)
    action = ScheduleAction.REPLACED if existing else ScheduleAction.CREATED
    return ScheduleResult(action=action, schedule_id=created)


def _delete_all(
    stale: Iterable[ScheduleInfo], delete: Callable[[ScheduleInfo], None], key: str, kept: str
) -> None:
    for info in stale:
        try:
            delete(info)
        except RemoteError as exc:
            raise type(exc)(
                f"{exc} Schedule {kept} is in place for '{key}'; apply the same schedule again "
                "to remove the old ones."
            ) from exc


def managed(infos: Iterable[ScheduleInfo], pipeline_name: str | None) -> list[ScheduleInfo]:
    """The schedules tfxkit created (they carry a fingerprint), by key then id."""
    chosen = [
        i
        for i in infos
        if i.fingerprint and (pipeline_name is None or i.pipeline_name == pipeline_name)
    ]
    return sorted(chosen, key=lambda i: (i.pipeline_name, i.schedule_name, i.schedule_id))
