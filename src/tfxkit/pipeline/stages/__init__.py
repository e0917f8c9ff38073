"""Pipeline stages: one module per stage, each adding its TFX nodes and returning typed channels.

A stage never names a runner: what differs between runners (the baseline resolver, how the push
is gated) comes from the ``Target`` the builder was made for (``tfxkit.pipeline.stages.targets``).
Node ids are constants in ``tfxkit.pipeline.stages.node_ids``, shared by stages, tests and profiles.
"""
