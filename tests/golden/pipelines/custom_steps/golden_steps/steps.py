"""A function step (a gate) and a container step, declared as TFX documents them."""

from tfx import v1 as tfx
from tfx.dsl.component.experimental.placeholders import (
    InputUriPlaceholder,
    InputValuePlaceholder,
    OutputUriPlaceholder,
)
from tfx.types.artifact import Artifact

import tfxkit

Examples = tfx.types.standard_artifacts.Examples
Model = tfx.types.standard_artifacts.Model
ModelBlessing = tfx.types.standard_artifacts.ModelBlessing


class FileCounts(Artifact):
    TYPE_NAME = "golden_steps.FileCounts"


CountFiles = tfx.dsl.experimental.create_container_component(
    name="CountFiles",
    image=tfxkit.PIPELINE_IMAGE,
    inputs={"examples": Examples},
    outputs={"counts": FileCounts},
    parameters={"label": str},
    command=[
        "python", "-m", "golden_steps.tool",
        "--examples", InputUriPlaceholder("examples"),
        "--out", OutputUriPlaceholder("counts"),
        "--label", InputValuePlaceholder("label"),
    ],
)  # fmt: skip


@tfx.dsl.components.component
def FilesGate(
    model: tfx.dsl.components.InputArtifact[Model],
    counts: tfx.dsl.components.InputArtifact[FileCounts],
    blessing: tfx.dsl.components.OutputArtifact[ModelBlessing],
    min_files: tfx.dsl.components.Parameter[int] = 1,
) -> None:
    tfxkit.bless(blessing, True, f"at least {min_files} file(s) per split", model=model)
