"""Very wide files (issue 28 probe: a 50,000-column CSV): a header longer than the 64 KiB
sniffing window was read as 'one line only' by tfxkit init."""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_wide_data import COLUMNS, _wide
from tfxkit.data.csv_sniff import sniff_dialect


def test_a_header_longer_than_the_sniffing_window_is_sniffed(tmp_path: Path) -> None:
    names = [f"sensor_reading_{i:05d}" for i in range(12_000)]  # ~260 KB of header
    rows = [";".join(str((r * 7 + i) % 10) for i in range(len(names))) for r in range(5)]
    (tmp_path / "wide.csv").write_text(";".join(names) + "\n" + "\n".join(rows) + "\n")
    dialect = sniff_dialect(tmp_path / "wide.csv")
    assert dialect["delimiter"] == ";" and dialect["header"] is True
    assert dialect["columns"] == names


def test_a_wide_file_read_whole_gets_the_hint_before_the_run(tmp_path: Path) -> None:
    from tfxkit.config.pipeline_config import validate_config
    from tfxkit.runners import session as run_session

    names = _wide(tmp_path / "data")
    config = validate_config(
        {
            "name": "wide",
            "data": {"path": str(tmp_path / "data")},
            "features": [{"name": n, "type": "float", "transform": "zscore"} for n in names[:4]],
            "label": {"name": "outcome"},
            "evaluation": {"bless": "always"},
        }
    )
    said: list[str] = []
    session = run_session.RunSession(config=config, progress=said.append)
    run_session._hint_wide_data(session)
    assert said and f"the data has {COLUMNS + 1:,} columns and the pipeline reads 5" in said[0]
    assert "data.columns: used" in said[0]


def test_columns_used_is_refused_for_tf_example_records() -> None:
    import pytest

    from tfxkit.config.pipeline_config import validate_config
    from tfxkit.errors import ConfigError

    with pytest.raises(
        ConfigError, match="data.columns: used reads CSV, Parquet and JSON lines only"
    ):
        validate_config(
            {
                "name": "w",
                "data": {"path": "d", "format": "tfrecord", "columns": "used"},
                "features": [{"name": "x", "type": "float", "transform": "zscore"}],
                "label": {"name": "y"},
                "evaluation": {"bless": "always"},
            }
        )
