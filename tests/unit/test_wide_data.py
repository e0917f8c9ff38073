"""Very wide files (issue 28 probe: a 50,000-column CSV): a header longer than the 64 KiB
sniffing window was read as 'one line only' by tfxkit init."""

from __future__ import annotations

from pathlib import Path

from tfxkit.data.csv_sniff import sniff_dialect


def test_a_header_longer_than_the_sniffing_window_is_sniffed(tmp_path: Path) -> None:
    names = [f"sensor_reading_{i:05d}" for i in range(12_000)]  # ~260 KB of header
    rows = [";".join(str((r * 7 + i) % 10) for i in range(len(names))) for r in range(5)]
    (tmp_path / "wide.csv").write_text(";".join(names) + "\n" + "\n".join(rows) + "\n")
    dialect = sniff_dialect(tmp_path / "wide.csv")
    assert dialect["delimiter"] == ";" and dialect["header"] is True
    assert dialect["columns"] == names
