"""tfxkit.datasets.fashion_mnist: IDX files (as Debian ships them) -> a PNG folder per class."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from tfxkit.datasets import fashion_mnist as fm
from tfxkit.errors import DataError


def _idx(path: Path, values: np.ndarray, magic: int) -> None:
    header = np.array([magic, *values.shape], ">i4").tobytes()
    path.write_bytes(gzip.compress(header + values.astype(np.uint8).tobytes()))


def _source(root: Path, per_class: int = 3) -> Path:
    """IDX files of 10 classes, each image filled with its class id and its index."""
    root.mkdir()
    labels = np.tile(np.arange(10), per_class)
    images = np.stack([np.full((28, 28), 10 * label + i) for i, label in enumerate(labels)])
    for images_file, labels_file in fm.FILES.values():
        _idx(root / images_file, images, 2051)
        _idx(root / labels_file, labels, 2049)
    return root


def test_writes_the_first_images_of_each_class_as_pngs(tmp_path: Path) -> None:
    from PIL import Image

    source, out = _source(tmp_path / "idx"), tmp_path / "out"
    assert fm.prepare(out, limit=2, source=source) == {"train": 20, "test": 20}
    assert sorted(p.name for p in (out / "train").iterdir()) == sorted(fm.CLASSES)
    first, second = sorted((out / "test" / "trouser").iterdir())
    pixels = np.asarray(Image.open(first))
    assert pixels.shape == (28, 28) and pixels[0, 0] == 10 * 1 + 1  # label 1, image 1
    assert np.asarray(Image.open(second))[0, 0] == 10 * 1 + 11  # the next of its class

    assert fm.prepare(out, limit=1, source=source) == {"train": 10, "test": 10}  # replaced
    assert len(list((out / "train" / "bag").iterdir())) == 1


def test_missing_files_foreign_folders_and_bad_files_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="dataset-fashion-mnist"):
        fm.prepare(tmp_path / "out", source=tmp_path / "nothing")
    source = _source(tmp_path / "idx")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="did not write"):
        fm.prepare(foreign, source=source)
    images_file = source / fm.FILES["train"][0]
    images_file.write_bytes(gzip.compress(gzip.decompress(images_file.read_bytes())[:-5]))
    with pytest.raises(DataError, match="truncated"):
        fm.prepare(tmp_path / "out", source=source)
