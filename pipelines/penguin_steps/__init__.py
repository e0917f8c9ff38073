"""The penguin example's own steps (``pipelines/custom_steps.py``), a package beside the pipeline.

``steps`` declares them (TFX components); ``count_rows`` is the container step's command, plain
Python, so running it imports nothing heavy. The pipeline image has this folder on its path.
"""
