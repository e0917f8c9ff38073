"""Issue 22 #4 and #5 on generated data: ``tfxkit schema accept`` after a column's type changed
(a code "01".."12" declared int, then string) and after new categories.

Before: TFDV's ``update_schema`` deprecated the retyped column without a word in the change
list, and the next run's Transform lacked a configured feature; accepted new categories were
then compared with the old data and stopped the next run as drift.
"""

from __future__ import annotations

import csv
import random
import string
from pathlib import Path

import pytest
import yaml

from tfxkit import cli
from tfxkit.config.pipeline_config import load_config

pytest.importorskip("tensorflow_data_validation")


def _names(seed: int) -> dict[str, str]:
    """Role -> a random column name with a space, dash, dot or non-ASCII letter in it."""
    rng = random.Random(seed)
    names: dict[str, str] = {}
    for role in ("code", "channel", "reading", "outcome"):
        while True:
            word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 8)))
            name = word + rng.choice([" ", "-", ".", "é"]) + rng.choice(["id", "x", "v2"])
            if name not in names.values():
                names[role] = name
                break
    return names


def _data(folder: Path, names: dict[str, str], seed: int, channels: str) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    with (folder / "rows.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([names[r] for r in ("code", "channel", "reading", "outcome")])
        for _ in range(200):
            writer.writerow(
                [
                    f"{rng.randint(1, 12):02d}",
                    rng.choice(channels),
                    f"{rng.gauss(5, 2):.3f}",
                    rng.choice(["yes", "no"]),
                ]
            )
    return folder


def _config(tmp_path: Path, tag: str, data: Path, names: dict, code_type: str, **extra) -> Path:
    code_transform = "zscore" if code_type == "int" else "vocabulary"
    config = {
        "name": "changing",
        "data": {"path": str(data)},
        "workspace": str(tmp_path / "ws"),
        "features": [
            {"name": names["code"], "type": code_type, "transform": code_transform},
            {"name": names["channel"], "type": "string", "transform": "vocabulary"},
            {"name": names["reading"], "type": "float", "transform": "zscore"},
        ],
        "label": {"name": names["outcome"]},
        "evaluation": {"bless": "always"},
        **extra,
    }
    path = tmp_path / f"{tag}.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


@pytest.mark.parametrize("seed", range(2))
def test_a_type_change_is_listed_and_takes_the_data_s_type(
    tmp_path: Path, seed: int, capsys
) -> None:
    from tfxkit.config.features import column_key
    from tfxkit.pipeline import schema_evolution, schema_tools

    names = _names(seed)
    code = column_key(names["code"])
    frozen = tmp_path / "schema.pbtxt"
    v1 = _config(tmp_path, "v1", _data(tmp_path / "v1", names, seed, "ab"), names, "int")
    assert cli.main(["schema", "freeze", "-c", str(v1), "-o", str(frozen)]) == 0
    v2_data = _data(tmp_path / "v2", names, seed + 100, "ab")
    v2 = _config(tmp_path, "v2", v2_data, names, "string", schema={"path": str(frozen)})

    plan = schema_evolution.plan(load_config(v2))
    assert [(c.change, c.feature, c.detail) for c in plan.changes] == [
        ("type", code, "INT -> BYTES")
    ]
    retyped = next(f for f in plan.schema.feature if f.name == code)
    assert not retyped.deprecated and retyped.lifecycle_stage == 0  # not DEPRECATED
    assert not plan.blocking
    assert schema_evolution.configured_but_absent(load_config(v2), plan.schema) == []

    capsys.readouterr()
    assert cli.main(["schema", "accept", "-c", str(v2), "--yes", "--reason", "codes"]) == 0
    assert f"type     {code}: INT -> BYTES" in capsys.readouterr().out
    accepted = schema_tools.reference_schema(load_config(v2))[0]
    assert next(f for f in accepted.feature if f.name == code).type == retyped.type
    assert cli.main(["schema", "accept", "-c", str(v2)]) == 0
    assert "nothing to accept: the data fits" in capsys.readouterr().out


def test_a_deprecated_configured_feature_is_refused(tmp_path: Path) -> None:
    """Whatever deprecates a configured feature (TFDV does, on its own rules), the run's
    Transform would not see it: accept says so instead of recording it."""
    from tfxkit.config.features import column_key
    from tfxkit.pipeline import schema_evolution, schema_tools

    names = _names(5)
    config = load_config(
        _config(tmp_path, "v1", _data(tmp_path / "v1", names, 5, "ab"), names, "int")
    )
    schema = schema_tools.infer(config)
    next(f for f in schema.feature if f.name == column_key(names["reading"])).deprecated = True
    assert schema_evolution.configured_but_absent(config, schema) == [names["reading"]]


def test_accepted_columns_are_judged_against_the_accepted_data(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """An approved schema with real approved statistics in a real store; the data gains a
    channel in a third of its rows, the code turns string, a column is added. The acceptance's
    drift baseline takes those columns from the accepted data (against the old data the new
    channel would read as drift, and TFDV logs a line for each column a baseline lacks) and
    keeps the approved run's for the rest, so drift is still measured where nothing changed."""
    from ml_metadata.proto import metadata_store_pb2 as pb
    from tensorflow_metadata.proto.v0 import statistics_pb2

    from tfxkit.config.features import column_key
    from tfxkit.metadata import store as metadata
    from tfxkit.pipeline import baseline, schema_evolution, schema_tools

    monkeypatch.setenv("TFXKIT_USER", "reviewer")
    names = _names(9)
    first = load_config(
        _config(tmp_path, "v1", _data(tmp_path / "v1", names, 9, "ab"), names, "int")
    )
    approved_stats = tmp_path / "stats" / "run-1"
    statistics = schema_tools.data_statistics(first, None)
    for split in ("train", "eval"):
        (approved_stats / f"Split-{split}").mkdir(parents=True)
        (approved_stats / f"Split-{split}" / "FeatureStats.pb").write_bytes(
            statistics.SerializeToString()
        )
    folder = tmp_path / "approved"
    folder.mkdir()
    (folder / "schema.pbtxt").write_text(schema_tools.schema_text(schema_tools.infer(first)))
    store = metadata.open_store(metadata.connection_config(first))
    context_type = store.put_context_type(pb.ContextType(name="pipeline"))
    [context_id] = store.put_contexts([pb.Context(type_id=context_type, name="changing")])
    schema_type = store.put_artifact_type(pb.ArtifactType(name="Schema"))
    approved = pb.Artifact(type_id=schema_type, uri=str(folder), state=pb.Artifact.LIVE)
    approved.custom_properties[schema_tools.APPROVED_PROPERTY].string_value = str(approved_stats)
    [approved_id] = store.put_artifacts([approved])
    model_type = store.put_artifact_type(pb.ArtifactType(name="Model"))
    [model_id] = store.put_artifacts([pb.Artifact(type_id=model_type, uri="/models/1")])
    store.put_attributions_and_associations(
        [
            pb.Attribution(artifact_id=approved_id, context_id=context_id),
            pb.Attribution(artifact_id=model_id, context_id=context_id),
        ],
        [],
    )

    v2_data = _data(tmp_path / "v2", names, 10, "abz")
    with (v2_data / "rows.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    added = names["reading"] + " 2"
    with (v2_data / "rows.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [[*row, added if i == 0 else "1.5"] for i, row in enumerate(rows)]
        )
    config = _config(tmp_path, "v2", v2_data, names, "string")
    assert cli.main(["schema", "accept", "-c", str(config), "--yes", "--reason", "channel z"]) == 0
    # The code turned string: the model's Transform cannot read it, so it is no baseline.
    said = capsys.readouterr().out
    assert f"the Evaluator's baseline is reset: no model up to {model_id} is a baseline" in said
    decision = baseline.in_force(store, "changing")
    assert (decision.action, decision.model_id) == ("reset", model_id)
    assert f"earlier models were trained on {column_key(names['code'])} as" in decision.why
    [row] = schema_evolution.acceptances(load_config(config))
    assert "new categories 'z'" in row[schema_evolution.ACCEPTED_CHANGES]
    _, artifact = schema_tools.approved_schema_artifact(load_config(config))
    baseline = Path(artifact.custom_properties[schema_tools.APPROVED_PROPERTY].string_value)
    assert baseline != approved_stats and baseline.is_relative_to(tmp_path)
    new_data = {
        f.path.step[0]: f
        for f in schema_tools.data_statistics(load_config(config)).datasets[0].features
    }
    old_data = {f.path.step[0]: f for f in statistics.datasets[0].features}
    for split in ("train", "eval"):
        kept = statistics_pb2.DatasetFeatureStatisticsList.FromString(
            (baseline / f"Split-{split}" / "FeatureStats.pb").read_bytes()
        )
        features = {f.path.step[0]: f for f in kept.datasets[0].features}
        for taken in (names["channel"], names["code"], added):
            assert features[column_key(taken)] == new_data[column_key(taken)], taken
        reading = column_key(names["reading"])
        assert features[reading] == old_data[reading] != new_data[reading]
        assert kept.datasets[0].num_examples == statistics.datasets[0].num_examples
