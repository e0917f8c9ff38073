"""Config of a local run's machinery: Beam's DirectRunner settings and the ML Metadata store.

Split from ``config.pipeline_config``: these sections say how a run executes, not what the
pipeline computes. Remote runs take Beam settings from a runner profile instead
(``config.beam_profile``); both check extra flags with the same ``BeamFlag`` type.
"""

from __future__ import annotations

import os
from enum import Enum

from pydantic import Field, StrictInt, model_validator

from tfxkit.config.base import Strict
from tfxkit.config.types import BeamFlag, NonNegativeInt


class BeamMode(str, Enum):
    AUTO = "auto"
    IN_MEMORY = "in_memory"
    MULTI_THREADING = "multi_threading"
    MULTI_PROCESSING = "multi_processing"
    PORTABLE = "portable"  # rehearsal: PortableRunner, external workers (runners.portable)


class BeamConfig(Strict):
    """Apache Beam's DirectRunner for the Beam-based components of a local run."""

    mode: BeamMode = Field(
        default=BeamMode.AUTO,
        description="auto picks in_memory, multi_threading or multi_processing from the input "
        "rows, cores and memory (tfxkit.runners.beam_settings) and says why in the run output; "
        "portable runs every Beam component through Beam's PortableRunner on separate worker "
        "processes with their own interpreter, a local rehearsal of Dataflow.",
    )
    workers: NonNegativeInt | None = Field(
        default=None,
        description="direct_num_workers; 0 means one per CPU core; unset: chosen with the mode.",
    )
    extra_args: list[BeamFlag] = Field(
        default_factory=list,
        description="More Beam pipeline options, each '--name=value', passed as written; not "
        "--runner, --direct_running_mode or --direct_num_workers (mode and workers set those).",
    )

    @model_validator(mode="after")
    def _no_owned_flags(self) -> BeamConfig:
        """A flag tfxkit sets itself would be overridden silently, or switch the runner away
        from the local DirectRunner the rest of the run assumes (issue 28)."""
        for flag in self.extra_args:
            name = flag.split("=", 1)[0]
            if name in OWNED_BEAM_FLAGS:
                raise ValueError(f"extra_args: {name} is set by tfxkit ({OWNED_BEAM_FLAGS[name]})")
        return self


OWNED_BEAM_FLAGS = {
    "--runner": "local runs use the DirectRunner; remote runs take a runner profile",
    "--direct_running_mode": "use runner.beam.mode",
    "--direct_num_workers": "use runner.beam.workers",
}


class RunnerConfig(Strict):
    """How a local run executes."""

    beam: BeamConfig = Field(default_factory=BeamConfig, description="Beam DirectRunner settings.")


class SqliteConfig(Strict):
    """An ML Metadata store in one SQLite file (local runs)."""

    path: str = Field(description="The SQLite file; created when missing.")


class MysqlConfig(Strict):
    """An ML Metadata store in MySQL, shared by runs on several machines."""

    host: str = Field(description="MySQL server host name.")
    port: StrictInt = Field(default=3306, gt=0, lt=65536, description="MySQL server port.")
    database: str = Field(description="Database holding the metadata tables.")
    user: str = Field(description="MySQL user name.")
    password_env: str = Field(
        default="TFXKIT_MYSQL_PASSWORD",
        description="Environment variable holding the password (never the password itself).",
    )

    def password(self) -> str:
        return os.environ.get(self.password_env, "")


class MetadataConfig(Strict):
    """Where ML Metadata records runs, artifacts and lineage; default: SQLite in the run dir."""

    sqlite: SqliteConfig | None = Field(
        default=None, description="SQLite store; default workspace/<name>/metadata.sqlite."
    )
    mysql: MysqlConfig | None = Field(default=None, description="MySQL store instead of SQLite.")

    @model_validator(mode="after")
    def _one_store(self) -> MetadataConfig:
        if self.sqlite and self.mysql:
            raise ValueError("choose one metadata store: 'sqlite' or 'mysql', not both")
        return self
