"""Config for the hand-off to serving: where pushed models go, their name and label, and the
batching TF Serving applies to them.

Split from ``config.pipeline_config``; like it, this module never imports
TFX, runners or TensorFlow.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from tfxkit.config.sections import Strict

_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class BatchingSettings(Strict):
    """TF Serving's server-side batching (``batching_parameters.txt``); applies to every model
    of the base. Larger batches raise throughput and add up to ``batch_timeout_micros`` of
    latency to a lone request."""

    max_batch_size: int = Field(default=32, ge=1)
    batch_timeout_micros: int = Field(default=2000, ge=0)
    num_batch_threads: int = Field(default=4, ge=1)
    max_enqueued_batches: int = Field(default=100, ge=1)
    allowed_batch_sizes: list[int] = Field(
        default_factory=list,
        description="Increasing; the last must equal max_batch_size (pads batches to these).",
    )

    @model_validator(mode="after")
    def _sizes(self) -> BatchingSettings:
        sizes = self.allowed_batch_sizes
        if sizes and (sizes != sorted(set(sizes)) or sizes[-1] != self.max_batch_size):
            raise ValueError(
                f"allowed_batch_sizes {sizes} must increase and end with max_batch_size "
                f"({self.max_batch_size}); TF Serving refuses to start otherwise"
            )
        return self


class PushConfig(Strict):
    destination: str | None = Field(
        default=None,
        description="Serving base directory shared by models (<base>/<model_name>/<version>/); "
        "default workspace/serving.",
    )
    model_name: str | None = Field(
        default=None, description="Name under the base and in /v1/models/<name>; default: name."
    )
    label: Literal["auto", "stable", "canary", "none"] = Field(
        default="auto",
        description="Label a new version gets: auto = stable for the first, canary after.",
    )
    batching: BatchingSettings = Field(default_factory=BatchingSettings)

    @field_validator("model_name")
    @classmethod
    def _model_name(cls, name: str | None) -> str | None:
        if name is not None and not _MODEL_NAME.match(name):
            raise ValueError(
                f"'{name}' is not a usable model name (letters, digits, '.', '_' and '-', "
                "starting with a letter or digit, at most 63 characters)"
            )
        return name
