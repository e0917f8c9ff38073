"""Framework logs: TF, Google's clients, absl and Beam print a wall of lines on every healthy run;
tfxkit prints its own progress instead. ``verbose`` keeps everything (and tracebacks)."""

from __future__ import annotations

import os
import re


def quiet_frameworks(verbose: bool) -> None:
    """TF, Google's clients and absl log a wall of lines; tfxkit prints its own progress."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if verbose else "3")
    if not verbose:
        import logging
        import warnings

        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module="apache_beam")
        # TFMA's numpy divisions on empty or constant slices; the verdict says what was judged.
        warnings.filterwarnings(
            "ignore", category=RuntimeWarning, module="tensorflow_model_analysis"
        )
        # Beam's multi_processing workers are new Python processes: they read this instead.
        os.environ.setdefault("PYTHONWARNINGS", "ignore::FutureWarning,ignore::DeprecationWarning")

        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.WARNING)
        absl_logging.get_absl_logger().addFilter(_drop_known_noise)
        logging.getLogger("apache_beam").setLevel(logging.WARNING)
        # Relays every multi_processing worker's start-up warnings (python-snappy, __main__...).
        for chatty in (
            "apache_beam.runners.portability.local_job_service",
            "apache_beam.io.tfrecordio",  # python-snappy: crcmod's C CRC is used instead
        ):
            logging.getLogger(chatty).setLevel(logging.ERROR)
        logging.getLogger("tensorflow").setLevel(logging.ERROR)


# Warnings TFX 1.16 prints on every healthy local run; nothing a user can or should act on.
_KNOWN_NOISE = (
    "ArtifactQuery.property_predicate is not supported",
    "does not have payload_format custom property",
    # TF Transform, on every vocabulary and z-score of every traced preprocessing_fn: harmless.
    "Tables initialized inside a tf.function",
    "node's cache key varies on repeated tracing",
    # TF, when a feature's name is not a Python identifier ('unit-price'): tfxkit's own
    # messages name the feature where it matters.
    "Sanitizing",
)
# TFX's "Execution 29 failed.": tfxkit's own error line names the component and why.
_EXECUTION_FAILED = re.compile(r"Execution \d+ failed\.")


def _drop_known_noise(record) -> bool:
    message = record.getMessage()
    if _EXECUTION_FAILED.fullmatch(message):
        return False
    return not any(noise in message for noise in _KNOWN_NOISE)
