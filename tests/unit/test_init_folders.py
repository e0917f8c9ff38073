"""``tfxkit init DIR`` on a folder of class folders: images or .txt files (issue 23)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from tfxkit import cli
from tfxkit.config.pipeline_config import validate_config


def _png(path: Path, size: tuple[int, int], seed: int = 0) -> None:
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, size=size, dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode="L").save(path, format="PNG")


def _image_tree(root: Path, classes: dict[str, int], size: tuple[int, int] = (12, 10)) -> Path:
    for label, count in classes.items():
        for index in range(count):
            _png(root / label / f"{index}.png", size, seed=index)
    return root


def _text_tree(root: Path, classes: dict[str, list[str]]) -> Path:
    for label, texts in classes.items():
        (root / label).mkdir(parents=True)
        for index, text in enumerate(texts):
            (root / label / f"{index}.txt").write_text(text)
    return root


def _init(*args: str) -> int:
    return cli.main(["init", *args])


def test_an_image_tree_drafts_a_cnn_config_that_validates(tmp_path: Path, capsys) -> None:
    tree = _image_tree(tmp_path / "flowers", {"rose": 4, "tulip": 3, "daisy": 5})
    out = tmp_path / "draft.yaml"
    assert _init(str(tree), "-o", str(out)) == 0
    printed = capsys.readouterr().out
    assert "images by class folder, 12 files" in printed and "rose  4 files" in printed
    config = yaml.safe_load(out.read_text())
    validate_config(config, str(out))
    assert config["name"] == "flowers"  # the folder's name
    assert config["data"] == {
        "format": "images",
        "path": tree.as_posix(),
        "images": {"size": [12, 10], "channels": 1},  # every image is 12x10 grayscale
        "splits": {"train": 2, "eval": 1},
    }
    assert config["label"] == {"name": "label"}
    assert config["model"]["type"] == "cnn"
    assert config["evaluation"]["slices"] == [["label"]]
    # A quarter of the way from chance (1/3) to 1.
    bound = config["evaluation"]["thresholds"]["SparseCategoricalAccuracy"]["lower_bound"]
    assert bound == pytest.approx(1 / 3 + (2 / 3) / 4, abs=0.01)
    assert "daisy (5), rose (4), tulip (3)" in out.read_text()


def test_the_label_name_and_data_option_are_honoured(tmp_path: Path) -> None:
    tree = _image_tree(tmp_path / "images", {"cat": 2, "dog": 2})
    out = tmp_path / "draft.yaml"
    assert _init("--data", str(tree), "--label", "animal", "-o", str(out)) == 0
    config = yaml.safe_load(out.read_text())
    assert config["label"] == {"name": "animal"}
    assert config["evaluation"]["slices"] == [["animal"]]
    assert config["name"] != "images"  # a generic folder name: the name comes from above it


def test_mixed_sizes_are_resized_with_a_warning(tmp_path: Path, capsys) -> None:
    tree = _image_tree(tmp_path / "photos", {"cat": 3, "dog": 2}, size=(200, 100))
    _png(tree / "dog" / "wide.png", (50, 60))
    out = tmp_path / "draft.yaml"
    assert _init(str(tree), "-o", str(out)) == 0
    config = yaml.safe_load(out.read_text())
    # The commonest size, its longer side brought down to 96 pixels.
    assert config["data"]["images"] == {"resize": [96, 48], "channels": 1}
    assert "2 sizes" in capsys.readouterr().out


def test_a_bad_image_stops_init_naming_it(tmp_path: Path, capsys) -> None:
    tree = _image_tree(tmp_path / "shapes", {"a": 2, "b": 2})
    (tree / "a" / "1.png").write_bytes((tree / "a" / "1.png").read_bytes()[:40])
    out = tmp_path / "draft.yaml"
    assert _init(str(tree), "-o", str(out)) == 2
    assert "a/1.png: unreadable image" in capsys.readouterr().err
    assert not out.exists()


def test_a_text_tree_drafts_a_binary_text_config(tmp_path: Path) -> None:
    words = "win cash now free prize claim the offer today".split()
    tree = _text_tree(
        tmp_path / "mail",
        {
            "ham": [f"meeting at {i} about the report" for i in range(5)],
            "spam": [" ".join(words[: 3 + i]) for i in range(6)],
        },
    )
    out = tmp_path / "draft.yaml"
    assert _init(str(tree), "-o", str(out)) == 0
    config = yaml.safe_load(out.read_text())
    validate_config(config, str(out))
    assert config["data"]["format"] == "text_folder"
    (feature,) = config["features"]
    assert (feature["name"], feature["transform"]) == ("text", "text")
    # 'spam' is the positive class by its name, though ham is the smaller class.
    assert config["label"] == {"name": "label", "task": "binary", "positive": "spam"}
    assert config["model"]["type"] == "text_pooling"
    assert "AUC" in config["evaluation"]["thresholds"]


def test_three_text_classes_are_multiclass(tmp_path: Path) -> None:
    tree = _text_tree(
        tmp_path / "news",
        {c: [f"{c} story number {i} today" for i in range(3)] for c in ("sport", "tech", "art")},
    )
    out = tmp_path / "draft.yaml"
    assert _init(str(tree), "-o", str(out)) == 0
    config = yaml.safe_load(out.read_text())
    assert config["label"] == {"name": "label"}
    assert "SparseCategoricalAccuracy" in config["evaluation"]["thresholds"]


def test_data_named_twice_or_never_is_refused(tmp_path: Path, capsys) -> None:
    tree = _image_tree(tmp_path / "shapes", {"a": 2, "b": 2})
    assert _init(str(tree), "--data", str(tree)) == 2
    assert _init() == 2
    assert "name the data once" in capsys.readouterr().err


def test_a_csv_text_column_drafts_a_text_model(tmp_path: Path) -> None:
    rows = ["review,score"] + [
        f'"{"so good and fresh, will buy again" if i % 2 else "stale and bland, never again"} '
        f'{i}",{"great" if i % 2 else "other"}'
        for i in range(60)
    ]
    data = tmp_path / "reviews"
    data.mkdir()
    (data / "reviews.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "draft.yaml"
    assert _init(str(data), "--label", "score", "-o", str(out)) == 0
    config = yaml.safe_load(out.read_text())
    (review,) = config["features"]
    assert review["transform"] == "text" and review["tokenizer"] == "unicode_script"
    assert config["model"]["type"] == "text_pooling"


def test_every_non_utf8_text_file_is_counted_in_one_error(tmp_path: Path, capsys) -> None:
    tree = _text_tree(
        tmp_path / "mail",
        {"ham": [f"note {i} about lunch" for i in range(4)], "spam": ["win", "cash", "now"]},
    )
    for name in ("ham/1.txt", "spam/2.txt"):
        (tree / name).write_bytes("Grüße aus München".encode("latin-1"))
    out = tmp_path / "draft.yaml"
    assert _init(str(tree), "-o", str(out)) == 2
    err = capsys.readouterr().err
    assert "2 of the 7 text files are not UTF-8; the first: " in err
    assert "ham/1.txt: not UTF-8 text" in err and "then 2.txt" in err
    assert not out.exists()


def test_a_label_named_as_an_image_key_is_refused(tmp_path: Path, capsys) -> None:
    tree = _image_tree(tmp_path / "shapes", {"a": 2, "b": 2})
    assert _init(str(tree), "--label", "image_path", "-o", str(tmp_path / "d.yaml")) == 2
    assert "--label image_path: image, image_path" in capsys.readouterr().err
