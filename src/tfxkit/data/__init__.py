"""A user's data before the pipeline touches it: CSV dialects, the pre-run checks, the data
inventory a run computes once, ``tfxkit init``'s config drafts and ``tfxkit schema``'s tools.

``penguins/`` holds the shipped demo CSV (package data).
"""
