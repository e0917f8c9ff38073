"""Serving base layout, labels and rollouts, server config files, the serving CLI.

No TensorFlow: model versions are empty directories (enough for the layout logic) and push
records are what the pusher writes (``<model>/.tfxkit-pushes/<v>.json`` with blessed: true).
Every generated file is parsed back with TF Serving's own messages.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from google.protobuf import text_format
from pydantic import ValidationError
from tensorflow_serving.config.model_server_config_pb2 import ModelServerConfig

from tests.paths import PENGUIN_CONFIG
from tfxkit.cli.main import main
from tfxkit.config.pipeline_config import ConfigError, load_config
from tfxkit.config.serving import BatchingSettings
from tfxkit.errors import ServingError
from tfxkit.serving import layout, rollout, server_config
from tfxkit.serving.protos import BatchingParameters, MonitoringConfig


def _push(base: Path, model: str, version: int, *, record: bool = True) -> None:
    """What the pusher leaves: the version directory and, for a blessed model, its record."""
    (base / model / str(version)).mkdir(parents=True)
    if record:
        records = base / model / layout.RECORDS_DIR
        records.mkdir(exist_ok=True)
        (records / f"{version}.json").write_text(json.dumps({"blessed": True}))


def _config(base: Path) -> ModelServerConfig:
    return text_format.Parse((base / "models.config").read_text(), ModelServerConfig())


def _entry(base: Path, model: str):
    entries = {e.name: e for e in _config(base).model_config_list.config}
    return entries[model]


def _labels(base: Path, model: str = "m") -> dict[str, int]:
    return dict(_entry(base, model).version_labels)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """Model m: version 1 (stable, via a push) and version 2 (pushed, labelled canary)."""
    base = tmp_path / "serving"
    _push(base, "m", 1)
    rollout.label_new_version(str(base), "m", 1)
    _push(base, "m", 2)
    rollout.label_new_version(str(base), "m", 2)
    return base


def test_rollout_modules_load_without_tensorflow() -> None:
    # The CLI's rollout commands and the pusher's labelling must not pay for a TF import.
    code = (
        "import sys, tfxkit.cli.main, tfxkit.serving.rollout, tfxkit.serving.server_config; "
        "sys.exit('tensorflow' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ------------------------------------------------------------------ labelling new versions


def test_first_push_is_stable_then_canary(tmp_path: Path) -> None:
    base = tmp_path / "serving"
    _push(base, "m", 1)
    first = rollout.label_new_version(str(base), "m", 1)
    assert first is not None and (first.label, first.version, first.previous) == ("stable", 1, None)
    assert _labels(base) == {"stable": 1}
    _push(base, "m", 2)
    second = rollout.label_new_version(str(base), "m", 2)
    assert second is not None and (second.label, second.version) == ("canary", 2)
    assert second.labels == {"stable": 1, "canary": 2}
    assert _labels(base) == {"stable": 1, "canary": 2}
    assert [(e["label"], e["version"], e["action"]) for e in rollout.history(str(base), "m")] == [
        ("stable", 1, "push"),
        ("canary", 2, "push"),
    ]


@pytest.mark.parametrize(
    ("policy", "labels"),
    [
        ("stable", {"stable": 2}),
        ("canary", {"stable": 1, "canary": 2}),
        ("none", {"stable": 1}),
    ],
)
def test_push_label_policies(tmp_path: Path, policy: str, labels: dict[str, int]) -> None:
    base = tmp_path / "serving"
    _push(base, "m", 1)
    rollout.label_new_version(str(base), "m", 1)
    _push(base, "m", 2)
    change = rollout.label_new_version(str(base), "m", 2, policy)
    assert _labels(base) == labels
    assert (change is None) == (policy == "none")
    assert sorted(_entry(base, "m").model_version_policy.specific.versions) == sorted(
        set(labels.values())
    )
    assert server_config.validate_base(str(base)) == []


def test_policy_none_on_first_push_serves_latest(tmp_path: Path) -> None:
    base = tmp_path / "serving"
    _push(base, "m", 1)
    assert rollout.label_new_version(str(base), "m", 1, "none") is None
    entry = _entry(base, "m")
    assert dict(entry.version_labels) == {}
    assert entry.model_version_policy.WhichOneof("policy_choice") == "latest"
    assert entry.model_version_policy.latest.num_versions == 1
    assert server_config.validate_base(str(base)) == []


def test_same_version_pushed_again_changes_nothing(base: Path) -> None:
    before = (base / "models.config").read_bytes()
    history = rollout.history(str(base), "m")
    assert rollout.label_new_version(str(base), "m", 2) is None
    assert rollout.label_new_version(str(base), "m", 1) is None
    assert (base / "models.config").read_bytes() == before
    assert rollout.history(str(base), "m") == history


# ------------------------------------------------------------------ generated server files


def test_generated_files_parse_with_tf_serving_messages(tmp_path: Path) -> None:
    base = tmp_path / "serving"
    _push(base, "m", 1)
    _push(base, "m", 2)
    batching = BatchingSettings(
        max_batch_size=16,
        batch_timeout_micros=500,
        num_batch_threads=2,
        max_enqueued_batches=7,
        allowed_batch_sizes=[4, 8, 16],
    )
    rollout.label_new_version(str(base), "m", 1, batching=batching)
    rollout.label_new_version(str(base), "m", 2)
    entry = _entry(base, "m")
    assert entry.base_path == "/models/m"
    assert entry.model_platform == "tensorflow"
    assert list(entry.model_version_policy.specific.versions) == [1, 2]
    assert dict(entry.version_labels) == {"stable": 1, "canary": 2}

    params = text_format.Parse((base / "batching_parameters.txt").read_text(), BatchingParameters())
    assert params.max_batch_size.value == 16
    assert params.batch_timeout_micros.value == 500
    assert params.num_batch_threads.value == 2
    assert params.max_enqueued_batches.value == 7
    assert list(params.allowed_batch_sizes) == [4, 8, 16]
    # The second push passed no batching: the file written by the first is kept.
    monitoring = text_format.Parse((base / "monitoring.config").read_text(), MonitoringConfig())
    assert monitoring.prometheus_config.enable is True
    assert monitoring.prometheus_config.path == "/monitoring/prometheus/metrics"
    assert server_config.validate_base(str(base)) == []


def test_validate_names_a_label_on_a_missing_version(base: Path) -> None:
    (base / "m" / "2").rmdir()
    problems = server_config.validate_base(str(base))
    assert problems == ["model 'm': label canary -> missing version 2"]


def test_validate_names_a_misspelt_batching_field(base: Path) -> None:
    path = base / "batching_parameters.txt"
    path.write_text(path.read_text().replace("max_batch_size", "max_batch_sise"))
    (problem,) = server_config.validate_base(str(base))
    assert str(path) in problem and "max_batch_sise" in problem


def test_validate_names_missing_files(tmp_path: Path) -> None:
    problems = server_config.validate_base(str(tmp_path))
    assert [p.rsplit("/", 1)[-1] for p in problems] == [
        "models.config: missing",
        "batching_parameters.txt: missing",
        "monitoring.config: missing",
    ]


def test_several_models_share_one_base(base: Path) -> None:
    _push(base, "other", 1)
    rollout.label_new_version(str(base), "other", 1)
    entries = {e.name: e for e in _config(base).model_config_list.config}
    assert set(entries) == {"m", "other"}
    assert entries["other"].base_path == "/models/other"
    assert dict(entries["other"].version_labels) == {"stable": 1}
    assert dict(entries["m"].version_labels) == {"stable": 1, "canary": 2}
    assert layout.models_in(str(base)) == ["m", "other"]
    rollout.promote(str(base), "other", 1, "canary")
    assert _labels(base) == {"stable": 1, "canary": 2}  # m untouched
    assert server_config.validate_base(str(base)) == []


# ------------------------------------------------------------------ promote and rollback


def test_promote_moves_a_label(base: Path) -> None:
    _push(base, "m", 3)
    change = rollout.promote(str(base), "m", 3, "canary")
    assert (change.label, change.version, change.previous) == ("canary", 3, 2)
    assert _labels(base) == {"stable": 1, "canary": 3}
    assert list(_entry(base, "m").model_version_policy.specific.versions) == [1, 3]
    assert change.describe() == "m: canary -> version 3 (was 2); labels now canary=3, stable=1"
    assert rollout.history(str(base), "m")[-1]["action"] == "promote"


def test_promoting_the_canary_to_stable_drops_the_canary_label(base: Path) -> None:
    change = rollout.promote(str(base), "m", 2, "stable")
    assert change.labels == {"stable": 2}
    assert _labels(base) == {"stable": 2}
    assert list(_entry(base, "m").model_version_policy.specific.versions) == [2]


@pytest.mark.parametrize(
    ("model", "version", "expected"),
    [
        ("m", 7, r"model 'm' has no version 7 under .*\(versions: 1, 2, 3\); nothing changed"),
        ("m", 3, r"model 'm' version 3 was not pushed by tfxkit's pusher.*3\.json"),
        ("nope", 1, r"model 'nope' has no versions under .*\(models there: m\)"),
    ],
)
def test_refused_promote_writes_nothing(
    base: Path, model: str, version: int, expected: str
) -> None:
    _push(base, "m", 3, record=False)  # a version not pushed by tfxkit (so never blessed)
    before = {p.name: p.read_bytes() for p in base.iterdir() if p.is_file()}
    history = (base / "m" / layout.LABEL_HISTORY).read_bytes()
    with pytest.raises(ServingError, match=expected):
        rollout.promote(str(base), model, version, "stable")
    assert {p.name: p.read_bytes() for p in base.iterdir() if p.is_file()} == before
    assert (base / "m" / layout.LABEL_HISTORY).read_bytes() == history
    assert not (base / "nope").exists()


def test_promote_on_a_missing_base_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    with pytest.raises(ServingError, match="does not exist"):
        rollout.promote(str(missing), "m", 1, "stable")
    with pytest.raises(ServingError, match="does not exist"):
        rollout.rollback(str(missing), "m", "stable")
    assert not missing.exists()


def test_rollback_canary_drops_it(base: Path) -> None:
    change = rollout.rollback(str(base), "m", "canary")
    assert (change.label, change.version, change.previous) == ("canary", None, 2)
    assert _labels(base) == {"stable": 1}
    assert "canary removed (was 2)" in change.describe()
    with pytest.raises(ServingError, match="no 'canary' label.*nothing to roll back"):
        rollout.rollback(str(base), "m", "canary")


def test_rollback_stable_returns_to_the_previous_stable(base: Path) -> None:
    _push(base, "m", 3)
    rollout.promote(str(base), "m", 2, "stable")
    rollout.promote(str(base), "m", 3, "stable")
    change = rollout.rollback(str(base), "m", "stable")
    assert (change.version, change.previous) == (2, 3)
    assert _labels(base) == {"stable": 2}
    assert server_config.validate_base(str(base)) == []


def test_rollback_skips_a_previous_stable_that_is_gone(base: Path) -> None:
    _push(base, "m", 3)
    rollout.promote(str(base), "m", 2, "stable")
    rollout.promote(str(base), "m", 3, "stable")
    (base / "m" / "2").rmdir()
    assert rollout.rollback(str(base), "m", "stable").version == 1


def test_rollback_without_an_earlier_stable_is_refused(base: Path) -> None:
    before = (base / "models.config").read_bytes()
    with pytest.raises(ServingError) as err:
        rollout.rollback(str(base), "m", "stable")
    assert str(err.value) == (
        "model 'm': stable is version 1 and no earlier stable version still exists; "
        "promote a version explicitly instead"
    )
    assert (base / "models.config").read_bytes() == before


def test_unknown_label_is_refused(base: Path) -> None:
    with pytest.raises(ServingError, match="--label must be one of stable, canary, not 'beta'"):
        rollout.promote(str(base), "m", 1, "beta")


def test_concurrent_promotes_lose_no_update(base: Path) -> None:
    for version in (3, 4):
        _push(base, "m", version)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def promote(label: str, versions: tuple[int, int]) -> None:
        try:
            start.wait()
            for i in range(10):
                rollout.promote(str(base), "m", versions[i % 2], label)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=promote, args=("stable", (2, 1))),
        threading.Thread(target=promote, args=("canary", (4, 3))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and not any(t.is_alive() for t in threads)
    # Each thread's last move survives (no read-modify-write was lost) and every move is in
    # the history, whose file stayed valid JSON throughout.
    assert _labels(base) == {"stable": 1, "canary": 3}
    assert len(rollout.history(str(base), "m")) == 2 + 20
    assert server_config.validate_base(str(base)) == []
    assert not [p for p in base.rglob(".tmp-*")]


# ------------------------------------------------------------------ config validation


def test_batching_sizes_must_end_with_max_batch_size() -> None:
    assert BatchingSettings(max_batch_size=8, allowed_batch_sizes=[2, 4, 8]).max_batch_size == 8
    with pytest.raises(ValidationError, match=r"must increase and end with max_batch_size \(8\)"):
        BatchingSettings(max_batch_size=8, allowed_batch_sizes=[2, 4])
    with pytest.raises(ValidationError, match="must increase"):
        BatchingSettings(max_batch_size=8, allowed_batch_sizes=[4, 2, 8])


def test_push_config_is_validated_with_its_key_path() -> None:
    cfg = load_config(PENGUIN_CONFIG, ["push.model_name=penguin-v2", "push.label=canary"])
    assert (cfg.push.model_name, cfg.push.label) == ("penguin-v2", "canary")
    with pytest.raises(ConfigError, match="push.model_name: 'bad name' is not a usable model"):
        load_config(PENGUIN_CONFIG, ["push.model_name=bad name"])
    with pytest.raises(ConfigError, match="push.batching: allowed_batch_sizes"):
        load_config(
            PENGUIN_CONFIG,
            ["push.batching.max_batch_size=8", "push.batching.allowed_batch_sizes=[2, 4]"],
        )
    with pytest.raises(ServingError, match="push.model_name: 'a/b' is not a usable"):
        layout.check_model_name("a/b")


# ------------------------------------------------------------------ CLI


def test_cli_promote_prints_the_change(base: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(
        ["serving", "promote", "m", "--version", "2", "--label", "stable", "--base", str(base)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.strip() == "m: stable -> version 2 (was 1); labels now stable=2"
    assert _labels(base) == {"stable": 2}


def test_cli_refused_promote_is_one_paragraph(base: Path, capsys: pytest.CaptureFixture) -> None:
    before = (base / "models.config").read_bytes()
    code = main(["serving", "promote", "m", "--version", "9", "--base", str(base)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("error: model 'm' has no version 9")
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert (base / "models.config").read_bytes() == before


def test_cli_rollback_and_status(base: Path, capsys: pytest.CaptureFixture) -> None:
    _push(base, "m", 3, record=False)
    assert main(["serving", "rollback", "m", "--label", "canary", "--base", str(base)]) == 0
    assert "canary removed (was 2)" in capsys.readouterr().out
    assert main(["serving", "status", "--base", str(base)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        f"m ({base}/m)",
        "  1: blessed  [stable]",
        "  2: blessed",
        "  3: not pushed by tfxkit",
    ]
    assert "parse with TF Serving's protos" in lines[-1]


def test_cli_status_reports_problems(base: Path, capsys: pytest.CaptureFixture) -> None:
    (base / "monitoring.config").write_text("prometheus_config { enabled: true }\n")
    assert main(["serving", "status", "m", "--base", str(base)]) == 1
    out = capsys.readouterr().out
    assert "problem:" in out and "monitoring.config" in out and "enabled" in out
    assert main(["serving", "status", "--base", str(base / "empty")]) == 1
    assert "no models under" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["../../evil", "..", "m/../../evil", "/abs", "a b"])
def test_a_model_name_that_leaves_the_base_is_refused_and_nothing_written(
    base: Path, tmp_path: Path, name: str
) -> None:
    """Issue 28: ``serving promote ../../evil`` (with a push record planted outside the base)
    wrote base_path "/models/../../evil" into models.config, and status reported all fine."""
    evil = tmp_path / "evil"
    _push(evil, ".", 1)  # a version and a "blessed" record outside the base
    before = (base / "models.config").read_bytes()
    with pytest.raises(ServingError, match="is not a usable model name"):
        rollout.promote(str(base), name, 1, "stable")
    assert (base / "models.config").read_bytes() == before
    code = main(["serving", "promote", name, "1", "--base", str(base)])
    assert code == 2 and (base / "models.config").read_bytes() == before


def test_status_flags_a_planted_entry_outside_the_base(base: Path) -> None:
    path = base / "models.config"
    config = _config(base)
    entry = config.model_config_list.config.add()
    entry.name, entry.base_path = "evil", "/models/../../evil"
    path.write_text(text_format.MessageToString(config))
    problems = server_config.validate_base(str(base))
    assert problems == ["model 'evil': base_path /models/../../evil is not <serving base>/evil"]
