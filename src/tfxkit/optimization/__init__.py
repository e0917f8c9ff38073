"""Model optimization: TFLite quantization, pruning, distillation, measurement and a gate.

Pure functions over ``tf_keras`` models (what ``tfxkit.training.model`` builds) and
TFLite flatbuffers; a TFX component wraps them. Importing this package loads nothing heavy:
import the submodules (``quantize``, ``prune``, ``distill``, ``measure``, ``gate``) you need.
``gate`` and the dataclasses in ``measure`` need no TensorFlow at all.
"""

import os

# tfmot 0.8 and ``tf.keras`` must resolve to Keras 2 (``tf_keras``), the Keras tfxkit's trainer
# builds with; TensorFlow reads this lazily on the first ``tf.keras`` access, so setting it here
# works even when TensorFlow is already imported (tfmot sets it too, unconditionally).
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
