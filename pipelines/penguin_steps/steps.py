"""Two steps of the kinds TFX documents, used by ``pipelines/custom_steps.py``.

``CountRows`` is a container step: a command line with placeholders for its artifacts (TFX's
``InputUriPlaceholder`` kind: TFX 1.16 compiles only those for Kubeflow and Vertex). Its image
is ``tfxkit.PIPELINE_IMAGE``, the pipeline's own environment: locally a subprocess of this
Python (no Docker), on Kubeflow/Vertex the runner profile's image.

``SizeGate`` is a function step used as a gate: it judges the trained model and decides its
``ModelBlessing`` with ``tfxkit.bless``; ``p.push(trained, evaluated, gate)`` pushes only when
every gate blessed, and the run summary prints its reason.

No ``from __future__ import annotations`` here: TFX reads a function step's annotations as
types, and that import turns them into strings it refuses.
"""

import json
from pathlib import Path

from tfx import v1 as tfx
from tfx.dsl.component.experimental.placeholders import InputUriPlaceholder, OutputUriPlaceholder
from tfx.types.artifact import Artifact

import tfxkit

Examples = tfx.types.standard_artifacts.Examples
Model = tfx.types.standard_artifacts.Model
ModelBlessing = tfx.types.standard_artifacts.ModelBlessing
InputArtifact = tfx.dsl.components.InputArtifact
OutputArtifact = tfx.dsl.components.OutputArtifact
Parameter = tfx.dsl.components.Parameter


class RowCounts(Artifact):
    """Rows per split (``counts.json``): what CountRows writes and SizeGate reads."""

    TYPE_NAME = "penguin_steps.RowCounts"  # namespace.Name: what Kubeflow and Vertex accept


CountRows = tfx.dsl.experimental.create_container_component(
    name="CountRows",
    image=tfxkit.PIPELINE_IMAGE,
    inputs={"examples": Examples},
    outputs={"counts": RowCounts},
    command=[
        "python", "-m", "penguin_steps.count_rows",
        "--examples", InputUriPlaceholder("examples"),
        "--out", OutputUriPlaceholder("counts"),
    ],
)  # fmt: skip


@tfx.dsl.components.component
def SizeGate(
    model: InputArtifact[Model],
    counts: InputArtifact[RowCounts],
    blessing: OutputArtifact[ModelBlessing],
    max_model_mb: Parameter[float] = 50.0,
    min_train_rows: Parameter[int] = 100,
) -> None:
    """Bless a model small enough to serve, trained on enough rows."""
    size_mb = sum(f.stat().st_size for f in Path(model.uri).rglob("*") if f.is_file()) / 1e6
    rows = json.loads((Path(counts.uri) / "counts.json").read_text()).get("train", 0)
    passed = size_mb <= max_model_mb and rows >= min_train_rows
    reason = (
        f"model {size_mb:.2f} MB (at most {max_model_mb:g}), "
        f"{rows} training rows (at least {min_train_rows})"
    )
    tfxkit.bless(blessing, passed, reason, model=model)
