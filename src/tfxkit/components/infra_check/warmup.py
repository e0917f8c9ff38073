"""Where TF Serving reads a model version's warm-up requests (no TensorFlow imported here).

TF Serving replays ``<version>/assets.extra/tf_serving_warmup_requests`` (TFRecord of
``PredictionLog``) when it loads a version, before the version takes traffic, so the first
real request does not pay for lazy initialisation
(https://www.tensorflow.org/tfx/serving/saved_model_warmup). The infra check writes the
requests it replayed there; the pusher copies them into the pushed version; the model's
identity and digest leave the file out (``model_pusher.identity``), so the same model with
other warm-up requests is still the same model.
"""

from __future__ import annotations

WARMUP_DIR = "assets.extra"
WARMUP_FILE = "tf_serving_warmup_requests"
WARMUP_PATH = f"{WARMUP_DIR}/{WARMUP_FILE}"  # relative to a SavedModel directory
