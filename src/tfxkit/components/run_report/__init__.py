"""The run report as Kubeflow/Vertex output artifacts, and the report's HTML building blocks.

``sections``, ``svg`` and ``splits`` render the report from plain data; ``tfxkit.report``
(locally, from ML Metadata) and this package's component (in a Kubeflow/Vertex task, from its
input artifacts) both use them.
"""
