"""ModelPusher component: spec (inputs, outputs, parameters) and the component class.

Why not TFX's Pusher: it copies the model in place into ``<base>/<unix seconds>`` with no
rename, so a kill mid-copy leaves a half-written version that TF Serving would try to load, two
pushes in one second collide, and a re-evaluated but byte-identical model is pushed again under
a new version. This component writes under a temporary name and renames into place, numbers
versions 1, 2, 3, ... and skips a model whose content is already pushed (see ``executor``).

Modelled on TFX's ``tfx/components/pusher/component.py``.
"""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from tfxkit.components.model_pusher import executor
from tfxkit.fingerprint import code_fingerprint

MODEL_KEY = "model"
BLESSING_KEY = "model_blessing"
PUSHED_MODEL_KEY = "pushed_model"
BASE_DIRECTORY_KEY = "base_directory"
CODE_FINGERPRINT_KEY = "code_fingerprint"


class ModelPusherSpec(types.ComponentSpec):
    """Pushes ``model`` under ``base_directory``; ``model_blessing``, when given, must bless it."""

    PARAMETERS = {
        BASE_DIRECTORY_KEY: ExecutionParameter(type=str),
        # Part of the cache key, so an edit to the executor re-runs the push.
        CODE_FINGERPRINT_KEY: ExecutionParameter(type=str),
    }
    INPUTS = {
        MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
        BLESSING_KEY: ChannelParameter(type=standard_artifacts.ModelBlessing, optional=True),
    }
    OUTPUTS = {PUSHED_MODEL_KEY: ChannelParameter(type=standard_artifacts.PushedModel)}


class ModelPusher(base_component.BaseComponent):
    """Atomic, once-only push of a SavedModel to a TF Serving model base directory."""

    SPEC_CLASS = ModelPusherSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        model: types.BaseChannel,
        base_directory: str,
        model_blessing: types.BaseChannel | None = None,
    ) -> None:
        spec = ModelPusherSpec(
            model=model,
            model_blessing=model_blessing,
            base_directory=base_directory,
            code_fingerprint=code_fingerprint(executor.__name__),
            pushed_model=types.Channel(type=standard_artifacts.PushedModel),
        )
        super().__init__(spec=spec)
