"""Batch scoring on its own: score a batch with a pushed version, on a schedule.

Schema of record (``schema.path``, frozen) -> BatchScorer (``batch.version`` of the served
model: stable, canary, latest or a number) -> scores (``batch.output``, and the run's
InferenceResult artifact). Named ``<name>-scoring``, so its runs and schedules stand apart from
the training pipeline's. On Kubeflow and Vertex schedule it with ``--no-cache``: there the
scorer cannot fingerprint a batch that arrives after compiling, so a cached run would keep the
last scores for a new file at the same path (locally the batch's content is in the cache key).
It needs a ``batch`` section and ``schema.path``; the serving base (``push.destination``) and
``batch.data`` must be readable where it runs (gs:// for Kubeflow and Vertex).

Compile or schedule it like the training pipeline:
  tfxkit compile pipelines/batch_scoring.py -c CONFIG --format kfp -p configs/scoring-kubeflow.yaml
  tfxkit schedule apply pipelines/batch_scoring.py -c CONFIG -p configs/scoring-vertex.yaml \
      --cron '0 4 * * *' --no-cache
"""

from tfxkit import PipelineBuilder, PipelineConfig
from tfxkit.pipeline.stages.score import score_version, scoring_config


def create_pipeline(config: PipelineConfig) -> PipelineBuilder:
    p = PipelineBuilder(scoring_config(config))
    score_version(p)
    return p
