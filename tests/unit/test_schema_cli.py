"""`tfxkit schema infer | freeze | diff` on data alone (no pipeline run needed)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.paths import PENGUIN_DATA
from tfxkit import cli

CONFIG = """\
name: schemas
data: {path: DATA}
workspace: WS
features:
  - {name: bill length (mm), type: float, transform: zscore}
  - {name: island, type: string, transform: vocabulary}
label: {name: species}
evaluation: {bless: always}
"""


def _data(folder: Path, island: str | None = None) -> Path:
    with (PENGUIN_DATA / "penguins.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    folder.mkdir(parents=True)
    with (folder / "penguins.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["species", "island", "bill length (mm)"])
        for row in rows:
            writer.writerow([row["species"], island or row["island"], row["bill_length_mm"]])
    return folder


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "schemas.yaml"
    text = CONFIG.replace("DATA", str(_data(tmp_path / "good"))).replace("WS", str(tmp_path))
    path.write_text(text)
    return path


def test_infer_prints_the_schema_keyed_like_the_examples(config: Path, capsys) -> None:
    assert cli.main(["schema", "infer", "-c", str(config)]) == 0
    text = capsys.readouterr().out
    assert 'name: "bill_length__mm_"' in text  # the column key CsvExampleGen writes
    assert "string_domain" in text or 'domain: "island"' in text


def test_freeze_then_diff_names_what_new_data_violates(
    config: Path, tmp_path: Path, capsys
) -> None:
    frozen = tmp_path / "schemas" / "schemas.pbtxt"
    assert cli.main(["schema", "freeze", "-c", str(config), "-o", str(frozen)]) == 0
    out = capsys.readouterr().out
    assert "inferred from the data" in out and f"schema: {{path: {frozen}}}" in out
    pinned = ["-c", str(config), "--set", f"schema.path={frozen}"]
    assert cli.main(["schema", "diff", *pinned]) == 0
    assert "no anomalies" in capsys.readouterr().out
    mars = _data(tmp_path / "mars", island="Mars")
    assert cli.main(["schema", "diff", *pinned, "--data", str(mars)]) == 1
    out = capsys.readouterr().out
    assert "island" in out and "ENUM_TYPE_UNEXPECTED_STRING_VALUES" in out and "Mars" in out
    # freeze refuses to overwrite without --force
    assert cli.main(["schema", "freeze", "-c", str(config), "-o", str(frozen)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_diff_without_a_reference_says_how_to_get_one(config: Path, capsys) -> None:
    assert cli.main(["schema", "diff", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert "no schema to compare against yet" in err and "tfxkit schema freeze" in err


def test_infer_keeps_the_types_the_config_declares(tmp_path: Path, capsys) -> None:
    """A zero-padded code declared string stays a string (it was inferred INT, and the run then
    failed in Transform with "Expected int64, but got __missing__")."""
    data = tmp_path / "codes"
    data.mkdir()
    rows = [f"{i % 12 + 1:02d},{i % 3},{'yes' if i % 2 else 'no'}" for i in range(60)]
    (data / "rows.csv").write_text("month,tier,label\n" + "\n".join(rows) + "\n")
    path = tmp_path / "codes.yaml"
    path.write_text(
        f"name: codes\ndata: {{path: {data}}}\nworkspace: {tmp_path}\nfeatures:\n"
        "  - {name: month, type: string, transform: vocabulary}\n"
        "  - {name: tier, type: float, transform: zscore}\nlabel: {name: label}\n"
        "evaluation: {bless: always}\n"
    )
    assert cli.main(["schema", "infer", "-c", str(path)]) == 0
    text = capsys.readouterr().out
    month = text[text.index('name: "month"') :].split("feature {")[0]
    tier = text[text.index('name: "tier"') :].split("feature {")[0]
    assert "type: BYTES" in month and "type: FLOAT" in tier, text
