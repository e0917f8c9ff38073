"""``tfxkit init`` then ``run-pipeline --config`` as a new user runs them (issue 23): a folder of
images by class and a CSV with a text column, each drafted, then run by the standard pipeline
(no pipeline file) to a pushed model. The draft is used as written, but for fewer training
steps (``--set``), as a quick trial would; the text run also slices the evaluation by the
review's length in tokens (``evaluation.text_length_slices``, a Transform output).

The images are 3 classes x 40 tiny PNGs whose classes differ in where the light is (a square
in the middle, the left half, every other row), so a CNN tells them apart in a few steps. The
text is 240 reviews whose words say 'great' or 'other'.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.pipeline_runs import run_pipeline, versions
from tfxkit import cli

pytestmark = pytest.mark.slow

STEPS = "training.train_steps=40"


def _image_tree(root: Path, per_class: int = 40) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in ("middle", "left", "rows"):
        (root / name).mkdir(parents=True)
        for index in range(per_class):
            pixels = rng.integers(0, 60, size=(16, 16)).astype(np.uint8)
            if name == "middle":
                pixels[4:12, 4:12] += 180
            elif name == "left":
                pixels[:, :8] += 180
            else:
                pixels[::2, :] += 180
            Image.fromarray(pixels, mode="L").save(root / name / f"{index}.png")
    return root


def _reviews(folder: Path, rows: int = 240) -> Path:
    rng = np.random.default_rng(1)
    good = "delicious tasty love perfect fresh excellent favorite".split()
    bad = "stale awful bland broken disappointing bitter soggy".split()
    common = "the tea coffee was and it this a of my box".split()
    folder.mkdir(parents=True)
    with (folder / "reviews.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "score"])
        for index in range(rows):
            great = index % 2 == 0
            words = rng.choice(common + (good if great else bad), int(rng.integers(5, 40)))
            writer.writerow([" ".join(words).capitalize() + "!", "great" if great else "other"])
    return folder


def _draft_and_run(
    tmp_path: Path, *init_args: str, extra: tuple[str, ...] = ()
) -> tuple[dict, dict, Path]:
    """``tfxkit init ... -o draft.yaml``, then run-pipeline --config on it: (draft, summary,
    workspace)."""
    import yaml

    draft = tmp_path / "draft.yaml"
    assert cli.main(["init", *init_args, "-o", str(draft)]) == 0
    workspace, summary = tmp_path / "ws", tmp_path / "summary.json"
    result = run_pipeline(
        workspace, "--set", STEPS, *extra, pipeline=None, config=draft, data=None, summary=summary
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return yaml.safe_load(draft.read_text()), json.loads(summary.read_text()), workspace


def test_an_image_folder_drafted_by_init_runs_to_a_pushed_cnn(tmp_path: Path) -> None:
    tree = _image_tree(tmp_path / "shapes")
    config, summary, workspace = _draft_and_run(tmp_path, str(tree))
    assert config["data"]["format"] == "images" and config["model"]["type"] == "cnn"
    assert summary["blessed"] is True
    assert versions(workspace / "serving" / config["name"]) == [1]


def _example_counts(evaluation: Path) -> dict[tuple[str, ...], float]:
    """The Evaluator's example count per slice: {(column, value) pairs flattened: count}."""
    import tensorflow_model_analysis as tfma

    counts = {}
    for metrics in tfma.load_metrics(str(evaluation)):
        keys = metrics.slice_key.single_slice_keys
        name = tuple(part for k in keys for part in (k.column, k.bytes_value.decode()))
        for item in metrics.metric_keys_and_values:
            if item.key.name == "example_count" and not item.key.is_diff:
                counts[name] = max(counts.get(name, 0.0), item.value.double_value.value)
    return counts


def test_a_text_csv_drafted_by_init_runs_to_a_pushed_text_model(tmp_path: Path) -> None:
    data = _reviews(tmp_path / "reviews")
    lengths = ("--set", "evaluation.text_length_slices={review: [16, 32]}")
    config, summary, workspace = _draft_and_run(
        tmp_path, str(data), "--label", "score", extra=lengths
    )
    (review,) = config["features"]
    assert review["transform"] == "text" and config["model"]["type"] == "text_pooling"
    assert summary["blessed"] is True
    assert versions(workspace / "serving" / config["name"]) == [1]
    (evaluation,) = (
        workspace / config["name"] / "pipeline_root" / "evaluator" / "evaluation"
    ).iterdir()
    counts = _example_counts(evaluation)
    buckets = {k[1]: v for k, v in counts.items() if k[:1] == ("review_length_bucket",)}
    # Reviews of 6 to 41 tokens (5 to 39 words and '!'): every bucket holds some.
    assert set(buckets) == {"0-15", "16-31", "32+"}
    assert sum(buckets.values()) == counts[()]  # each eval review in one bucket
