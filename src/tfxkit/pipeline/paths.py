"""Where a user's pipeline code is imported from: the pipeline file's own folder.

Kept apart from ``dsl`` (which imports TFX) because the run session needs it first: the
unchanged-run key fingerprints plug-ins that live beside the pipeline file before TFX loads.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def importable_folder(folder: Path) -> None:
    """A pipeline file may import modules beside it, as a script would (``import helpers``).

    The folder goes on ``sys.path`` for this process and on ``PYTHONPATH`` for the processes it
    starts (Beam's multi-processing workers). Remote runs compile here, so the same imports
    work while compiling; code a remote task runs must still come from an installed package
    (the KFP compiler checks every module path it writes)."""
    text = str(folder)
    if text not in sys.path:
        sys.path.insert(0, text)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if text not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([text, *paths])
