"""``tfxkit init DIR`` for a folder tree of examples by class (``DIR/<label>/<file>``): images
(``data.format: images``) or .txt files (``data.format: text_folder``).

Why apart from ``data.init_draft``: a folder tree has no columns to profile. The draft is the
folder's classes, and what the files are: the images' formats, sizes and channels (decoded with
Pillow by the pre-run check's own ``inspect_image``, so a bad file stops ``init`` as it would
stop the run), or the texts' lengths in words (``max_tokens``). The label is the folder name,
a feature called ``label`` unless ``--label`` names it otherwise.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tfxkit.config.sections import IMAGE_KEYS, TEXT_FOLDER_KEYS
from tfxkit.data import images, text_folders
from tfxkit.data.class_folders import ClassTree
from tfxkit.data.column_profile import ColumnProfile, max_tokens
from tfxkit.data.init_inputs import pipeline_name
from tfxkit.errors import ConfigError, DataError

SAMPLE_FILES = 5000  # files decoded (spread over the tree) to describe sizes and lengths
PASSES = 5  # training passes over the train split a draft's train_steps aims at
STEPS = (200, 5000)  # the fewest and most train_steps a draft sets
BATCH = 32
RESIZE_MAX = 96  # mixed sizes: the model sees the commonest size, its sides at most this
POSITIVE_NAMES = ("spam", "positive", "pos", "yes", "true", "1", "relevant", "fraud", "toxic")


@dataclass
class FolderDraft:
    """What ``tfxkit init`` found in a folder tree, and the YAML text it drafted."""

    kind: str  # images | text_folder
    source: Path
    output: str
    classes: dict[str, int]
    summary: str  # one line: what the files are
    warnings: list[str] = field(default_factory=list)
    text: str = ""


def folder_kind(source: Path) -> str | None:
    """``images`` or ``text_folder`` when ``source`` is a folder whose sub-folders hold image
    or .txt files (the first file found decides); None for anything else (CSV files...)."""
    if not source.is_dir():
        return None
    for folder in sorted(p for p in source.iterdir() if p.is_dir() and p.name[:1] != "."):
        for file in sorted(folder.iterdir()):
            name = file.name.lower()
            if file.name[:1] == "." or not file.is_file():
                continue
            if name.endswith(images.IMAGE_SUFFIXES):
                return "images"
            if name.endswith(text_folders.TEXT_SUFFIXES):
                return "text_folder"
            return None
    return None


def _sample(tree: ClassTree) -> list[Path]:
    """At most SAMPLE_FILES files, every k-th of the tree sorted by path (spread over the
    classes)."""
    step = max(1, math.ceil(len(tree.files) / SAMPLE_FILES))
    return list(tree.files[::step])


def _steps(count: int) -> int:
    """PASSES passes over the train split (2 of 3 hash buckets), within STEPS."""
    wanted = math.ceil(PASSES * count * 2 / 3 / BATCH)
    return min(max(wanted, STEPS[0]), STEPS[1])


def _classes_note(classes: dict[str, int]) -> str:
    shown = ", ".join(f"{name} ({n})" for name, n in list(classes.items())[:6])
    return f"{len(classes)} classes: {shown}{', ...' * (len(classes) > 6)}"


def _lower_bound(classes: int) -> float:
    """A quarter of the way from chance (1 / classes) to a perfect accuracy."""
    chance = 1 / classes
    return round(chance + (1 - chance) / 4, 2)


def build_folder_draft(
    source: Path, kind: str, label: str | None, name: str | None, output: str | None
) -> FolderDraft:
    """Walk and read the tree (errors name the file, as the pre-run check's do) and draft."""
    name = name or pipeline_name(source, [])
    label = label or "label"
    taken = IMAGE_KEYS if kind == "images" else TEXT_FOLDER_KEYS
    if label in taken:
        raise ConfigError(f"--label {label}: {', '.join(taken)} are the examples' own keys")
    draft = FolderDraft(kind, source, output or f"configs/{name}.yaml", {}, "")
    tree = (images.list_tree if kind == "images" else text_folders.list_tree)(source)
    draft.classes = tree.classes
    draw = _images if kind == "images" else _texts
    sections = draw(draft, tree, label)
    count = len(tree.files)
    lines = [
        f"# Drafted by `tfxkit init` from {source}: {count} files, {draft.summary}.",
        "# One sub-folder per class, its name the label. Check the model, the steps and the",
        "# threshold, then run it with the standard pipeline (it builds any config):",
        f"#   run-pipeline -c {draft.output}",
        *(f"# WARNING: {w}" for w in draft.warnings),
        f"name: {name}",
        "",
        *sections["data"],
        f"label: {sections['label']}  # {_classes_note(tree.classes)}",
        "",
        *sections["model"],
        "training:",
        f"  batch_size: {BATCH}",
        f"  train_steps: {_steps(count):<15}  # about {PASSES} passes over the "
        f"~{count * 2 // 3} training files",
        "",
        *sections["evaluation"],
    ]
    draft.text = "\n".join(lines)
    return draft


def _images(draft: FolderDraft, tree: ClassTree, label: str) -> dict:
    """The sections for an image tree (every sampled image decoded: a bad one stops here,
    naming the file)."""
    shapes: Counter[tuple[int, int]] = Counter()
    bands: Counter[int] = Counter()
    formats: Counter[str] = Counter()
    for path in _sample(tree):
        info = images.inspect_image(path.read_bytes(), str(path))
        shapes[(info.height, info.width)] += 1
        bands[info.channels] += 1
        formats[info.format] += 1
    (height, width), _ = shapes.most_common(1)[0]
    channels = bands.most_common(1)[0][0] if len(bands) == 1 else 3
    kinds = "/".join(sorted(formats))
    if len(shapes) == 1:
        spec = f"{{size: [{height}, {width}], channels: {channels}}}"
        why = "every image is so (checked before the run)"
        draft.summary = f"{kinds}, {height}x{width}, {channels} channel(s)"
    else:
        scale = min(1.0, RESIZE_MAX / max(height, width))
        resize = [max(1, round(height * scale)), max(1, round(width * scale))]
        spec = f"{{resize: {resize}, channels: {channels}}}"
        why = "the model sees every image so (resized in the Transform graph)"
        draft.summary = f"{kinds}, {len(shapes)} sizes (commonest {height}x{width})"
        draft.warnings.append(
            f"the images have {len(shapes)} sizes: the Transform graph resizes each to {resize}"
        )
    classes = len(tree.classes)
    return {
        "data": [
            "data:",
            "  format: images                # path/<class>/*.png: the folder name is the label",
            f"  path: {draft.source.as_posix()}",
            f"  images: {spec}  # {why}",
            "  splits: {train: 2, eval: 1}   # hash buckets of each image's path",
            "",
        ],
        "label": f"{{name: {label}}}",
        "model": [
            "model:",
            "  type: cnn                     # conv blocks, then hidden layers; or mobilenet",
            "  conv_filters: [32, 64]",
            "  kernel_size: 3",
            "  dropout: 0.25",
            "  hidden_units: [64]",
            "",
        ],
        "evaluation": [
            "evaluation:",
            "  thresholds:",
            f"    SparseCategoricalAccuracy: {{lower_bound: {_lower_bound(classes)}}}  # a "
            f"quarter of the way from chance ({1 / classes:.2f}) to 1",
            f"  slices: [[{label}]]  # accuracy per class (and each class's precision, recall)",
            "",
        ],
    }


def _texts(draft: FolderDraft, tree: ClassTree, label: str) -> dict:
    """The sections for a tree of .txt files (every sampled file decoded: a bad one stops
    here, naming the file). Two classes make a binary label, scored by AUC."""
    _all_utf8(tree)
    profile = ColumnProfile("text")
    for path in _sample(tree):
        profile.add(" ".join(text_folders.decode_text(path.read_bytes(), str(path)).split()))
    profile.finish()
    tokens = max_tokens(profile) or 16
    draft.summary = f".txt, {profile.mean_words:.0f} words on average"
    classes = sorted(tree.classes)
    if len(classes) == 2:
        named = [c for c in classes if c.lower() in POSITIVE_NAMES]
        positive = (named or [min(classes, key=lambda c: (tree.classes[c], c))])[0]
        label_text = f"{{name: {label}, task: binary, positive: {positive}}}"
        threshold = "    AUC: {lower_bound: 0.6}"
    else:
        label_text = f"{{name: {label}}}"
        bound = _lower_bound(len(classes))
        threshold = f"    SparseCategoricalAccuracy: {{lower_bound: {bound}}}"
    return {
        "data": [
            "data:",
            "  format: text_folder           # path/<class>/*.txt: the folder name is the label",
            f"  path: {draft.source.as_posix()}",
            "  splits: {train: 2, eval: 1}   # hash buckets of each file's path",
            "",
            "features:",
            "  # tokenized by tensorflow-text in the Transform graph: serving takes the raw text",
            "  - {name: text, type: string, transform: text, tokenizer: unicode_script, "
            f"max_tokens: {tokens}, top_k: 10000, oov_buckets: 20}}",
            "",
        ],
        "label": label_text,
        "model": [
            "model:",
            "  type: text_pooling            # averaged embeddings; or text_cnn, text_transformer",
            "  embedding_dim: 32",
            "  hidden_units: [16]",
            "  dropout: 0.2",
            "",
        ],
        "evaluation": ["evaluation:", "  thresholds:", threshold, ""],
    }


def _all_utf8(tree: ClassTree) -> None:
    """Every file decodes as UTF-8, else one error that counts them all and names the first
    few: found in a trial on SpamAssassin, where 500 of 6,046 mails are latin-1 and the run's
    check names one file at a time."""
    bad = []
    for path in tree.files:
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            bad.append(path)
    if bad:
        first = str(bad[0])
        try:
            text_folders.decode_text(bad[0].read_bytes(), first)
        except DataError as exc:
            first = str(exc).split(";")[0]
        more = f" and {len(bad) - 4} more" if len(bad) > 4 else ""
        others = ", ".join(p.name for p in bad[1:4]) + more
        raise DataError(
            f"{len(bad)} of the {len(tree.files)} text files are not UTF-8; the first: {first}"
            f"{'; then ' + others if others else ''}. Convert them to UTF-8 (e.g. iconv -f "
            "latin1 -t utf-8; docs/text.md shows a loop over a folder), then run init again"
        )
