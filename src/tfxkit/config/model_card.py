"""Config of the model card: what only people can say about a model (its intended use, its
limitations, who owns it); everything else on the card is read from ML Metadata.

Why a section: a reviewer needs the intended use beside the numbers, and the numbers change
every run while the intended use does not. Like the rest of config it never imports TFX.
"""

from __future__ import annotations

from pydantic import Field

from tfxkit.config.base import Strict
from tfxkit.config.types import NonEmptyStr


class ModelCardConfig(Strict):
    """Text for the model card written beside every pushed version (docs/responsible-ai.md)."""

    intended_use: NonEmptyStr | None = Field(
        default=None,
        description="Who should use the model for what (and, by omission, for nothing else).",
    )
    limitations: list[NonEmptyStr] = Field(
        default_factory=list,
        description="Known limits: populations, ranges or uses the model was not judged on.",
    )
    owners: list[NonEmptyStr] = Field(
        default_factory=list, description="People or teams to ask about the model."
    )
