"""Config schema: valid files load, and every kind of mistake gets one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.paths import PENGUIN_CONFIG
from tfxkit.config.pipeline_config import ConfigError, load_config


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _penguin() -> dict:
    return yaml.safe_load(PENGUIN_CONFIG.read_text())


def test_penguin_config_loads_with_defaults() -> None:
    cfg = load_config(PENGUIN_CONFIG)
    assert cfg.name == "penguin"
    assert [f.name for f in cfg.features][:2] == ["bill_length_mm", "bill_depth_mm"]
    assert cfg.training.strategy == "default"
    assert cfg.resolved_pipeline_root == "workspace/penguin/pipeline_root"
    assert cfg.resolved_sqlite_path == "workspace/penguin/metadata.sqlite"
    assert cfg.resolved_serving_base == "workspace/serving"
    assert cfg.resolved_push_destination == "workspace/serving/penguin"
    assert cfg.evaluation.thresholds["SparseCategoricalAccuracy"].lower_bound == 0.6


def test_bad_enum_names_file_key_and_choices(tmp_path: Path) -> None:
    data = _penguin()
    data["training"]["strategy"] = "mirorred"
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message
    assert "training.strategy: 'mirorred' is not one of" in message
    assert "'mirrored'" in message


def test_unknown_key_is_an_error_with_its_path(tmp_path: Path) -> None:
    data = _penguin()
    data["training"]["epoch"] = 3
    with pytest.raises(ConfigError, match=r"training\.epoch: unknown key"):
        load_config(_write(tmp_path, data))


def test_missing_required_section(tmp_path: Path) -> None:
    data = _penguin()
    del data["label"]
    with pytest.raises(ConfigError, match=r"label: required key is missing"):
        load_config(_write(tmp_path, data))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["training"].update(batch_size=0), r"training\.batch_size: .*greater than 0"),
        (
            lambda d: d["features"].append(
                {"name": "island", "type": "string", "transform": "vocabulary"}
            ),
            r"features listed twice: \['island'\]",
        ),
        (
            lambda d: d["features"][4].update(transform="zscore"),
            r"feature 'island' is a string; transform 'zscore' needs a number",
        ),
        (
            lambda d: d["evaluation"].update(slices=[["beak"]]),
            r"'beak' is not a configured feature",
        ),
        (
            lambda d: d["evaluation"]["thresholds"].update(AUC={"lower_bound": 0.5}),
            r"thresholds name metrics not computed for a multiclass task: \['AUC'\]",
        ),
        (
            lambda d: d["features"].append(
                {"name": "island ", "type": "string", "transform": "vocabulary"}
            ),
            r"columns 'island' and 'island ' both become the feature key 'island'",
        ),
        (
            lambda d: d["evaluation"].update(min_slice_size=-1),
            r"evaluation\.min_slice_size: .*greater than or equal to 0",
        ),
        (
            lambda d: d.update(validation={"skew": {"island": 0.1}}),
            r"validation\.skew needs validation\.serving_data",
        ),
        (
            lambda d: d.update(validation={"drift": {"beak": 0.1}}),
            r"validation\.drift/skew: \['beak'\] are not configured",
        ),
        (lambda d: d["data"].update(splits={"train": 1}), r"must define the splits"),
        (lambda d: d.update(name="Bad Name"), r"name: 'Bad Name' is not a usable pipeline name"),
        (
            lambda d: d["runner"]["beam"].update(extra_args=["direct_num_workers=2"]),
            r"is not a Beam flag",
        ),
        (
            lambda d: d.update(
                metadata={
                    "sqlite": {"path": "a"},
                    "mysql": {"host": "h", "database": "d", "user": "u"},
                }
            ),
            r"choose one metadata store",
        ),
    ],
)
def test_bad_values_are_reported_by_key(tmp_path: Path, mutate, expected: str) -> None:
    data = _penguin()
    mutate(data)
    with pytest.raises(ConfigError, match=expected):
        load_config(_write(tmp_path, data))


def test_overrides_keep_yaml_types() -> None:
    cfg = load_config(
        PENGUIN_CONFIG,
        [
            "training.epochs=3",
            "model.hidden_units=[8, 4]",
            "runner.beam.mode=multi_threading",
            "features.0.transform=minmax",
            "push.destination=/srv/models",
        ],
    )
    assert cfg.training.epochs == 3
    assert cfg.model.hidden_units == [8, 4]
    assert cfg.runner.beam.mode == "multi_threading"
    assert cfg.features[0].transform == "minmax"
    assert cfg.resolved_push_destination == "/srv/models/penguin"


def test_override_errors_are_clear() -> None:
    with pytest.raises(ConfigError, match="expected key.path=value"):
        load_config(PENGUIN_CONFIG, ["training.epochs"])
    with pytest.raises(ConfigError, match="'9' is not an index of a 6-item list"):
        load_config(PENGUIN_CONFIG, ["features.9.transform=zscore"])
    with pytest.raises(ConfigError, match=r"training\.epochs: Input should be a valid integer"):
        load_config(PENGUIN_CONFIG, ["training.epochs=many"])


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read pipeline config .*nope.yaml"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_config(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just a string\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(scalar)


def test_mysql_password_comes_from_environment(monkeypatch, tmp_path: Path) -> None:
    data = _penguin()
    data["metadata"] = {
        "mysql": {"host": "db", "database": "mlmd", "user": "tfx", "password_env": "MLMD_PW"}
    }
    monkeypatch.setenv("MLMD_PW", "s3cret")
    cfg = load_config(_write(tmp_path, data))
    assert cfg.metadata.mysql.password() == "s3cret"
    assert cfg.metadata.mysql.port == 3306
    assert "s3cret" not in (tmp_path / "pipeline.yaml").read_text()


def _minimal(**label) -> dict:
    return {
        "name": "m",
        "data": {"path": "d"},
        "features": [{"name": "a", "type": "float", "transform": "zscore"}],
        "label": {"name": "y", **label},
        "evaluation": {"bless": "always"},  # the blessing rule is explicit (issue 28 #6)
    }


@pytest.mark.parametrize(
    ("label", "suggested"),
    [
        ({}, "SparseCategoricalAccuracy: {lower_bound: 0.6}"),
        ({"type": "float"}, "RootMeanSquaredError: {upper_bound: <the label's standard "),
        ({"derive": "a > 1"}, "AUC: {lower_bound: 0.6}"),
    ],
)
def test_no_thresholds_is_refused_saying_exactly_what_to_add(label: dict, suggested: str) -> None:
    """Issue 28 #6: without a threshold TFX blesses nothing, so nothing was ever pushed and
    nothing said why before the run; now the config is refused, with the two ways out."""
    from tfxkit.config.pipeline_config import validate_config

    data = _minimal(**label)
    del data["evaluation"]
    with pytest.raises(ConfigError) as caught:
        validate_config(data, "cfg.yaml")
    assert (
        "evaluation.thresholds is empty, so no model could ever be blessed and pushed; add one, "
        "e.g. evaluation: {thresholds: {"
    ) in str(caught.value)
    assert suggested in str(caught.value)
    assert "or push every model that trains with evaluation: {bless: always}" in str(caught.value)
    assert validate_config(_minimal(**label)).evaluation.bless == "always"


def test_bless_always_with_thresholds_is_a_contradiction() -> None:
    from tfxkit.config.pipeline_config import validate_config

    data = _minimal()
    data["evaluation"]["thresholds"] = {"SparseCategoricalAccuracy": {"lower_bound": 0.6}}
    with pytest.raises(ConfigError, match="bless: always blesses every model, so evaluation"):
        validate_config(data, "cfg.yaml")
    data["evaluation"]["bless"] = "thresholds"
    assert validate_config(data).evaluation.thresholds


def test_push_infra_check_is_on_by_default_and_takes_a_bool_or_settings() -> None:
    from tfxkit.config.pipeline_config import validate_config

    assert validate_config(_minimal()).push.infra_check.enabled
    data = _minimal()
    data["push"] = {"infra_check": False}
    assert not validate_config(data).push.infra_check.enabled
    data["push"] = {"infra_check": {"timeout_s": 30, "examples": 8}}
    check = validate_config(data).push.infra_check
    assert (check.enabled, check.timeout_s, check.examples) == (True, 30, 8)
    data["push"] = {"infra_check": {"timeout_s": 0}}
    with pytest.raises(ConfigError, match="timeout_s"):
        validate_config(data, "cfg.yaml")


def test_minimal_config_defaults_are_plain_values() -> None:
    from tfxkit.config.pipeline_config import validate_config
    from tfxkit.runners.local import beam_pipeline_args

    cfg = validate_config(_minimal())
    # Once reached Beam as '--direct_running_mode=BeamMode.IN_MEMORY' (an unvalidated default).
    assert cfg.runner.beam.mode == "auto"
    mode = beam_pipeline_args(cfg)[0].removeprefix("--direct_running_mode=")
    assert mode in ("in_memory", "multi_threading", "multi_processing")
    assert cfg.training.strategy == "default" and cfg.label.resolved_task == "multiclass"
    assert cfg.schema_.infer_feature_shape is False  # every feature may be missing


@pytest.mark.parametrize(
    ("label", "task", "metric"),
    [
        ({}, "multiclass", "SparseCategoricalAccuracy"),
        ({"type": "float"}, "regression", "MeanSquaredError"),
        ({"derive": "a > 1"}, "binary", "AUC"),
        ({"type": "int", "task": "binary"}, "binary", "AUC"),
    ],
)
def test_task_and_its_metrics_follow_the_label(label: dict, task: str, metric: str) -> None:
    from tfxkit.config.pipeline_config import validate_config

    cfg = validate_config(_minimal(**label))
    assert cfg.label.resolved_task == task
    assert metric in cfg.evaluation.resolved_metrics(task)


def test_a_threshold_on_a_metric_the_task_does_not_compute_is_an_error() -> None:
    from tfxkit.config.pipeline_config import validate_config

    data = _minimal(type="float")
    data["evaluation"] = {"thresholds": {"AUC": {"lower_bound": 0.7}}}
    with pytest.raises(ConfigError, match="not computed for a regression task: \\['AUC'\\]"):
        validate_config(data, "cfg.yaml")


def test_regression_on_a_string_label_is_an_error() -> None:
    from tfxkit.config.pipeline_config import validate_config

    with pytest.raises(ConfigError, match="regression label must be a number"):
        validate_config(_minimal(task="regression"), "cfg.yaml")


def _binary_penguin() -> dict:
    data = _penguin()
    data["label"] = {"name": "adelie", "derive": "species == 'Adelie'"}
    data["evaluation"] = {"thresholds": {"AUC": {"lower_bound": 0.5}}}
    return data


FAIRNESS = {
    "sensitive_features": ["sex"],
    "metrics": {"false_positive_rate": {"max_difference": 0.1}},
}


def test_fairness_section_loads_with_defaults(tmp_path: Path) -> None:
    data = _binary_penguin()
    data["fairness"] = FAIRNESS
    fairness = load_config(_write(tmp_path, data)).fairness
    assert fairness.decision_threshold == 0.5 and fairness.min_slice_size == 30
    assert fairness.reference == {}
    assert fairness.metrics["false_positive_rate"].max_difference == 0.1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            {},
            "fairness: compares binary decisions across slices, but label 'species' is a "
            "multiclass task",
        ),
        (
            {"metrics": {"false_positive_rate": {}}},
            "set at least one of max_difference or min_ratio",
        ),
        ({"metrics": {"fpr": {"max_difference": 0.1}}}, "fairness.metrics.fpr"),
        ({"reference": {"race": "White"}}, "reference names columns not in sensitive_features"),
        ({"sensitive_features": ["adelie"]}, "the label cannot be a sensitive slice"),
        ({"metrics": {"true_positive_rate": {"min_ratio": 1.5}}}, "min_ratio"),
        ({"sensitive_features": []}, "fairness.sensitive_features"),
    ],
)
def test_fairness_mistakes_are_config_errors(tmp_path: Path, edit: dict, message: str) -> None:
    data = _penguin() if not edit else _binary_penguin()
    data["fairness"] = {**FAIRNESS, **edit}
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, data))
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        ({"name": "island", "type": "string", "transform": "bucketize"}, "needs a number"),
        ({"name": "island", "type": "string", "transform": "log"}, "needs a number"),
        ({"name": "island", "type": "string", "transform": "vocabulary", "clip": [0, 1]},
         "clip needs a number"),
        ({"name": "bill_length_mm", "type": "float", "transform": "zscore", "clip": [5, 1]},
         "low < high"),
        ({"name": "bill_length_mm", "type": "float", "transform": "zscore", "buckets": 4},
         "buckets applies to transform 'bucketize', not 'zscore'"),
        ({"name": "island", "type": "string", "transform": "hash", "top_k": 3},
         "top_k applies to transform 'vocabulary' or 'text'"),
        ({"name": "bill_length_mm", "type": "float", "transform": "text"},
         "transform 'text' needs a string feature"),
    ],
)  # fmt: skip
def test_a_transform_that_does_not_fit_its_feature_is_a_config_error(
    tmp_path: Path, feature: dict, message: str
) -> None:
    data = _penguin()
    data["features"] = [feature]
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, data))
    assert message in str(err.value)


def test_crosses_must_name_distinct_configured_features(tmp_path: Path) -> None:
    data = _penguin()
    data["crosses"] = [{"features": ["island", "colony"]}]
    with pytest.raises(ConfigError, match=r"\['colony'\] are not"):
        load_config(_write(tmp_path, data))
    data["crosses"] = [{"features": ["island", "sex"], "hash_buckets": 20}]
    assert load_config(_write(tmp_path, data)).crosses[0].key == "cross_island_x_sex"


def test_early_stopping_needs_epochs_and_user_code_needs_a_dotted_path(tmp_path: Path) -> None:
    data = _penguin()
    data["training"] = {"epochs": 1, "early_stopping_patience": 2}
    with pytest.raises(ConfigError, match="set epochs to 2 or more"):
        load_config(_write(tmp_path, data))
    data["training"] = {"run_fn": "not a path"}
    with pytest.raises(ConfigError, match=r"training\.run_fn"):
        load_config(_write(tmp_path, data))


def test_tuning_needs_something_to_search(tmp_path: Path) -> None:
    data = _penguin()
    data["tuning"] = {"search_space": {}}
    with pytest.raises(ConfigError, match="name at least one setting to search"):
        load_config(_write(tmp_path, data))
    data["tuning"] = {"search_space": {"learning_rate": [0.01, 0.1]}, "max_trials": 3}
    assert load_config(_write(tmp_path, data)).tuning.max_trials == 3
