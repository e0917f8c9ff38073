"""Batch scoring: files scored by a pushed version on Beam, every row accounted for.

``tfxkit predict`` (``cli.predict``) and the pipeline's batch scoring stage
(``components.batch_scorer``) both call ``pipeline.score``; docs/batch.md is the guide.
"""
