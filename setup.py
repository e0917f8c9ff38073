"""Only for Dataflow's ``--setup_file`` (``beam.dataflow.setup_file: /tfxkit/setup.py``).

Beam runs ``python setup.py sdist`` in the container that launches a Beam component and
pip-installs the result on every Dataflow worker, so workers can import tfxkit, its components
and the Transform/Trainer code they run. Everything (name, dependencies, packages) comes from
pyproject.toml; ``pip install .`` does not need this file. Modules of your own that tasks
reference must be in an installed package too (or use ``sdk_container_image`` instead).
"""

import setuptools

setuptools.setup()
