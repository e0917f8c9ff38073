"""Text end to end (issue 23): real product reviews from a JSON lines file through the standard
pipeline (``configs/reviews.yaml``, only the data and the steps changed) to a pushed model that
``tfxkit serve`` answers for raw review text over REST, in a process that never imported
tensorflow-text itself; the statistics carry TFDV's natural language domain. A folder of .txt
files by class is ingested and validated the same way (a validate-only pipeline).

400 of the 5,000 Amazon fine-food reviews (``tfxkit.datasets.reviews``) and 150 training
steps: what is checked is the plumbing, not the accuracy (``make reviews-demo`` trains on all).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.paths import REPO
from tests.pipeline_runs import run_pipeline, versions

pytestmark = pytest.mark.slow

CONFIG = REPO / "configs" / "reviews.yaml"
TFXKIT = str(Path(sys.executable).parent / "tfxkit")
VALIDATE_ONLY = """\
from tfxkit import PipelineBuilder


def create_pipeline(config):
    p = PipelineBuilder(config)
    p.validate(p.ingest())
    return p
"""
REVIEWS = [
    "Absolutely delicious, the best coffee I have ever had. Will buy again!",
    "Stale, bland and overpriced. The bag arrived torn; I threw it away.",
    "",  # missing: imputed in the Transform graph, as in training
    "Ünïcode ＲＥＶＩＥＷ — 美味しい!",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _only(folder: Path) -> Path:
    (latest,) = (p for p in folder.iterdir() if not p.name.startswith("."))
    return latest


def _domains(schema_file: Path) -> dict[str, str]:
    from tfx.utils import io_utils

    schema = io_utils.SchemaReader().read(str(schema_file))
    return {f.name: f.WhichOneof("domain_info") or "" for f in schema.feature}


def test_reviews_from_json_lines_to_a_served_model_that_takes_raw_text(tmp_path: Path) -> None:
    import requests
    import tensorflow_data_validation as tfdv

    from tfxkit.datasets.reviews import prepare
    from tfxkit.serving.custom_ops import register_for

    data = tmp_path / "data"
    prepare(data, rows=400, fmt="jsonl")
    ws, summary_path = tmp_path / "ws", tmp_path / "summary.json"
    overrides = ["data.format=jsonl", "training.train_steps=150", "training.epochs=1"]
    overrides += ["evaluation.thresholds.AUC.lower_bound=0.55"]  # 150 steps on 270 reviews
    result = run_pipeline(
        ws,
        *[arg for o in overrides for arg in ("--set", o)],
        pipeline=None,
        config=CONFIG,
        data=data,
        summary=summary_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    assert summary["blessed"] is True and summary["pushed_path"], summary
    (version,) = versions(ws / "serving" / "reviews")

    root = ws / "reviews" / "pipeline_root"
    stats = tfdv.load_stats_binary(
        str(_only(root / "statistics_gen" / "statistics") / "Split-train" / "FeatureStats.pb")
    )
    review = next(f for f in stats.datasets[0].features if f.path.step == ["review"])
    custom = {c.name: c for c in review.custom_stats}
    assert "natural_language_domain" in custom["domain_info"].str  # TFDV's semantic domain
    assert custom["natural_language_match_rate"].num > 0.9
    gated = _only(root / "anomaly_gate" / "gated_schema") / "schema.pbtxt"
    assert _domains(gated)["review"] == "natural_language_domain"  # open values, NL kept

    model_dir = ws / "serving" / "reviews" / str(version)
    port = _free_port()
    process = subprocess.Popen(
        [TFXKIT, "serve", "--base", str(ws / "serving"), "--rest-port", str(port), "--no-grpc"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        from tfxkit.serving import Client

        client = Client("127.0.0.1", port, None, timeout=30, retries=10, backoff=1.0)
        answers = client.predict("reviews", [{"review": r} for r in REVIEWS])
        url = f"http://127.0.0.1:{port}/v1/models/reviews:predict"
        bare = requests.post(url, json={"instances": REVIEWS}, timeout=30)  # one input: bare
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert len(answers) == len(REVIEWS), output[-2000:]
    for answer in answers:
        assert answer["class_names"] == ["other", "great"]
        assert answer["classes"] in ("other", "great")
        assert sum(answer["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    assert bare.status_code == 200, bare.text
    assert [a["classes"] for a in bare.json()["predictions"]] == [a["classes"] for a in answers]

    import tensorflow as tf

    register_for(str(model_dir))
    serve = tf.saved_model.load(str(model_dir)).signatures["serving_default"]
    expected = serve(review=tf.constant(REVIEWS))["probabilities"].numpy()
    served = np.array([a["probabilities"] for a in answers])
    np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-6)


def test_a_folder_of_text_files_by_class_is_ingested_and_validated(tmp_path: Path) -> None:
    from tfxkit.datasets.reviews import prepare

    data = tmp_path / "reviews"
    prepare(data, rows=240, fmt="text_folder")  # TFDV infers a language domain from 100 values
    assert sorted(p.name for p in data.iterdir()) == ["great", "other"]
    config = tmp_path / "config.yaml"
    config.write_text(
        "name: folder\n"
        f"data: {{format: text_folder, path: {data}}}\n"
        "features: [{name: text, type: string, transform: text, tokenizer: unicode_script}]\n"
        "evaluation: {thresholds: {AUC: {lower_bound: 0.6}}}\n"
        "label: {name: label, task: binary, positive: great}\n"
    )
    pipeline = tmp_path / "pipeline.py"
    pipeline.write_text(VALIDATE_ONLY)
    ws = tmp_path / "ws"
    result = run_pipeline(ws, pipeline=pipeline, config=config, data=None)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    root = ws / "folder" / "pipeline_root"
    domains = _domains(_only(root / "anomaly_gate" / "gated_schema") / "schema.pbtxt")
    assert domains["text"] == "natural_language_domain"
    assert domains["text_path"] == ""  # every new file has a new path: no value domain
    assert domains["label"] in ("domain", "string_domain")  # the classes stay a closed set

    (data / "other" / "00007.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    broken = run_pipeline(tmp_path / "ws2", pipeline=pipeline, config=config, data=None)
    assert broken.returncode != 0
    assert "00007.txt: not UTF-8 text" in broken.stdout + broken.stderr
    assert "Traceback" not in broken.stderr
