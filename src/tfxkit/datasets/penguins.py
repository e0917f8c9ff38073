"""The Palmer penguins dataset (CC0), prepared offline from the ``palmerpenguins`` package.

Why prepared: the pipeline reads a plain CSV directory, and nothing may download at run time.
``python -m tfxkit.datasets.penguins`` regenerates ``tfxkit/data/penguins/penguins.csv`` from
the package (a dev dependency); the result is committed and shipped in the wheel.
Rows with any missing value are dropped so every feature is dense, and ``year`` is left out
because it identifies the collection season, not the bird.
"""

from __future__ import annotations

from pathlib import Path

COLUMNS = [
    "species",
    "island",
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
    "sex",
]


def data_dir() -> Path:
    """Directory of the shipped CSV (an ExampleGen input directory)."""
    return Path(__file__).resolve().parent.parent / "data" / "penguins"


def prepare(out_dir: Path | None = None) -> Path:
    """Write the cleaned CSV; returns its path."""
    import palmerpenguins  # dev dependency: only needed to regenerate the shipped file

    frame = palmerpenguins.load_penguins()[COLUMNS].dropna()
    for column in ("flipper_length_mm", "body_mass_g"):
        frame[column] = frame[column].astype("int64")
    target = (out_dir or data_dir()) / "penguins.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target, index=False)
    return target


if __name__ == "__main__":
    path = prepare()
    print(f"wrote {path} ({sum(1 for _ in path.open()) - 1} rows)")
