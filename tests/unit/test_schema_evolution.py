"""`tfxkit schema accept` without a pipeline run: the plan (what moves), the record in a real
SQLite ML Metadata store (who, when, why) and the file case (schema.path)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from tfxkit import cli
from tfxkit.config.pipeline_config import load_config

pytest.importorskip("tensorflow_data_validation")


def _data(folder: Path, columns: list[str], seed: int, new_island: str | None = None) -> Path:
    """Generated rows (not a shipped dataset): a numeric code, an island and an outcome."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    with (folder / "rows.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["outcome", *columns])
        for i in range(120):
            values = {
                "reading": f"{rng.gauss(10, 2):.3f}",
                "island": new_island if new_island and i % 10 == 0 else rng.choice("ABC"),
                "depth": f"{rng.gauss(3, 1):.3f}",
                "depth-cm": f"{rng.gauss(30, 10):.3f}",
            }
            writer.writerow([rng.choice(["yes", "no"]), *(values[c] for c in columns)])
    return folder


def _config(tmp_path: Path, data: Path, columns: list[str], schema: Path | None = None) -> Path:
    features = "".join(
        f'  - {{name: "{c}", type: {"string" if c == "island" else "float"}, '
        f"transform: {'vocabulary' if c == 'island' else 'zscore'}}}\n"
        for c in columns
    )
    path = tmp_path / f"config-{data.name}.yaml"
    path.write_text(
        f"name: growing\ndata: {{path: {data}}}\nworkspace: {tmp_path / 'ws'}\n"
        f"features:\n{features}label: {{name: outcome}}\n"
        + (f"schema: {{path: {schema}}}\n" if schema else "")
        + "evaluation: {bless: always}\n"
    )
    return path


def test_changes_name_added_removed_and_new_categories(tmp_path: Path) -> None:
    from tfxkit.pipeline import schema_evolution, schema_tools

    before_columns, after_columns = (
        ["reading", "island", "depth"],
        ["reading", "island", "depth-cm"],
    )
    old = _config(tmp_path, _data(tmp_path / "v1", before_columns, 1), before_columns)
    new = _config(tmp_path, _data(tmp_path / "v2", after_columns, 2, "Z"), after_columns)
    before = schema_tools.infer(load_config(old))
    after = schema_tools.infer(load_config(new))
    rows = {(c.change, c.feature) for c in schema_evolution.changes_between(before, after)}
    assert rows == {("added", "depth-cm"), ("removed", "depth"), ("values", "island")}


def test_accept_rewrites_a_curated_schema_file(tmp_path: Path, capsys) -> None:
    v1 = _data(tmp_path / "v1", ["reading", "island"], 3)
    frozen = tmp_path / "schema.pbtxt"
    assert (
        cli.main(
            [
                "schema",
                "freeze",
                "-c",
                str(_config(tmp_path, v1, ["reading", "island"])),
                "-o",
                str(frozen),
            ]
        )
        == 0
    )
    v2 = _data(tmp_path / "v2", ["reading", "island", "depth"], 4, new_island="Z")
    config = _config(tmp_path, v2, ["reading", "island", "depth"], schema=frozen)
    assert cli.main(["schema", "accept", "-c", str(config)]) == 0
    shown = capsys.readouterr().out
    assert (
        "added    depth" in shown and "new categories 'Z'" in shown and "nothing recorded" in shown
    )
    assert "depth" not in frozen.read_text()  # a preview writes nothing
    args = ["schema", "accept", "-c", str(config), "--yes", "--reason", "depth sensor added"]
    assert cli.main(args) == 0
    assert 'name: "depth"' in frozen.read_text() and '"Z"' in frozen.read_text()
    capsys.readouterr()
    assert cli.main(["schema", "accept", "-c", str(config)]) == 0
    assert "nothing to accept: the data fits" in capsys.readouterr().out


def test_accept_refuses_a_config_that_still_lists_a_removed_column(tmp_path: Path, capsys) -> None:
    v1 = _data(tmp_path / "v1", ["reading", "island", "depth"], 5)
    frozen = tmp_path / "schema.pbtxt"
    first = _config(tmp_path, v1, ["reading", "island", "depth"])
    assert cli.main(["schema", "freeze", "-c", str(first), "-o", str(frozen)]) == 0
    v2 = _data(tmp_path / "v2", ["reading", "island"], 6)
    stale = _config(tmp_path, v2, ["reading", "island"], schema=frozen)
    text = stale.read_text().replace(
        '  - {name: "island"',
        '  - {name: "depth", type: float, transform: zscore}\n  - {name: "island"',
    )
    stale.write_text(text)
    capsys.readouterr()
    # The data checks before any schema work already name the missing column.
    assert cli.main(["schema", "accept", "-c", str(stale), "--yes", "--reason", "x"]) != 0
    assert "depth" in capsys.readouterr().err
    assert 'name: "depth"' in frozen.read_text()  # nothing written


def test_accept_records_who_when_why_in_ml_metadata(tmp_path: Path, capsys, monkeypatch) -> None:
    """An approved schema in a real store (as the anomaly gate leaves it), then an acceptance:
    it becomes the newest approved schema and the resolver hands it to the next run."""
    from ml_metadata.proto import metadata_store_pb2 as pb
    from tfx import types as tfx_types
    from tfx.types import artifact_utils, standard_artifacts

    from tfxkit.metadata import store as metadata
    from tfxkit.pipeline import resolvers, schema_evolution, schema_tools

    monkeypatch.setenv("TFXKIT_USER", "reviewer-7")
    v1 = _data(tmp_path / "v1", ["reading", "island"], 7)
    first = load_config(_config(tmp_path, v1, ["reading", "island"]))
    folder = tmp_path / "approved"
    folder.mkdir()
    (folder / "schema.pbtxt").write_text(schema_tools.schema_text(schema_tools.infer(first)))
    store = metadata.open_store(metadata.connection_config(first))
    context_type = store.put_context_type(pb.ContextType(name="pipeline"))
    [context_id] = store.put_contexts([pb.Context(type_id=context_type, name="growing")])
    schema_type = store.put_artifact_type(pb.ArtifactType(name="Schema"))
    approved = pb.Artifact(type_id=schema_type, uri=str(folder), state=pb.Artifact.LIVE)
    approved.custom_properties[schema_tools.APPROVED_PROPERTY].string_value = "/stats/run-1"
    [approved_id] = store.put_artifacts([approved])
    store.put_attributions_and_associations(
        [pb.Attribution(artifact_id=approved_id, context_id=context_id)], []
    )

    v2 = _data(tmp_path / "v2", ["reading", "island", "depth"], 8)
    config = _config(tmp_path, v2, ["reading", "island", "depth"])
    args = ["schema", "accept", "-c", str(config), "--yes", "--reason", "new depth column"]
    assert cli.main(args) == 0
    assert "accepted: the schema of record is now" in capsys.readouterr().out
    [row] = schema_evolution.acceptances(load_config(config))
    assert row[schema_evolution.ACCEPTED_BY] == "reviewer-7"
    assert row[schema_evolution.ACCEPTED_WHY] == "new depth column"
    assert (
        row[schema_evolution.ACCEPTED_AT][:4].isdigit()
        and "depth" in row[schema_evolution.ACCEPTED_CHANGES]
    )
    schema, artifact = schema_tools.approved_schema_artifact(load_config(config))
    assert artifact.id != approved_id and "depth" in {f.name for f in schema.feature}
    # It keeps the last approval's statistics, so drift is still measured against that data.
    assert artifact.custom_properties[schema_tools.APPROVED_PROPERTY].string_value == "/stats/run-1"

    stored = [
        artifact_utils.deserialize_artifact(store.get_artifact_types_by_id([a.type_id])[0], a)
        for a in store.get_artifacts_by_type("Schema")
    ]
    statistics = standard_artifacts.ExampleStatistics()
    statistics.uri = "/stats/run-2"
    resolved = resolvers.PreviousApprovedSchemaStrategy().resolve_artifacts(
        None, {"statistics": [statistics], "schema": stored}
    )
    assert [a.id for a in resolved["schema"]] == [artifact.id]
    assert cli.main(["schema", "history", "-c", str(config)]) == 0
    assert "reviewer-7: new depth column" in capsys.readouterr().out
    assert isinstance(stored[0], tfx_types.Artifact)
