"""Running a pipeline: where it executes and what a run reports.

``local`` runs the TFX IR here (LocalDagRunner's node loop on Beam's DirectRunner), with
``beam_settings`` choosing the Beam mode; ``remote`` compiles and submits to Kubeflow Pipelines
or Vertex AI through ``backends`` (one adapter per orchestrator); ``spec_launcher`` runs a
compiled KFP PipelineSpec here, task by task. ``rerun`` skips a run nothing changed for;
``summary`` and ``report`` are what a run returns and prints.
"""
