"""ImagesStop: where a run on images ends for now, after validation and before Transform.

Why a node and not an error while the pipeline is built: a run on images should still ingest
and validate them (statistics with the image domain, a schema, the anomaly gate) and record all
of it in ML Metadata; only what follows needs image support that is not there yet (decoding and
resizing in the Transform graph, a CNN). This node takes the validated schema, the input of
Transform and Trainer, and fails with one ``ConfigError`` paragraph saying so; it is added only
when a later stage reads the schema (``pipeline/stages/validate.py``), so a pipeline that ends
at validation runs to completion without it.
"""

from __future__ import annotations

from typing import Any

from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.types import standard_artifacts

from tfxkit.components.specs import SettingsSpec, SpecComponent, as_json, channels
from tfxkit.components.verdicts import load_settings
from tfxkit.errors import ConfigError

SCHEMA_KEY = "schema"
GATED_SCHEMA_KEY = "gated_schema"
IMAGES_STOP_ID = "images_stop"  # its node id in a pipeline
MESSAGE = (
    "data.format: images is supported up to validation so far: the images were ingested and "
    "passed validation (statistics with the image domain, the schema and the anomaly gate, "
    "all recorded in ML Metadata), but Transform and training do not read images yet (next: "
    "decoding and resizing in the Transform graph, a CNN); nothing was transformed, trained "
    "or pushed. To end image runs at validation without this error, run a pipeline file that "
    "stops there: def create_pipeline(config): p = PipelineBuilder(config); "
    "p.validate(p.ingest()); return p (docs/images.md)"
)


class Executor(base_executor.BaseExecutor):
    """Raises the ``ConfigError`` its settings hold (``message``); writes nothing."""

    def Do(
        self,
        input_dict: dict[str, list[Any]],
        output_dict: dict[str, list[Any]],
        exec_properties: dict[str, Any],
    ) -> None:
        raise ConfigError(load_settings(exec_properties)["message"])


class ImagesStopSpec(SettingsSpec):
    """The validated schema in; a schema out that is never written (settings: message)."""

    INPUTS = channels({SCHEMA_KEY: standard_artifacts.Schema})
    OUTPUTS = channels({GATED_SCHEMA_KEY: standard_artifacts.Schema})


class ImagesStop(SpecComponent, spec=ImagesStopSpec, executor=Executor):
    """Fails with ``message`` once the schema it takes has passed validation."""

    def __init__(self, schema: types.BaseChannel, message: str) -> None:
        super().__init__(locals(), settings=as_json({"message": message}))
