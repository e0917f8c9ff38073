"""Checks before any component for Parquet input, and the split column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.paths import PENGUIN_CONFIG
from tfxkit.config.pipeline_config import load_config, validate_config
from tfxkit.data.checks import check_local_data
from tfxkit.errors import ConfigError, DataError


def _parquet(folder: Path, columns: dict) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), folder / "part-0.parquet")
    return folder


def _config(data: Path, *extra: str):
    return load_config(PENGUIN_CONFIG, [f"data.path={data}", "data.format=parquet", *extra])


PENGUIN_COLUMNS = {
    "species": ["Adelie", "Gentoo"],
    "island": ["Dream", "Biscoe"],
    "bill_length_mm": [39.1, 46.1],
    "bill_depth_mm": [18.7, 13.2],
    "flipper_length_mm": [181, 211],
    "body_mass_g": [3750, 4500],
    "sex": ["male", None],
}


def test_good_parquet_passes(tmp_path: Path) -> None:
    check_local_data(_config(_parquet(tmp_path, PENGUIN_COLUMNS)))


def test_parquet_missing_a_configured_column_is_named(tmp_path: Path) -> None:
    columns = {k: v for k, v in PENGUIN_COLUMNS.items() if k != "island"}
    with pytest.raises(DataError, match=r"columns \['island'\] are configured"):
        check_local_data(_config(_parquet(tmp_path, columns)))


def test_parquet_column_that_is_not_a_tf_name_is_refused(tmp_path: Path) -> None:
    columns = dict(PENGUIN_COLUMNS, **{"bill length": [1.0, 2.0]})
    data = _parquet(tmp_path, columns)
    feature = '[{"name": "bill length", "type": "float", "transform": "zscore"}]'
    config = _config(data, f"features={feature}", "evaluation.slices=[]")
    with pytest.raises(DataError, match=r"not valid TensorFlow names.*'bill_length'"):
        check_local_data(config)


def test_not_a_parquet_file_names_the_file(tmp_path: Path) -> None:
    tmp_path.joinpath("data.parquet").write_text("species,island\n")
    with pytest.raises(DataError, match=r"data\.parquet: not a Parquet file"):
        check_local_data(_config(tmp_path))


def test_split_column_must_exist_and_not_be_the_label(tmp_path: Path) -> None:
    data = _parquet(tmp_path, PENGUIN_COLUMNS)
    with pytest.raises(DataError, match=r"columns \['bird_id'\] are configured"):
        check_local_data(_config(data, "data.split_column=bird_id"))
    with pytest.raises(ConfigError, match=r"splitting by the label would leak it"):
        _config(data, "data.split_column=species")


def test_parquet_timestamps_pass_and_structs_are_named(tmp_path: Path) -> None:
    """Timestamps are converted by ingest (TFX's executor crashed on them); a struct column has
    no tf.Example form and is named before any component starts."""
    import datetime

    import pyarrow as pa

    moment = datetime.datetime(2001, 1, 1)
    timed = dict(PENGUIN_COLUMNS, date=[moment, moment])
    check_local_data(_config(_parquet(tmp_path / "timed", timed)))
    nested = dict(PENGUIN_COLUMNS, extra=pa.array([{"a": 1}, {"a": 2}]))
    with pytest.raises(DataError, match=r"columns \['extra \(struct<a: int64>\)'\] have no tf"):
        check_local_data(_config(_parquet(tmp_path / "nested", nested)))


def test_missing_path_file_empty_folder_and_unmatched_pattern_are_told_apart(
    tmp_path: Path,
) -> None:
    """Issue 22 #7: a missing path and an empty directory read the same before."""
    (tmp_path / "penguins").mkdir()
    (tmp_path / "penguins" / "a.csv").write_text("x,y\n1,0\n")
    (tmp_path / "empty").mkdir()
    cases = {
        str(tmp_path / "penguin"): "does not exist (did you mean '" + str(tmp_path / "penguins"),
        str(tmp_path / "penguins" / "a.csv"): "is a file; give the folder",
        str(tmp_path / "empty"): "is an empty folder",
    }
    for path, message in cases.items():
        with pytest.raises(DataError, match=re.escape(message)):
            check_local_data(_minimal(path))
    with pytest.raises(DataError, match=re.escape("matches data.pattern 'span-{SPAN}/*.csv'")):
        check_local_data(_minimal(str(tmp_path / "penguins"), pattern="span-{SPAN}/*.csv"))


def test_a_misspelled_column_gets_a_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("Outcome,glucose_level\n1,2.0\n0,3.0\n")
    config = validate_config(
        {
            "name": "m",
            "data": {"path": str(tmp_path)},
            "features": [{"name": "glucose_levle", "type": "float", "transform": "zscore"}],
            "label": {"name": "outcome"},
            "evaluation": {"bless": "always"},
        }
    )
    with pytest.raises(DataError) as caught:
        check_local_data(config)
    assert "did you mean 'glucose_level' for 'glucose_levle', 'Outcome' for 'outcome'?" in str(
        caught.value
    )


def _minimal(path: str, pattern: str | None = None):
    data = {"path": path, **({"pattern": pattern} if pattern else {})}
    return validate_config(
        {
            "name": "m",
            "data": data,
            "features": [{"name": "x", "type": "float", "transform": "zscore"}],
            "label": {"name": "y"},
            "evaluation": {"bless": "always"},
        }
    )


def test_a_huge_header_is_not_echoed_whole(tmp_path: Path) -> None:
    """Issue 28: a 20 KB header line was repeated whole in the error."""
    columns = [f"column_{i:05d}" for i in range(2000)]
    (tmp_path / "a.csv").write_text(",".join(columns) + "\n" + ",".join("1" * 2000) + "\n")
    with pytest.raises(DataError) as caught:
        check_local_data(_minimal(str(tmp_path)))
    message = str(caught.value)
    assert "and 1970 more" in message and len(message) < 2000


@pytest.mark.parametrize("value", ["inf", "-Infinity", "+inf"])  # "nan" is missing by default
def test_a_non_finite_float_is_named_not_passed(tmp_path: Path, value: str) -> None:
    """Issue 28: nan/inf in a float feature passed every check and wrecked the model."""
    (tmp_path / "a.csv").write_text(f"x,y\n1.5,0\n{value},1\n")
    with pytest.raises(DataError, match=re.escape(f"a.csv line 3: column 'x' holds '{value}'")):
        check_local_data(_minimal(str(tmp_path)))
    config = _minimal(str(tmp_path))
    config.data.csv.missing_values.append(value)  # declared missing: fine
    check_local_data(config)


def test_a_cell_over_128_kib_is_read(tmp_path: Path) -> None:
    """Issue 28: Python's csv stops at 128 KiB per cell and the file was called malformed."""
    (tmp_path / "a.csv").write_text(f'x,y,note\n1.5,0,"{"w" * 300_000}"\n2.5,1,short\n')
    check_local_data(_minimal(str(tmp_path)))


def _binary(path: Path, **label) -> object:
    return validate_config(
        {
            "name": "m",
            "data": {"path": str(path)},
            "features": [{"name": "x", "type": "float", "transform": "zscore"}],
            "label": {"name": "grade", "task": "binary", **label},
            "evaluation": {"bless": "always"},
        }
    )


def test_label_positive_must_be_a_value_of_the_label(tmp_path: Path) -> None:
    """Issue 22 #9: which value of a string binary label is positive was neither settable nor
    checked; a misspelled one names the values and the nearest."""
    (tmp_path / "a.csv").write_text("x,grade\n1.0,pass\n2.0,fail\n3.0,absent\n")
    check_local_data(_binary(tmp_path, positive="pass"))
    with pytest.raises(DataError, match="label.positive 'Pass' is not a value of column") as caught:
        check_local_data(_binary(tmp_path, positive="Pass"))
    assert "did you mean 'pass' for 'Pass'?" in str(caught.value)
    with pytest.raises(
        DataError, match="has 3 values .* but label.task is binary: set label.positive"
    ):
        check_local_data(_binary(tmp_path))


@pytest.mark.parametrize(
    ("label", "why"),
    [
        ({"task": "multiclass", "positive": "a"}, "it applies to a binary label"),
        ({"derive": "x > 1", "positive": "a"}, "a derived label's positive class"),
    ],
)
def test_label_positive_only_for_a_binary_column(label: dict, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        validate_config(
            {
                "name": "m",
                "data": {"path": "d"},
                "features": [{"name": "x", "type": "float", "transform": "zscore"}],
                "label": {"name": "y", **label},
                "evaluation": {"bless": "always"},
            }
        )
