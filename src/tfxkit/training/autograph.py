"""Keep AutoGraph out of Keras 2's own code, as TensorFlow does for ``keras``.

TensorFlow's AutoGraph rules skip the ``keras`` package, but Keras 2 now ships as ``tf_keras``,
which the rules do not name: every ``fit``, ``evaluate`` and SavedModel export then transpiles
tf_keras's training loop and layers from source, function by function. On the penguin model
that took 12 s of a 13 s ``fit`` here, against 0.8 s with the rule below (the same weights to
the last bit: Keras 2's internals were written to run unconverted, as they did while the
package was called ``keras``). User-defined layers are still converted by Keras as before.
``TFXKIT_KERAS_AUTOGRAPH=1`` keeps TensorFlow's rules (an escape hatch, and what
``bench/overhead.py`` gives the hand-written TFX pipeline it compares with).
"""

from __future__ import annotations

import os

from tensorflow.python.autograph.core import config, config_lib


def skip_tf_keras_conversion() -> None:
    """Add ``DoNotConvert("tf_keras")`` to AutoGraph's rules once per process."""
    if os.environ.get("TFXKIT_KERAS_AUTOGRAPH") == "1":
        return
    rules = config.CONVERSION_RULES
    if not any(
        isinstance(rule, config_lib.DoNotConvert) and rule.matches("tf_keras") for rule in rules
    ):
        config.CONVERSION_RULES = (config_lib.DoNotConvert("tf_keras"), *rules)
