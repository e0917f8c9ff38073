"""InfraCheck component: its spec, settings, outputs, and a fingerprint that covers the probe."""

from __future__ import annotations

import json

from tfx import v1 as tfx
from tfx.types import standard_artifacts

from tfxkit.components.infra_check import component, executor
from tfxkit.fingerprint import code_fingerprint


def test_spec_settings_and_outputs() -> None:
    check = component.InfraCheck(
        examples=tfx.dsl.Channel(type=standard_artifacts.Examples),
        model=tfx.dsl.Channel(type=standard_artifacts.Model),
        evaluation=tfx.dsl.Channel(type=standard_artifacts.ModelEvaluation),
        settings={"examples": 32, "timeout_s": 120, "split": "eval", "model_name": "m"},
    )
    assert json.loads(check.exec_properties["settings"])["timeout_s"] == 120
    # One output, TFX's InfraBlessing: a second ModelBlessing per run would be what TFX's
    # LatestBlessedModelStrategy picks on Kubeflow/Vertex, and it names no model there.
    assert set(check.outputs) == {"infra_blessing"}
    assert check.outputs["infra_blessing"].type == standard_artifacts.InfraBlessing
    assert check.exec_properties["code_fingerprint"] == code_fingerprint(executor.__name__)


def test_the_fresh_process_module_is_imported_so_its_edits_re_run_the_check() -> None:
    from tfxkit.components.infra_check import probe

    # The fingerprint follows imports (tfxkit.fingerprint): the probe runs by module name in
    # another process, so the executor imports it to have its code in the cache key.
    assert executor.PROBE == probe.__name__ and executor.probe is probe
