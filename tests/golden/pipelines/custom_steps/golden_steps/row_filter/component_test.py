"""RowFilter's declaration: its inputs, parameters and outputs (pytest)."""

from tfx.types import channel_utils, standard_artifacts

from .component import RowFilter


def test_the_component_declares_its_channels() -> None:
    examples = channel_utils.as_channel([standard_artifacts.Examples()])
    component = RowFilter(examples=examples, keep_splits="train")
    assert component.outputs["output_examples"].type is standard_artifacts.Examples
    assert component.exec_properties["keep_splits"] == "train"
