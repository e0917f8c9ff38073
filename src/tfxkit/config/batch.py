"""Config for batch scoring: which files a pipeline scores with the model it just pushed (or the
scoring pipeline with a pushed version), and how the scores are written.

Split from ``config.pipeline_config``; like it, this module never imports TFX, runners or
TensorFlow. ``tfxkit predict`` takes the same settings as options (its options win).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt, StringConstraints, model_validator

from tfxkit.config.base import Strict, repeated

OutputFormat = Literal["csv", "parquet", "jsonl"]
# A pushed version by number, or a serving label (tfxkit.serving.layout.LABELS).
VersionSpec = StrictInt | Annotated[str, StringConstraints(pattern=r"^(stable|canary|latest)$")]


class BatchConfig(Strict):
    """Score a batch of files after a push (and in ``pipelines/batch_scoring.py``)."""

    data: str = Field(
        description="A CSV or Parquet file, or a directory of them (every non-hidden file), "
        "read with data.csv's dialect; the model's input columns must be there."
    )
    output: str | None = Field(
        default=None,
        description="Directory the scores are also published to (replaced atomically on each "
        "run); the scoring component's own output artifact always holds them.",
    )
    format: OutputFormat = Field(default="csv", description="csv, parquet or jsonl.")
    pass_through: list[str] = Field(
        default_factory=list,
        description="Input columns copied to each output row before the scores (an id).",
    )
    version: VersionSpec = Field(
        default="stable",
        description="The pushed version the scoring pipeline uses: a number, stable, canary or "
        "latest. After a push in the training pipeline the just-pushed version is used.",
    )
    batch_rows: StrictInt = Field(
        default=1024, ge=1, le=1_000_000, description="Rows per call of the model."
    )

    @model_validator(mode="after")
    def _distinct(self) -> BatchConfig:
        if twice := repeated(self.pass_through):
            raise ValueError(f"pass_through lists columns twice: {twice}")
        return self
