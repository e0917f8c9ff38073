"""`tfxkit init`: dialect sniffing, column profiles and drafts that validate (no pipeline run)."""

from __future__ import annotations

import importlib.metadata
import random
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
    assert config.name == "data"
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


def test_ids_and_free_text_are_left_out_with_a_reason(tmp_path: Path) -> None:
    rng = random.Random(1)
    rows = [
        f"{i},user-{rng.randrange(10**9):09d},{' '.join(rng.choices(WORDS, k=12))},{r}"
        for i, r in enumerate(_rows(1200), start=1)
    ]
    path = _csv(tmp_path, "\n".join(["row_id,user,note,age,length,kind,species", *rows]) + "\n")
    draft = build_draft(path, label="species")
    config = _validated(draft.text)
    assert set(_features(config)) == {"age", "length", "kind"}
    assert draft.uses["row_id"] == "left out: looks like an id (a different value in every row)"
    assert draft.uses["user"].startswith("left out: looks like an id")
    assert draft.uses["note"].startswith("left out: free text")
    assert "# left out row_id (int): looks like an id" in draft.text
    assert "# left out note (string): free text" in draft.text


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
    path = _csv(tmp_path, "\n".join(["age,length,kind,species", *_rows()]) + "\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "--data", str(path), "--label", "species"]) == 0
    out = capsys.readouterr().out
    written = tmp_path / "configs" / "data.yaml"
    assert _validated(written.read_text()).label.task == "multiclass"
    assert "run-pipeline -c configs/data.yaml" in out
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
