"""ModelPusher component: spec (inputs, outputs, parameters) and the component class.

Why not TFX's Pusher: it copies the model in place into ``<base>/<unix seconds>`` with no
rename, so a kill mid-copy leaves a half-written version that TF Serving would try to load, two
pushes in one second collide, and a re-evaluated but byte-identical model is pushed again under
a new version. This component writes under a temporary name and renames into place, numbers
versions 1, 2, 3, ... and skips a model whose content is already pushed (see ``executor``). Like
TFX's Pusher it takes an ``infra_blessing``; its checked requests become the version's warm-up
file (``assets.extra/tf_serving_warmup_requests``).

Modelled on TFX's ``tfx/components/pusher/component.py``.
"""

from __future__ import annotations

from tfx import types
from tfx.types import standard_artifacts

from tfxkit.components.model_pusher import executor
from tfxkit.components.specs import SpecComponent, channels, parameters

MODEL_KEY = "model"
BLESSING_KEY = "model_blessing"
INFRA_BLESSING_KEY = "infra_blessing"
PUSHED_MODEL_KEY = "pushed_model"
BASE_DIRECTORY_KEY = "base_directory"
SERVING_BASE_KEY = "serving_base"
MODEL_NAME_KEY = "model_name"
LABEL_KEY = "label"
BATCHING_KEY = "batching"


class ModelPusherSpec(types.ComponentSpec):
    """Pushes ``model`` under ``base_directory``; ``model_blessing``, when given, must bless it."""

    PARAMETERS = parameters(
        {BASE_DIRECTORY_KEY: str},
        # With a serving base: label the new version and write models.config & co. there.
        optional={
            SERVING_BASE_KEY: str,
            MODEL_NAME_KEY: str,
            LABEL_KEY: str,
            BATCHING_KEY: str,  # BatchingSettings JSON
        },
    )
    INPUTS = channels(
        {MODEL_KEY: standard_artifacts.Model},
        optional={
            BLESSING_KEY: standard_artifacts.ModelBlessing,
            # The infra check's: it must bless too, and its warm-up requests go with the model.
            INFRA_BLESSING_KEY: standard_artifacts.InfraBlessing,
        },
    )
    OUTPUTS = channels({PUSHED_MODEL_KEY: standard_artifacts.PushedModel})


class ModelPusher(SpecComponent, spec=ModelPusherSpec, executor=executor.Executor):
    """Atomic, once-only push of a SavedModel to a TF Serving model base directory."""

    def __init__(
        self,
        model: types.BaseChannel,
        base_directory: str,
        model_blessing: types.BaseChannel | None = None,
        serving_base: str | None = None,
        model_name: str | None = None,
        label: str = "auto",
        batching: str | None = None,
        infra_blessing: types.BaseChannel | None = None,
    ) -> None:
        """With ``serving_base`` and ``model_name`` (``base_directory`` is their join) the push
        also labels the version and writes the server's config files; with ``infra_blessing``
        (``components.infra_check``) the version gets TF Serving's warm-up file."""
        super().__init__(locals(), label=label if serving_base else None)
