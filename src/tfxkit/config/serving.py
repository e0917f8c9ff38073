"""Config for the hand-off to serving: where pushed models go, their name and label, and the
batching TF Serving applies to them.

Split from ``config.pipeline_config``; like it, this module never imports
TFX, runners or TensorFlow. The model-name rule is ``config.types.ModelName``, the one that
``tfxkit.serving`` applies to names given outside a config.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from tfxkit.config.base import Strict
from tfxkit.config.types import ModelName, NonNegativeInt, PositiveInt


class BatchingSettings(Strict):
    """TF Serving's server-side batching (``batching_parameters.txt``); applies to every model
    of the base. Larger batches raise throughput and add up to ``batch_timeout_micros`` of
    latency to a lone request."""

    max_batch_size: PositiveInt = Field(default=32, description="Largest batch run at once.")
    batch_timeout_micros: NonNegativeInt = Field(
        default=2000, description="Longest a request waits for a batch to fill."
    )
    num_batch_threads: PositiveInt = Field(default=4, description="Batches run in parallel.")
    max_enqueued_batches: PositiveInt = Field(
        default=100, description="Queued batches before requests are refused."
    )
    allowed_batch_sizes: list[PositiveInt] = Field(
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


def _switch_shorthand(schema: dict[str, Any]) -> None:
    """JSON Schema of ``push.infra_check``: the settings, or true / false alone."""
    schema["anyOf"] = [{"type": "boolean"}, {"$ref": schema.pop("$ref")}]


class InfraCheckSettings(Strict):
    """The check before a push that the model serves (``components/infra_check``): a fresh
    process loads it the way ``tfxkit serve`` does and answers TF Serving requests built from
    evaluation examples; the answers must match the Evaluator's model's. ``infra_check: false``
    is shorthand for ``{enabled: false}``."""

    enabled: bool = Field(
        default=True,
        description="Check before every push; false pushes without it and without the warm-up "
        "file (only checked requests are written there: TF Serving refuses a version whose "
        "warm-up fails).",
    )
    examples: PositiveInt = Field(
        default=32, description="Evaluation examples per request (the first ones of the split)."
    )
    timeout_s: PositiveInt = Field(
        default=120,
        description="Seconds the fresh process may take to load the model and answer; longer "
        "is refused.",
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        return {"enabled": data} if isinstance(data, bool) else data


class PushConfig(Strict):
    """Where a blessed model goes for serving, under which name and label."""

    destination: str | None = Field(
        default=None,
        description="Serving base directory shared by models (<base>/<model_name>/<version>/); "
        "default workspace/serving.",
    )
    model_name: ModelName | None = Field(
        default=None, description="Name under the base and in /v1/models/<name>; default: name."
    )
    label: Literal["auto", "stable", "canary", "none"] = Field(
        default="auto",
        description="Label a new version gets: auto = stable for the first, canary after.",
    )
    batching: BatchingSettings = Field(
        default_factory=BatchingSettings, description="TF Serving's server-side batching."
    )
    infra_check: InfraCheckSettings = Field(
        default_factory=InfraCheckSettings,
        description="Prove the model serves before it is pushed (true / false is shorthand).",
        json_schema_extra=_switch_shorthand,
    )
