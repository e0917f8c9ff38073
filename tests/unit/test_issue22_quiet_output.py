"""Issue 22 #10: TF's 'Sanitizing to ...' lines and TFMA's RuntimeWarnings leaked into the
one-line-per-component output. ``quiet_frameworks`` drops them; ``--verbose`` keeps them.

Each mode runs in a fresh interpreter (it sets process-wide warning filters, log levels and
environment variables), which then does what a run does: saves a serving signature whose input
is a column name that is not a Python identifier, and lets TFMA turn an empty slice's confusion
matrix into metrics (0/0 in numpy). The verbose run shows the same code does print both, so the
quiet run's silence is the filter's doing.
"""

from __future__ import annotations

import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import sys
from tfxkit.runners.quiet import quiet_frameworks

quiet_frameworks(verbose=sys.argv[1] == "verbose")
import tensorflow as tf
from tensorflow_model_analysis.metrics.binary_confusion_matrices import Matrices

module = tf.Module()
spec = tf.TensorSpec([None], tf.float32, name=sys.argv[2])
module.serve = tf.function(lambda value: value * 2.0, input_signature=[spec])
tf.saved_model.save(
    module, sys.argv[3], signatures={"serving_default": module.serve.get_concrete_function()}
)
Matrices(thresholds=[0.5], tp=[0.0], tn=[0.0], fp=[0.0], fn=[0.0]).to_proto()
print("finished")
"""


def _column_name(seed: int) -> str:
    """A column name that TF takes as a tensor name but Python not as a parameter name (a
    leading digit, a dash or a dot), as tfxkit's serving signatures name their inputs."""
    rng = random.Random(seed)
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 8)))
    return rng.choice(["{}{}", "{}-{}", "{}.{}"]).format(rng.randint(1, 99), word)


def _run(mode: str, column: str, tmp_path: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, column, str(tmp_path / mode)],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0 and "finished" in result.stdout, result.stderr[-3000:]
    return result.stderr


@pytest.mark.parametrize("seed", [22, 7])
def test_sanitizing_lines_and_tfma_runtime_warnings_stay_out_unless_verbose(
    seed: int, tmp_path: Path
) -> None:
    column = _column_name(seed)
    verbose = _run("verbose", column, tmp_path)
    assert f"`{column}` is not a valid tf.function parameter name. Sanitizing" in verbose
    assert "RuntimeWarning" in verbose and "tensorflow_model_analysis" in verbose
    quiet = _run("quiet", column, tmp_path)
    assert "Sanitizing" not in quiet, quiet[-2000:]
    assert "RuntimeWarning" not in quiet, quiet[-2000:]
