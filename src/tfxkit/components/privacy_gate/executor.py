"""PrivacyGate executor: the Trainer's ``ModelRun/privacy.json`` and the gate's bound
(``training.privacy.target_epsilon``, in its settings) -> a blessing (``verdict``)."""

from __future__ import annotations

import json
import os
from typing import Any

from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio

from tfxkit.components.privacy_gate.verdict import PrivacyVerdict, judge
from tfxkit.components.verdicts import Artifacts, GateExecutor, load_settings, single

MODEL_RUN_KEY = "model_run"
BLESSING_KEY = "blessing"
PRIVACY_FILE = "privacy.json"  # written by tfxkit.training.privacy.write


class Executor(GateExecutor, base_executor.BaseExecutor):
    def decide(
        self, inputs: Artifacts, outputs: Artifacts, properties: dict[str, Any]
    ) -> PrivacyVerdict:
        path = os.path.join(single(inputs[MODEL_RUN_KEY], MODEL_RUN_KEY).uri, PRIVACY_FILE)
        facts = None
        if fileio.exists(path):
            with fileio.open(path) as f:
                facts = json.loads(f.read())
        bound = load_settings(properties).get("target_epsilon")  # the gate's, not the trainer's
        return judge(facts, bound)
