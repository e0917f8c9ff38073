"""Image folder trees (``data.format: images``): the rules the pre-run check and ingest share.

The layout every image tool reads: ``DIR/<label>/<name>.png|jpg|jpeg``, one sub-folder per
class, its name the label. Each rule fails with one ``DataError`` naming the file or folder:
a missing ``DIR``, no class folder, an empty class folder, one class only, a folder inside a
class folder, a file that is not a PNG or JPEG (by its name or by its content), an unreadable or
truncated image, and, when ``data.images`` fixes them, another size or number of channels.

Why Pillow and not TensorFlow: the pre-run check (``tfxkit.data.checks``) runs before
TensorFlow loads and must not import it; Pillow is installed with TFMA. ``inspect_image`` decodes
every pixel (``Image.load``): reading the header alone does not find a truncated file, which
would otherwise fail inside TF Transform or training much later. About 50 microseconds per
28x28 PNG here, so a 70,000-image folder costs a few seconds before the run.

Files whose names start with '.' (``.DS_Store``) are skipped, as for tables; files directly in
``DIR`` that are not images (a README, a LICENSE) are not read. The walk is
``tfxkit.data.class_folders``' (text folders share it); the images' own rules are here.

The other layout: ``DIR/*.tfrecord`` (``.tfrecords``, ``.gz`` for gzipped), TFRecord files of
tf.Examples that hold the encoded image as ``image`` and the label (``records``). The pre-run
check reads their framing only (a truncated file, no record): parsing tf.Examples needs
TensorFlow, so ImageExampleGen's executor checks each record's image and label.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass

from tfxkit.config.sections import DataConfig
from tfxkit.data import class_folders, records
from tfxkit.data.class_folders import ClassTree, FileKind, label_of, relative_path
from tfxkit.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
FORMATS = ("PNG", "JPEG")  # what tf.io.decode_image and TFDV's image statistics both read
DEFAULT_PATTERN = "*/*"  # ExampleGen's input pattern: every file of every class folder
_SIGNATURES = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff"}
_PNG_END = b"IEND\xaeB`\x82"  # the last chunk's type and checksum
IMAGE_KIND = FileKind("image", "an", IMAGE_SUFFIXES, "*.png")  # the folder walk's rules
ImageTree = ClassTree  # the image files under one folder (sorted), and per class how many


@dataclass(frozen=True)
class ImageSpec:
    """What every image must be (``data.images``); None: anything."""

    size: tuple[int, int] | None = None  # (height, width) in pixels
    channels: int | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"size": list(self.size) if self.size else None, "channels": self.channels}
        )

    @classmethod
    def of(cls, data: DataConfig) -> ImageSpec:
        """The spec ``data.images`` configures."""
        size = data.images.size
        return cls((size[0], size[1]) if size else None, data.images.channels)

    @classmethod
    def from_json(cls, text: str | None) -> ImageSpec:
        values = json.loads(text or "{}")
        size = values.get("size")
        return cls(tuple(size) if size else None, values.get("channels"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class ImageInfo:
    """One decoded image's format and shape."""

    format: str  # PNG | JPEG
    height: int
    width: int
    channels: int


def check_name(path: str) -> None:
    """A file in a class folder must be named as a PNG or JPEG image."""
    IMAGE_KIND.check_name(path)


def inspect_image(data: bytes, source: str, spec: ImageSpec | None = None) -> ImageInfo:
    """Decode one image's bytes fully; its format and shape, or a ``DataError`` naming
    ``source`` (unreadable, truncated, not PNG/JPEG, or not the size and channels of ``spec``)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, mode, (width, height) = image.format or "", image.mode, image.size
            bands = len(image.getbands())
            if mode in ("P", "PA"):  # a palette: tf.io.decode_image gives RGB, or RGBA
                bands = 4 if mode == "PA" or "transparency" in image.info else 3
            image.verify()  # the structure: PNG chunk checksums
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # every pixel: a truncated file fails here, not in training
    except UnidentifiedImageError:
        claimed = next((k for k, start in _SIGNATURES.items() if data.startswith(start)), "")
        if claimed:  # cut before its first pixels
            raise DataError(_unreadable(source, f"a truncated or corrupt {claimed}")) from None
        raise DataError(
            f"{source}: not an image (no image format recognized in its {len(data)} bytes); "
            "fix or remove the file"
        ) from None
    except Image.DecompressionBombError as exc:
        raise DataError(f"{source}: too large to decode safely ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:  # Pillow's truncated or corrupt data
        raise DataError(_unreadable(source, str(exc))) from None
    if kind == "PNG" and _PNG_END not in data:  # Pillow reads it; TensorFlow refuses it
        raise DataError(_unreadable(source, "a truncated PNG: no IEND chunk"))
    if kind not in FORMATS:
        raise DataError(
            f"{source}: a {kind} image; tfxkit reads PNG and JPEG (convert it, or remove it)"
        )
    info = ImageInfo(kind, height, width, bands)
    spec = spec or ImageSpec()
    if spec.size and (height, width) != tuple(spec.size):
        raise DataError(
            f"{source}: {height}x{width} pixels (height x width), but data.images.size is "
            f"{spec.size[0]}x{spec.size[1]}; resize the image, or remove data.images.size to "
            "accept every size"
        )
    if spec.channels and bands != spec.channels:
        raise DataError(
            f"{source}: {bands} channel(s) (Pillow mode {mode}), but data.images.channels is "
            f"{spec.channels}; convert the image, or remove data.images.channels"
        )
    return info


def _unreadable(source: str, why: str) -> str:
    return f"{source}: unreadable image ({why}); fix or remove the file"


def list_tree(folder: str | os.PathLike[str], pattern: str | None = None) -> ImageTree:
    """The image files under ``folder``, one class per sub-folder, checked by name only
    (``class_folders.list_tree``: no class folder, an empty class folder, a folder in a class
    folder, a file not named as an image, one class: each a ``DataError``); or its TFRecord
    files (``records.record_files``), with no class counts: the labels are inside them."""
    files = records.record_files(folder, pattern)
    if files:
        return ImageTree(tuple(files), {})
    return class_folders.list_tree(folder, IMAGE_KIND, pattern)


def scan_tree(
    folder: str | os.PathLike[str], pattern: str | None = None, spec: ImageSpec | None = None
) -> ImageTree:
    """``list_tree``, then every image decoded and held to ``spec`` (``inspect_image``); for
    TFRecord files, their framing read through (``records.count_records``)."""
    tree = list_tree(folder, pattern)
    if not tree.classes:  # TFRecord files
        if sum(records.count_records(path) for path in tree.files) == 0:
            raise DataError(f"data.path: the TFRecord files in {folder} hold no record")
        return tree
    for path in tree.files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        inspect_image(data, str(path), spec)
    return tree


__all__ = [
    "DEFAULT_PATTERN",
    "FORMATS",
    "IMAGE_SUFFIXES",
    "ImageInfo",
    "ImageSpec",
    "ImageTree",
    "check_name",
    "inspect_image",
    "label_of",
    "list_tree",
    "relative_path",
    "scan_tree",
]
