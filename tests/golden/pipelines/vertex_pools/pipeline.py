"""The standard pipeline; its profile (profile.yaml) runs the Trainer as a Vertex custom job
with a chief and two GPU workers (multi-worker mirrored)."""

from tfxkit import PipelineBuilder, PipelineConfig, standard_pipeline


def create_pipeline(config: PipelineConfig) -> PipelineBuilder:
    return standard_pipeline(config)
