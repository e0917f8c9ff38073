"""`tfxkit init`: dialect sniffing, column profiles and drafts that validate (no pipeline run)."""

from __future__ import annotations

import datetime
import importlib.metadata
import random
import re
from pathlib import Path

import pytest
import yaml

from tfxkit import cli
from tfxkit.config.pipeline_config import (
    DEFAULT_METRICS,
    DEFAULT_MISSING_VALUES,
    PipelineConfig,
    validate_config,
)
from tfxkit.data.init_draft import build_draft, draft_config, profile_columns, sniff_dialect
from tfxkit.errors import ConfigError, DataError

SPECIES = ("Adelie", "Gentoo", "Chinstrap")
WORDS = "the a penguin swims far and fast over cold blue water ice fish eats sleeps".split()


def _csv(tmp_path: Path, text: str | bytes, folder: str = "data", name: str = "data.csv") -> Path:
    """One CSV file in a folder of its own (data.path is the folder, which the pipeline reads)."""
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _rows(n: int = 120, sep: str = ",", seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        cells = [str(rng.randint(1, 90)), f"{rng.uniform(30, 60):.1f}", rng.choice(["x", "y", "z"])]
        rows.append(sep.join([*cells, SPECIES[i % 3]]))
    return rows


def _validated(text: str) -> PipelineConfig:
    return validate_config(yaml.safe_load(text), "draft")


def _features(config: PipelineConfig) -> dict[str, tuple[str, str]]:
    return {f.name: (f.type, f.transform) for f in config.features}


def test_comma_with_header_types_transforms_and_task(tmp_path: Path) -> None:
    path = _csv(tmp_path, "\n".join(["age,length,kind,species", *_rows()]) + "\n")
    config = _validated(draft_config(path, label="species"))
    assert config.name == tmp_path.name.lower()  # data/data.csv: generic, the folder above
    assert Path(config.data.path) == path.parent
    assert config.data.csv == type(config.data.csv)()  # every sniffed key is the default
    assert _features(config) == {
        "age": ("int", "zscore"),
        "length": ("float", "zscore"),
        "kind": ("string", "vocabulary"),
    }
    assert (config.label.name, config.label.type, config.label.task) == (
        "species",
        "string",
        "multiclass",
    )
    assert config.evaluation.metrics == ["SparseCategoricalAccuracy", "ExampleCount"]
    assert config.evaluation.thresholds["SparseCategoricalAccuracy"].lower_bound == 0.5


def test_spaces_after_delimiters_are_stripped(tmp_path: Path) -> None:
    path = _csv(tmp_path, "\n".join(["a, b, c, species", *_rows(sep=", ")]) + "\n")
    dialect = sniff_dialect(path)
    assert dialect["skip_initial_space"] is True
    assert dialect["columns"] == ["a", "b", "c", "species"]
    config = _validated(draft_config(path, label="species"))
    assert config.data.csv.skip_initial_space  # the default, which strips the spaces
    assert _features(config) == {
        "a": ("int", "zscore"),
        "b": ("float", "zscore"),
        "c": ("string", "vocabulary"),
    }


def test_semicolon_delimited(tmp_path: Path) -> None:
    path = _csv(tmp_path, "\n".join(["a;b;c;species", *_rows(sep=";")]) + "\n")
    assert sniff_dialect(path)["delimiter"] == ";"
    config = _validated(draft_config(path, label="species"))
    assert config.data.csv.delimiter == ";"
    assert _features(config)["b"] == ("float", "zscore")


def test_tab_delimited(tmp_path: Path) -> None:
    path = _csv(tmp_path, "\n".join(["a\tb\tc\tspecies", *_rows(sep="\t")]) + "\n")
    assert sniff_dialect(path)["delimiter"] == "\t"
    config = _validated(draft_config(path, label="species"))
    assert config.data.csv.delimiter == "\t"


def test_single_quoted_fields_holding_the_delimiter(tmp_path: Path) -> None:
    rows = [f"{r},'O''Brien, {i % 4}'" for i, r in enumerate(_rows())]
    path = _csv(tmp_path, "\n".join(["a,b,c,species,owner", *rows]) + "\n")
    dialect = sniff_dialect(path)
    assert (dialect["delimiter"], dialect["quote_char"]) == (",", "'")
    config = _validated(draft_config(path, label="species"))
    assert config.data.csv.quote_char == "'"
    owner = next(p for p in profile_columns(path, dialect) if p.name == "owner")
    assert (owner.distinct, owner.examples[0]) == (4, "O'Brien, 0")


def test_single_quotes_after_a_space_following_the_delimiter(tmp_path: Path) -> None:
    """`a; 'b; c'`: the quote opens only once the space is skipped (found on a real file)."""
    rows = [f"{r.replace(',', '; ')}; 'x; {i % 4}'" for i, r in enumerate(_rows())]
    path = _csv(tmp_path, "\n".join(["a; b; c; species; owner", *rows]) + "\n")
    dialect = sniff_dialect(path)
    assert (dialect["delimiter"], dialect["quote_char"]) == (";", "'")
    assert dialect["skip_initial_space"] is True
    owner = next(p for p in profile_columns(path, dialect) if p.name == "owner")
    assert (owner.distinct, owner.examples[0]) == (4, "x; 0")


def test_header_less_file_gets_column_names(tmp_path: Path) -> None:
    path = _csv(tmp_path, "\n".join(_rows()) + "\n")
    dialect = sniff_dialect(path)
    assert dialect["header"] is False
    assert dialect["column_names"] == ["column_1", "column_2", "column_3", "column_4"]
    config = _validated(draft_config(path, label="column_4"))
    assert config.data.csv.header is False
    assert config.data.csv.column_names == ["column_1", "column_2", "column_3", "column_4"]
    assert config.label.name == "column_4"
    assert profile_columns(path, dialect)[0].rows == 120  # the first line is data


def test_question_mark_markers_are_missing_values(tmp_path: Path) -> None:
    rows = [r if i % 10 else "?," + r.split(",", 1)[1] for i, r in enumerate(_rows())]
    path = _csv(tmp_path, "\n".join(["age,length,kind,species", *rows]) + "\n")
    assert "?" in sniff_dialect(path)["missing_markers"]
    config = _validated(draft_config(path, label="species"))
    assert config.data.csv.missing_values == [*DEFAULT_MISSING_VALUES, "?"]
    age = next(f for f in config.features if f.name == "age")
    assert (age.type, age.missing.indicator) == ("int", True)  # 10% missing: an indicator
    length = next(f for f in config.features if f.name == "length")
    assert not length.missing.indicator


def test_latin1_file_is_read_as_latin1(tmp_path: Path) -> None:
    rows = [f"{r},{'Zürich' if i % 2 else 'Genève'}" for i, r in enumerate(_rows())]
    text = "\n".join(["age,length,kind,species,city", *rows]) + "\n"
    path = _csv(tmp_path, text.encode("latin-1"))
    assert sniff_dialect(path)["encoding"] == "latin-1"
    draft = build_draft(path, label="species")
    assert any("not valid UTF-8" in w and "latin-1" in w for w in draft.warnings)
    config = _validated(draft.text)
    assert config.data.csv.encoding == "latin-1"
    assert _features(config)["city"] == ("string", "vocabulary")


def test_ids_are_left_out_with_a_reason_and_free_text_is_drafted_as_text(tmp_path: Path) -> None:
    rng = random.Random(1)
    rows = [
        f"{i},user-{rng.randrange(10**9):09d},{' '.join(rng.choices(WORDS, k=12))},{r}"
        for i, r in enumerate(_rows(1200), start=1)
    ]
    path = _csv(tmp_path, "\n".join(["row_id,user,note,age,length,kind,species", *rows]) + "\n")
    draft = build_draft(path, label="species")
    config = _validated(draft.text)
    assert _features(config) == {
        "note": ("string", "text"),
        "age": ("int", "zscore"),
        "length": ("float", "zscore"),
        "kind": ("string", "vocabulary"),
    }
    assert draft.uses["row_id"] == "left out: looks like an id (a different value in every row)"
    assert draft.uses["user"].startswith("left out: looks like an id")
    assert "# left out row_id (int): looks like an id" in draft.text
    assert "text: 1200 values of 12 words on average" in draft.text


def test_a_column_almost_never_present_is_left_out_with_a_reason(tmp_path: Path) -> None:
    """Issue 22: a column with a value in 1 of ~15,000 rows was drafted (and printed as 100.0%
    missing); the run then died in Transform on a feature TFDV had deprecated."""
    rng = random.Random(3)
    rows = [
        f"{rng.random():.3f},{'x' if i == 7 else ''},{rng.choice(['a', 'b'])}"
        for i in range(15_000)
    ]
    path = _csv(tmp_path, "\n".join(["length,rare_note,kind", *rows]) + "\n")
    draft = build_draft(path, label="kind")
    assert set(_features(_validated(draft.text))) == {"length"}
    assert draft.uses["rare_note"] == (
        "left out: a value in only 1 of 15000 rows (99.99% missing): too rare to learn from"
    )


def test_binary_string_label(tmp_path: Path) -> None:
    rows = [f"{r.rsplit(',', 1)[0]},{'yes' if i % 3 else 'no'}" for i, r in enumerate(_rows())]
    path = _csv(tmp_path, "\n".join(["age,length,kind,adopted", *rows]) + "\n")
    text = draft_config(path, label="adopted")
    config = _validated(text)
    assert (config.label.type, config.label.task) == ("string", "binary")
    assert "AUC" in config.evaluation.metrics and "SparseCategoricalAccuracy" not in text
    assert config.evaluation.thresholds["AUC"].lower_bound == 0.6
    # The draft writes what a config without evaluation.metrics computes (Calibration too).
    assert config.evaluation.metrics == list(DEFAULT_METRICS["binary"])


def test_int_label_with_few_values_is_multiclass(tmp_path: Path) -> None:
    path = _csv(tmp_path, "\n".join(["age,length,kind,species", *_rows()]) + "\n")
    config = _validated(draft_config(path, label="kind"))
    assert (config.label.type, config.label.task) == ("string", "multiclass")
    rows = [f"{r},{i % 4}" for i, r in enumerate(_rows())]
    path = _csv(tmp_path, "\n".join(["age,length,kind,species,grade", *rows]) + "\n", "ints")
    config = _validated(draft_config(path, label="grade"))
    assert (config.label.type, config.label.task) == ("int", "multiclass")
    assert "grade" not in _features(config)


def test_float_label_is_regression_gated_at_the_mean_predictors_error(tmp_path: Path) -> None:
    import statistics

    path = _csv(tmp_path, "\n".join(["age,length,kind,species", *_rows()]) + "\n")
    config = _validated(draft_config(path, label="length"))
    assert (config.label.type, config.label.task) == ("float", "regression")
    assert config.evaluation.metrics == list(DEFAULT_METRICS["regression"])
    lengths = [float(r.split(",")[1]) for r in _rows()]
    bound = config.evaluation.thresholds["RootMeanSquaredError"].upper_bound
    assert bound == pytest.approx(statistics.pstdev(lengths), rel=1e-3)
    config = _validated(draft_config(path, label="age"))  # 90 distinct ints: a quantity
    assert config.label.task == "regression"


def test_odd_column_names_round_trip_through_yaml(tmp_path: Path) -> None:
    names = ["arr delay (min)", "yes", "2nd try", "a: b", "#tag"]
    rows = [f"{i % 37},{'xy'[i % 2]},{i * 1.5},{'pq'[i % 3 > 0]},{i % 5}" for i in range(99)]
    rows = [f"{r},{SPECIES[i % 3]}" for i, r in enumerate(rows)]
    path = _csv(tmp_path, "\n".join([",".join([*names, "species"]), *rows]) + "\n")
    config = _validated(draft_config(path, label="species"))
    assert [f.name for f in config.features] == names


def test_directory_of_files(tmp_path: Path) -> None:
    _csv(tmp_path, "\n".join(["age,length,kind,species", *_rows(50)]) + "\n", "many", "1.csv")
    path = _csv(
        tmp_path, "\n".join(["age,length,kind,species", *_rows(70)]) + "\n", "many", "2.csv"
    )
    draft = build_draft(path.parent, label="species")
    assert draft.profiles[0].rows == 120
    assert _validated(draft.text).data.path == path.parent.as_posix()
    assert not draft.warnings
    (path.parent / "README.md").write_text("# about these files\nsee the wiki\n")
    with pytest.raises(DataError, match="header differs from"):
        build_draft(path.parent, label="species")


def test_a_file_beside_other_files_gets_a_warning(tmp_path: Path) -> None:
    path = _csv(tmp_path, "\n".join(["age,length,kind,species", *_rows()]) + "\n")
    (path.parent / "notes.txt").write_text("not data\n")
    draft = build_draft(path, label="species")
    assert any("also holds notes.txt" in w for w in draft.warnings)
    assert "# WARNING:" in draft.text
    # and the draft reads that one file: the run would otherwise read notes.txt (or another
    # CSV) too, and stop on its header
    data = _validated(draft.text).data
    assert (data.path, data.pattern) == (path.parent.as_posix(), path.name)


def test_without_a_label_the_draft_has_a_placeholder(tmp_path: Path) -> None:
    path = _csv(tmp_path, "\n".join(["age,length,kind,species", *_rows()]) + "\n")
    draft = build_draft(path)
    assert draft.label is None and "label" not in draft.config
    assert "# label: {name: COLUMN" in draft.text
    assert draft.candidates()[0] == "species (string, 3 values: multiclass)"
    with pytest.raises(ConfigError, match="label: required key is missing"):
        _validated(draft.text)


def test_profile_columns(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a,b\n1,x\n2,NA\n,y\n4,x\n")
    a, b = profile_columns(path, sniff_dialect(path))
    assert (a.type, a.rows, a.missing, a.distinct, a.examples) == ("int", 4, 1, 3, ["1", "2", "4"])
    assert (b.type, b.missing, b.distinct, b.markers) == ("string", 1, 2, {"NA"})
    assert profile_columns(path, sniff_dialect(path), sample_rows=2)[0].rows == 2


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (None, DataError, "no such file or directory"),
        (b"", DataError, "is empty"),
        (b"age,length,species\n", DataError, "line 1: one line only"),
        ("age,species\n1,x\n".encode("utf-16"), DataError, "line 1: NUL bytes"),
        (b"age,species\n1,x\n2,y\n3\n", DataError, "line 4: 1 cells, but the header has 2"),
        (b'age,species\n1,x\n2,"y\n', DataError, "line 3: malformed CSV"),
    ],
)
def test_errors_name_the_file(tmp_path: Path, content, error, message) -> None:
    path = tmp_path / "bad" / "bad.csv"
    if content is not None:
        _csv(tmp_path, content, "bad", "bad.csv")
    with pytest.raises(error, match=message) as info:
        build_draft(path, label="species")
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_label_must_be_a_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, "\n".join(["age,length,kind,species", *_rows()]) + "\n")
    with pytest.raises(ConfigError, match=r"--label 'specie' is not a column of .*: age, length"):
        build_draft(path, label="specie")


def test_cli_writes_the_draft_and_says_what_to_run(tmp_path: Path, monkeypatch, capsys) -> None:
    text = "\n".join(["age,length,kind,species", *_rows()]) + "\n"
    path = _csv(tmp_path, text, "colony_survey/data")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "--data", str(path), "--label", "species"]) == 0
    out = capsys.readouterr().out
    written = tmp_path / "configs" / "colony_survey.yaml"
    assert _validated(written.read_text()).label.task == "multiclass"
    assert "run-pipeline -c configs/colony_survey.yaml" in out
    assert "  length   float   zscore" in out
    assert "species  string  label (multiclass, 3 values)" in out

    assert cli.main(["init", "--data", str(path), "--label", "kind"]) == 2  # exists: refused
    assert "already exists" in capsys.readouterr().err
    assert _validated(written.read_text()).label.name == "species"
    assert cli.main(["init", "--data", str(path), "--label", "kind", "--force"]) == 0
    assert _validated(written.read_text()).label.name == "kind"


def test_cli_without_label_exits_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    path = _csv(tmp_path, "\n".join(["age,length,kind,species", *_rows()]) + "\n")
    output = tmp_path / "out" / "draft.yaml"
    assert cli.main(["init", "--data", str(path), "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "--label COLUMN" in err and "species (string, 3 values: multiclass)" in err
    assert not output.parent.exists()
    assert cli.main(["init", "--data", str(tmp_path / "nope.csv"), "-o", str(output)]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert cli.main(["init", "--data", str(path), "--label", "x", "-o", str(output)]) == 2
    assert not output.parent.exists()


def test_palmer_penguins_file(tmp_path: Path, capsys) -> None:
    dist = importlib.metadata.distribution("palmerpenguins")
    path = Path(str(dist.locate_file("palmerpenguins/data/penguins.csv")))
    output = tmp_path / "penguins.yaml"
    assert cli.main(["init", "--data", str(path), "--label", "species", "-o", str(output)]) == 0
    assert "missing: 'NA'" in capsys.readouterr().out
    text = output.read_text()
    config = _validated(text)
    assert sniff_dialect(path)["missing_markers"] == ["NA"]
    assert "NA" in config.data.csv.missing_values
    assert "# CSV: comma-delimited, a header row, utf-8; missing: 'NA'." in text
    assert "inferred from 344 rows" in text
    features = _features(config)
    assert features["bill_length_mm"] == ("float", "zscore")
    assert features["year"] == ("int", "zscore")
    assert features["island"] == ("string", "vocabulary")
    assert (config.label.name, config.label.type, config.label.task) == (
        "species",
        "string",
        "multiclass",
    )
    assert "penguins-raw.csv" in text  # the warning: data.path holds another file


def test_a_tiny_spread_label_bound_stays_a_number_for_any_yaml_reader(tmp_path: Path) -> None:
    """json.dumps writes 1e-05, which YAML 1.1 (yaml.safe_load) reads as a string."""
    # kind follows i % 3, the label i % 2: had it followed the label, it would leak (left out)
    rows = [f"{i},{'x' if i % 3 else 'y'},{1 + (i % 2) * 2e-5:.6f}" for i in range(60)]
    path = _csv(tmp_path, "\n".join(["n,kind,tiny", *rows]) + "\n")
    text = draft_config(path, label="tiny")
    bound = yaml.safe_load(text)["evaluation"]["thresholds"]["RootMeanSquaredError"]
    assert isinstance(bound["upper_bound"], float)
    assert (
        _validated(text).evaluation.thresholds["RootMeanSquaredError"].upper_bound
        == bound["upper_bound"]
    )


def _leaky_table(seed: int) -> tuple[str, dict[str, str], str]:
    """A CSV whose columns have random names: an honest score, a category, an amount paid only
    when the label is yes (a leak), a date recorded only then (a leak), and the label."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    names: dict[str, str] = {}
    for role in ("score", "kind", "amount", "closed_on", "label"):
        while (name := "".join(rng.choices(letters, k=rng.randint(4, 11)))) in names.values():
            pass
        names[role] = name
    rows = []
    for _ in range(rng.randint(300, 1500)):
        score = rng.gauss(0, 1)
        yes = score + rng.gauss(0, 1) > 0.5
        amount = f"{rng.uniform(5, 900):.2f}" if yes else "0"
        closed = f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}" if yes else ""
        cells = [f"{score:.3f}", rng.choice("pqr"), amount, closed, "yes" if yes else "no"]
        rows.append(",".join(cells))
    header = ",".join(names[r] for r in ("score", "kind", "amount", "closed_on", "label"))
    return "\n".join([header, *rows]) + "\n", names, names["label"]


@pytest.mark.parametrize("seed", range(4))
def test_a_column_that_gives_the_label_away_is_left_out_saying_why(
    tmp_path: Path, seed: int
) -> None:
    """Issue 22 #6: outcome columns recorded after the fact trained an AUC 0.997 model."""
    text, names, label = _leaky_table(seed)
    draft = build_draft(_csv(tmp_path, text), label=label)
    config = _validated(draft.text)
    assert set(_features(config)) == {names["score"], names["kind"]}
    for role in ("amount", "closed_on"):
        why = draft.uses[names[role]]
        assert why.startswith("left out: alone it predicts the label (AUC 1.000 on held-out rows)")
        assert why.endswith(
            "looks like target leakage (add it back by hand if it is known at prediction time)"
        )
        assert f"# left out {names[role]} (" in draft.text
        assert (
            f"left out '{names[role]}': alone it predicts the label (AUC 1.000 on held-out "
            "rows) — looks like target leakage; add it back by hand if it is known at "
            "prediction time"
        ) in draft.warnings
    assert draft.uses[names["score"]] == "zscore"  # predictive (AUC ~0.8), kept


def test_init_says_which_column_leaks(tmp_path: Path, monkeypatch, capsys) -> None:
    text, names, label = _leaky_table(7)
    path = _csv(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "--data", str(path), "--label", label]) == 0
    out = capsys.readouterr().out
    assert f"warning: left out '{names['amount']}': alone it predicts the label (AUC" in out
    assert "looks like target leakage; add it back by hand" in out


def test_without_a_label_nothing_is_scored(tmp_path: Path) -> None:
    text, names, _ = _leaky_table(3)
    draft = build_draft(_csv(tmp_path, text))
    assert draft.uses[names["amount"]] == "zscore"  # no label to leak yet


# ----------------------------------------------------------------- issue 22 #8: init gaps
# Every table below is generated: column names, words and values are drawn from a seed, so
# no rule can be tuned to one dataset's names.

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _names(rng: random.Random, k: int) -> list[str]:
    """k distinct lower-case names, none of them a generic folder word."""
    from tfxkit.data.init_inputs import GENERIC_NAMES

    names: list[str] = []
    while len(names) < k:
        name = "".join(rng.choices(LETTERS, k=rng.randint(4, 9)))
        if rng.random() < 0.3:
            name += "_" + "".join(rng.choices(LETTERS, k=3))
        if name not in names and name not in GENERIC_NAMES:
            names.append(name)
    return names


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _reviews(rng: random.Random, rows: int) -> tuple[list[list[str]], list[int]]:
    """[text, label] rows: prose from a generated vocabulary; the label says whether words
    from a hidden 'good' list outnumber a 'bad' one. Also each value's word count."""
    vocabulary = _names(rng, rng.randint(40, 300))
    good, bad = vocabulary[:8], vocabulary[8:16]
    out, lengths = [], []
    for _ in range(rows):
        words = rng.choices(vocabulary, k=rng.randint(3, rng.choice([12, 40, 90])))
        score = sum(w in good for w in words) - sum(w in bad for w in words)
        out.append([" ".join(words), "yes" if score > 0 else "no"])
        lengths.append(len(words))
    return out, lengths


@pytest.mark.parametrize("seed", range(4))
def test_a_file_with_only_a_text_column_and_a_label_is_drafted_as_text(
    tmp_path: Path, seed: int, monkeypatch, capsys
) -> None:
    """Issue 22 #8: such a file was refused ('no column can be a feature'), yet transform: text
    on it trained well (AUC 0.896 against 0.819 without the text)."""
    rng = random.Random(seed)
    text, label = _names(rng, 2)
    rows, lengths = _reviews(rng, rng.randint(150, 1500))
    path = _write(tmp_path / "reviews" / f"{text}.csv", [text, label], rows)
    draft = build_draft(path, label=label)
    config = _validated(draft.text)
    assert _features(config) == {text: ("string", "text")}
    assert (config.label.name, config.label.task) == (label, "binary")
    kept = config.features[0].max_tokens or 16  # the default
    assert kept >= sorted(lengths)[int(0.9 * len(lengths)) - 1]  # 9 values in 10 whole
    assert kept <= 256
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "--data", str(path), "--label", label, "-o", "t.yaml"]) == 0
    assert re.search(rf"\n  {text} +string +text +0\.0% missing", capsys.readouterr().out)


@pytest.mark.parametrize("seed", range(3))
def test_text_is_drafted_beside_other_features_and_noise_is_left_out(
    tmp_path: Path, seed: int
) -> None:
    """Text is drafted whenever it reads as prose whose words recur; words that never recur
    (random tokens) are left out saying so."""
    rng = random.Random(seed)
    text, noise, number, label = _names(rng, 4)
    reviews, _ = _reviews(rng, 600)
    rows = [
        [t, " ".join(_names(rng, 5)), f"{rng.gauss(0, 1):.3f}", y] for t, y in reviews
    ]  # each noise value: 5 fresh random tokens
    draft = build_draft(_write(tmp_path / "d" / "x.csv", [text, noise, number, label], rows), label)
    assert _features(_validated(draft.text)) == {
        text: ("string", "text"),
        number: ("float", "zscore"),
    }
    assert draft.uses[noise].startswith("left out: free text whose words rarely recur")
    candidates = build_draft(draft.source).candidates()  # no label yet: text is no candidate
    assert candidates[0].startswith(f"{label} (string, 2 values")
    assert not any(c.startswith(f"{text} ") for c in candidates)


def _table(rng: random.Random, rows: int) -> tuple[list[str], list[list[str]], dict[str, str]]:
    """Columns by role (random names; 'cost' has a space): amount, cost, kind, score."""
    amount, first, second, kind, score = _names(rng, 5)
    roles = {"amount": amount, "cost": f"{first} {second}", "kind": kind, "score": score}
    out = []
    for _ in range(rows):
        cost = rng.uniform(10, 100)
        cells = [f"{cost * rng.uniform(0.7, 1.8):.2f}", f"{cost:.2f}", rng.choice("pqrs")]
        out.append([*cells, f"{rng.gauss(0, 1):.3f}"])
    return list(roles.values()), out, roles


@pytest.mark.parametrize("seed", range(4))
def test_a_condition_as_label_is_drafted_as_label_derive(tmp_path: Path, seed: int) -> None:
    """Issue 22 #8: --label "total > 0.2 * price" was refused as 'not a column'. The columns the
    condition reads are the label's source: left out of the features, saying why."""
    rng = random.Random(seed)
    header, rows, roles = _table(rng, rng.randint(200, 900))
    factor = rng.choice([1.1, 1.2, 1.25])
    cost_key = roles["cost"].replace(" ", "_")  # a column with a space: its feature key
    condition = f"{roles['amount']} > {factor} * {cost_key}"
    flag = _names(rng, 1)[0]  # a copy of the condition: target leakage
    rows = [[*r, "y" if float(r[0]) > factor * float(r[1]) else "n"] for r in rows]
    draft = build_draft(_write(tmp_path / "d" / "t.csv", [*header, flag], rows), condition)
    config = _validated(draft.text)
    assert config.label.derive == condition and config.label.resolved_task == "binary"
    name = f"{roles['amount']}_over_{factor}_x_{cost_key}".replace(".", "_")
    assert config.label.name == (name if len(name) <= 40 else "label")  # readable, or short
    assert _features(config) == {
        roles["kind"]: ("string", "vocabulary"),
        roles["score"]: (
            "float",
            "zscore",
        ),
    }
    for source in (roles["amount"], roles["cost"]):
        assert draft.uses[source] == (
            "left out: used by label.derive (as a feature it would give the label away)"
        )
    assert draft.uses[flag].startswith("left out: alone it predicts the label")
    assert config.evaluation.thresholds["AUC"].lower_bound == 0.6
    assert "1 where the condition holds" in draft.text


def test_a_condition_as_label_through_the_cli(tmp_path: Path, monkeypatch, capsys) -> None:
    rng = random.Random(11)
    header, rows, roles = _table(rng, 300)
    path = _write(tmp_path / "d" / "t.csv", header, rows)
    monkeypatch.chdir(tmp_path)
    condition = f"{roles['amount']} >= {roles['cost'].replace(' ', '_')} and {roles['score']} > 0"
    assert cli.main(["init", "--data", str(path), "--label", condition, "-o", "t.yaml"]) == 0
    out = capsys.readouterr().out
    assert f"label (binary: {condition})" in out
    assert _validated((tmp_path / "t.yaml").read_text()).label.derive == condition


@pytest.mark.parametrize("seed", range(3))
def test_a_label_that_is_neither_a_column_nor_a_condition_says_how(
    tmp_path: Path, seed: int, capsys
) -> None:
    rng = random.Random(seed)
    header, rows, roles = _table(rng, 100)
    path = _write(tmp_path / "d" / "t.csv", header, rows)
    amount = roles["amount"]
    typo = amount[:2] + amount[3:]  # one letter dropped
    with pytest.raises(ConfigError) as info:
        build_draft(path, label=typo)
    message = str(info.value)
    assert f"--label '{typo}' is not a column of {path}; did you mean '{amount}'?" in message
    assert "label.derive" in message and "nor a condition" not in message
    with pytest.raises(ConfigError, match=rf"'{typo}' is not a column .*did you mean '{amount}'"):
        build_draft(path, label=f"{typo} > 3")
    with pytest.raises(ConfigError, match=r"nor a condition \(is not a valid expression"):
        build_draft(path, label=f"{amount} > > 3")
    with pytest.raises(ConfigError, match="never true in the 100 rows read"):
        build_draft(path, label=f"{amount} > 1000000 * {roles['score']} and {amount} < 0")
    assert cli.main(["init", "--data", str(path), "--label", f"{typo} > 1", "-o", "x.yaml"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and f"did you mean '{amount}'" in err


@pytest.mark.parametrize("seed", range(4))
def test_the_pipeline_is_named_after_the_data_never_a_generic_folder(
    tmp_path: Path, seed: int
) -> None:
    """Issue 22 #8: `init --data data` named the pipeline 'data'."""
    from tfxkit.config.types import PIPELINE_NAME_PATTERN
    from tfxkit.data.init_inputs import GENERIC_NAMES

    rng = random.Random(seed)
    project, stem, other = _names(rng, 3)
    generic = rng.sample(["data", "raw", "input", "csv", "datasets", "Data", "RAW"], 3)
    text = "\n".join(["age,length,kind,species", *_rows(60)]) + "\n"
    root = tmp_path / f"s{seed}"

    def layout(*parts: str) -> Path:
        path = root.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    single = layout(project, generic[0], f"{stem}.csv")
    spaced = layout(other, generic[1], f"{stem.title()} Export 2024.csv")
    generic_file = layout(project, generic[1], "data.csv")
    parts = [layout(project, generic[2], "input", f"part-{i:05d}.csv") for i in range(2)]
    deep = layout("data", "raw", "input", "csv", "data.csv")  # generic all the way up
    cases = {
        single.parent: stem,  # the folder holds one CSV file: its name
        single: stem,
        spaced.parent: f"{stem}_export_2024",
        generic_file: project,  # data.csv in raw/: the project folder
        generic_file.parent: project,
        parts[0].parent: project,  # many part files: the nearest folder with a name
        deep: "pipeline",
    }
    for data, expected in cases.items():
        draft = build_draft(data, label="species")
        assert draft.config["name"] == expected, data
        assert re.fullmatch(PIPELINE_NAME_PATTERN, expected)
        assert expected not in GENERIC_NAMES or data == deep  # nothing better to name it
        assert _validated(draft.text).name == expected
    assert build_draft(single, label="species", name="mine").config["name"] == "mine"


def _when(rng: random.Random) -> datetime.datetime:
    return datetime.datetime(2021, 1, 1) + datetime.timedelta(minutes=rng.randrange(1_500_000))


@pytest.mark.parametrize("seed", range(4))
def test_date_columns_are_drafted_with_transform_date(tmp_path: Path, seed: int) -> None:
    """Issue 22 #8: a date column was left out as 'looks like an id', with no date features
    offered. Dates, datetimes and ISO timestamps (some missing) get transform: date; a day- or
    month-first date is left out saying how to write it."""
    rng = random.Random(seed)
    day, stamp, iso, local, ambiguous, number, label = _names(rng, 7)
    rows = []
    for i in range(rng.randint(120, 2000)):
        when = _when(rng)
        cells = [
            f"{when:%Y-%m-%d}" if i % 9 else "",  # ~11% missing: an indicator
            f"{when:%Y-%m-%d %H:%M:%S}",  # a different value in every row
            f"{when:%Y-%m-%dT%H:%M:%S}Z",
            f"{when:%Y/%m/%d %H:%M}",
            f"{when:%m/%d/%Y}",
            str(rng.randint(0, 9)),
            rng.choice(["yes", "no"]),
        ]
        rows.append(cells)
    header = [day, stamp, iso, local, ambiguous, number, label]
    draft = build_draft(_write(tmp_path / "d" / "t.csv", header, rows), label=label)
    config = _validated(draft.text)
    assert _features(config) == {
        day: ("string", "date"),
        stamp: ("string", "date"),
        iso: ("string", "date"),
        local: ("string", "date"),
        number: ("int", "zscore"),
    }
    assert next(f for f in config.features if f.name == day).missing.indicator
    assert draft.uses[stamp] == "date"
    assert draft.uses[ambiguous].startswith("left out: day or month first dates (")
    assert "write them year first (2024-03-05) for transform: date" in draft.uses[ambiguous]
    assert "# dates (day of week, month, days);" in draft.text  # the day column: no hour
    assert "# dates (day of week, month, hour, days);" in draft.text
    assert draft.config["evaluation"].get("slices") is None
