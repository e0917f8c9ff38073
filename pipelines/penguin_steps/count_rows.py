"""The container step's command: count the rows ExampleGen wrote, per split, into counts.json.

Run as ``python -m penguin_steps.count_rows --examples URI --out URI``; standard library only
(a TFRecord is a sequence of length-prefixed records: 8-byte length, 4-byte CRC, the record,
4-byte CRC), so the step starts in well under a second.
"""

from __future__ import annotations

import argparse
import gzip
import json
import struct
from pathlib import Path


def count_records(path: Path) -> int:
    """Records in one gzipped TFRecord file."""
    count = 0
    with gzip.open(path, "rb") as handle:
        while header := handle.read(12):
            (length,) = struct.unpack("<Q", header[:8])
            handle.seek(length + 4, 1)
            count += 1
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", required=True, help="the Examples artifact's URI")
    parser.add_argument("--out", required=True, help="the RowCounts artifact's URI")
    args = parser.parse_args(argv)
    counts = {
        split.name.removeprefix("Split-"): sum(count_records(f) for f in sorted(split.glob("*.gz")))
        for split in sorted(Path(args.examples).glob("Split-*"))
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "counts.json").write_text(json.dumps(counts, sort_keys=True))
    print(f"rows per split: {counts}")


if __name__ == "__main__":
    main()
