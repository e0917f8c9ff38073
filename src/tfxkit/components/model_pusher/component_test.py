"""ModelPusher component: its spec, and its executor as the compiled pipeline references it."""

from __future__ import annotations

from tfx.types import standard_artifacts

from tfxkit.components.model_pusher import component, executor
from tfxkit.fingerprint import code_fingerprint


def test_spec_inputs_outputs_and_parameters() -> None:
    model = standard_artifacts.Model
    from tfx import v1 as tfx

    pusher = component.ModelPusher(
        model=tfx.dsl.Channel(type=model), base_directory="/srv/models/penguin"
    )
    assert pusher.exec_properties["base_directory"] == "/srv/models/penguin"
    assert pusher.exec_properties["code_fingerprint"] == code_fingerprint(executor.__name__)
    assert pusher.outputs["pushed_model"].type == standard_artifacts.PushedModel
    assert set(pusher.inputs) == {"model"}  # the blessing is optional


def test_executor_is_importable_by_path_from_the_package() -> None:
    spec = component.ModelPusher.EXECUTOR_SPEC
    assert spec.executor_class.__module__ == "tfxkit.components.model_pusher.executor"
