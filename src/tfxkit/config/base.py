"""The base every config section derives from, and the helpers its cross-field checks share.

Why a module of its own: every section module (data, training, serving, profiles) needs the
same strictness, and the few rules that relate several fields ("set at least one of ...",
"listed twice") read the same everywhere when they are written once.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, not silently ignored.

    Values are checked by their types (``tfxkit.config.types``: strict numbers, patterns,
    ranges); model validators hold only the rules that relate several fields.
    """

    # validate_default: defaults pass through validation too, so an enum default becomes its
    # value ('in_memory'), exactly like a value written in the YAML (a minimal config once
    # reached Beam as '--direct_running_mode=BeamMode.IN_MEMORY').
    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, use_enum_values=True, validate_default=True
    )


def repeated(names: list[str]) -> list[str]:
    """The names that occur more than once, sorted (empty when all are distinct)."""
    return sorted({name for name in names if names.count(name) > 1})


def require_one_of(model: BaseModel, *names: str) -> None:
    """Raise unless at least one of the optional fields ``names`` is set on ``model``."""
    if all(getattr(model, name) is None for name in names):
        choices = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]
        raise ValueError(f"set at least one of {choices}")
