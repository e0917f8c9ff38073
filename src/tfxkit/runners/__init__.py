"""Runners: where a pipeline executes.

``beam`` runs the TFX IR locally (LocalDagRunner's node loop on Beam's DirectRunner);
``kubeflow`` compiles a KFP PipelineSpec; ``backends`` submits and schedules it on Kubeflow
Pipelines or Vertex AI behind one interface; ``spec_launcher`` runs a compiled KFP PipelineSpec
here, task by task (``tfxkit run-ir``).
"""
