"""Transform: TF Transform with tfxkit's config-driven ``preprocessing_fn``.

The function is referenced by module path so it is importable wherever tfxkit is installed;
the code fingerprint in ``custom_config`` makes the cache see edits to that code.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfx import v1 as tfx

from tfxkit.pipeline.stages import node_ids
from tfxkit.pipeline.stages._base import StageContext, code_custom_config
from tfxkit.pipeline.stages.ingest import Ingested
from tfxkit.pipeline.stages.validate import Validated

PREPROCESSING_FN = "tfxkit.transform.preprocessing.preprocessing_fn"


@dataclass(frozen=True)
class Transformed:
    graph: tfx.dsl.Channel
    examples: tfx.dsl.Channel


def transform(p: StageContext, data: Ingested, validated: Validated) -> Transformed:
    preprocessing_fn = p.config.transform.preprocessing_fn or PREPROCESSING_FN
    custom_config = code_custom_config(p.config, preprocessing_fn)
    node = p.add(
        tfx.components.Transform(
            examples=data.examples,
            schema=validated.schema,
            preprocessing_fn=preprocessing_fn,
            custom_config=custom_config,
            disable_statistics=not p.config.transform.statistics,
        ),
        node_ids.TRANSFORM,
    )
    return Transformed(
        graph=node.outputs["transform_graph"], examples=node.outputs["transformed_examples"]
    )
