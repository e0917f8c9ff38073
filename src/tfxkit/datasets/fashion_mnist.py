"""Fashion-MNIST (Zalando, MIT) as the input an image user has: a folder of PNGs per class.

Why a folder tree: ``data.format: images`` reads ``DIR/<class>/*.png``, the layout every image
tool writes, so the demo starts where a user would. The images come from Debian's
``dataset-fashion-mnist`` package (gzipped IDX files under ``/usr/share/datasets/fashion-mnist``;
``make fashion-mnist-data`` installs it when it can), read with NumPy: nothing is downloaded and
tensorflow_datasets is not needed.

``python -m tfxkit.datasets.fashion_mnist OUT_DIR [--limit N]`` writes
``OUT_DIR/{train,test}/<class>/<n>.png`` (28x28 grayscale), the first N images of each class of
each split in file order (all 6,000 / 1,000 without ``--limit``), so the same call writes the
same files. ``configs/fashion_mnist.yaml`` reads ``workspace/fashion-mnist/train``.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
from pathlib import Path

import numpy as np

from tfxkit.errors import DataError

SOURCE = Path("/usr/share/datasets/fashion-mnist")
PACKAGE = "dataset-fashion-mnist"
FILES = {  # split -> (images, labels)
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# The label ids' names (Zalando's README), as folder names: the folder name is the class.
CLASSES = (
    "t-shirt_top", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle_boot",
)  # fmt: skip
MARKER = ".fashion-mnist"  # in OUT_DIR: written here, so a re-run may replace it
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049  # IDX: unsigned bytes, 3 or 1 dimensions


def _read_idx(path: Path, magic: int) -> np.ndarray:
    """An IDX file (big-endian header: magic, then one int32 per dimension) as uint8."""
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    dims = magic - 2048
    header = np.frombuffer(data, ">i4", count=1 + dims)
    if int(header[0]) != magic:
        raise DataError(f"{path}: not an IDX file of {dims} dimension(s) (magic {header[0]})")
    shape = tuple(int(n) for n in header[1:])
    values = np.frombuffer(data, np.uint8, offset=4 * (1 + dims))
    if values.size != int(np.prod(shape)):
        raise DataError(f"{path}: {values.size} bytes for shape {shape}: truncated or corrupt")
    return values.reshape(shape)


def read_split(split: str, source: Path = SOURCE) -> tuple[np.ndarray, np.ndarray]:
    """(images [n, 28, 28] uint8, labels [n] uint8) of ``train`` or ``test``."""
    images_file, labels_file = (source / name for name in FILES[split])
    for path in (images_file, labels_file):
        if not path.is_file():
            raise DataError(
                f"{path} is missing: Fashion-MNIST comes from Debian's '{PACKAGE}' package, "
                f"not installed here; install it (`apt-get install -y {PACKAGE}`, or `make "
                "fashion-mnist-data`, which does when it can) or pass --source DIR holding "
                "the gzipped IDX files"
            )
    images, labels = _read_idx(images_file, _IMAGES_MAGIC), _read_idx(labels_file, _LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(f"{source}: {len(images)} images but {len(labels)} labels ({split})")
    return images, labels


def _clear(out_dir: Path) -> None:
    """Empty ``out_dir`` of an earlier run of this script; refuse any other folder's files."""
    if not out_dir.exists() or not any(out_dir.iterdir()):
        return
    if not (out_dir / MARKER).is_file():
        raise DataError(
            f"{out_dir} holds files this script did not write; give an empty or new folder"
        )
    for split in FILES:
        shutil.rmtree(out_dir / split, ignore_errors=True)


def prepare(out_dir: Path, limit: int | None = None, source: Path = SOURCE) -> dict[str, int]:
    """Write the PNG folder tree; returns the number of images per split."""
    from PIL import Image

    if limit is not None and limit < 1:
        raise DataError(f"--limit {limit}: write at least one image per class")
    splits = {split: read_split(split, source) for split in FILES}  # every file read first
    _clear(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("written by python -m tfxkit.datasets.fashion_mnist\n")
    written = {}
    for split, (images, labels) in splits.items():
        count = 0
        for label, name in enumerate(CLASSES):
            folder = out_dir / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for n, index in enumerate(np.flatnonzero(labels == label)[:limit]):
                Image.fromarray(images[index], "L").save(folder / f"{n:05d}.png")
                count += 1
        written[split] = count
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--limit", type=int, default=None, help="images per class and split")
    parser.add_argument("--source", type=Path, default=SOURCE, help="the gzipped IDX files")
    args = parser.parse_args(argv)
    try:
        written = prepare(args.out_dir, args.limit, args.source)
    except DataError as exc:
        parser.exit(2, f"error: {exc}\n")
    counts = ", ".join(f"{n} {split}" for split, n in written.items())
    print(f"wrote {args.out_dir}/{{train,test}}/<class>/*.png: {counts} images, 10 classes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
