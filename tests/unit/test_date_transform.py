"""``transform: date`` (issue 22 #8): dates parsed by TF ops agree with Python's calendar on
generated dates in every accepted spelling; the TF Transform graph z-scores the days over the
values that parsed; a served model takes the raw date string and answers as it does on the
transformed features (no training/serving skew).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
from pathlib import Path

import numpy as np
import pytest

from tfxkit.config.pipeline_config import validate_config
from tfxkit.config.sections import DATE_PATTERN
from tfxkit.errors import ConfigError

tf = pytest.importorskip("tensorflow")

EPOCH = dt.datetime(1970, 1, 1)


def _spell(rng: random.Random, when: dt.datetime, with_time: bool) -> tuple[str, dt.datetime]:
    """One of the accepted spellings, chosen at random, and the time it says (seconds only
    when written)."""
    sep = rng.choice("-/")
    month, day = (f"{when.month:02d}", f"{when.day:02d}")
    if sep == "/" and rng.random() < 0.5:
        month, day = str(when.month), str(when.day)  # 2024/3/5
    text = f"{when.year:04d}{sep}{month}{sep}{day}"
    if with_time:
        text += rng.choice(" T") + f"{when.hour:02d}:{when.minute:02d}"
        if rng.random() < 0.6:
            text += f":{when.second:02d}" + rng.choice(["", ".25", ",5"])
        else:
            when = when.replace(second=0)
        text += rng.choice(["", "", "Z", "+02:00", "-0530", " UTC"])
    return text, when


def _expected(when: dt.datetime, with_time: bool) -> tuple[float, int, int, float]:
    hours = when.hour + when.minute / 60 + when.second / 3600 if with_time else 0.0
    days = (dt.datetime(when.year, when.month, when.day) - EPOCH).days + hours / 24
    return days, when.weekday(), when.month, hours


@pytest.mark.parametrize("seed", range(3))
def test_parsed_dates_match_pythons_calendar(seed: int) -> None:
    from tfxkit.transform.dates import parse_dates

    rng = random.Random(seed)
    start, span = dt.datetime(1890, 1, 1), (dt.datetime(2150, 1, 1) - dt.datetime(1890, 1, 1))
    cases = []
    for _ in range(400):
        when = start + dt.timedelta(seconds=rng.randrange(int(span.total_seconds())))
        with_time = rng.random() < 0.5
        text, when = _spell(rng, when, with_time)
        cases.append((text, _expected(when, with_time), with_time))
    texts = [text for text, _, _ in cases]
    assert all(re.fullmatch(DATE_PATTERN, t) for t in texts)  # init's recognizer agrees
    parsed = {k: v.numpy() for k, v in parse_dates(tf.constant(texts)).items()}
    assert parsed["valid"].all()
    assert list(parsed["has_time"]) == [w for _, _, w in cases]
    expected = np.array([e for _, e, _ in cases])
    days, weekday, month, hour = expected.T
    np.testing.assert_allclose(parsed["days"], days, atol=1e-9)
    np.testing.assert_array_equal(parsed["day_of_week"], weekday)
    np.testing.assert_array_equal(parsed["month"], month)
    np.testing.assert_allclose(parsed["hour"], hour, atol=1e-9)


def test_values_that_are_not_dates_do_not_parse() -> None:
    from tfxkit.transform.dates import cyclic_parts, parse_dates

    texts = [
        "", "__missing__", "03/05/2024", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31",
        "2024-01-01 24:00", "2024-01-01 10:60", "20240301", "2024-03", "yesterday", "2024-03-05x",
    ]  # fmt: skip
    parsed = parse_dates(tf.constant(texts))
    assert not parsed["valid"].numpy().any()
    assert not cyclic_parts(parsed).numpy().any()  # zeros: the centre of every circle
    leap = parse_dates(tf.constant(["2024-02-29", "2000-02-29", "1900-02-28"]))
    assert parsed["days"].numpy().max() == 0 and leap["valid"].numpy().all()


def test_cyclic_parts_place_neighbours_next_to_each_other() -> None:
    from tfxkit.transform.dates import cyclic_parts, parse_dates

    # Sunday 23:30 and Monday 00:30; 31 December and 1 January; a date without a time.
    parts = cyclic_parts(
        parse_dates(tf.constant(["2023-12-31 23:30", "2024-01-01 00:30", "2024-01-01"]))
    ).numpy()
    sunday, monday, no_time = parts
    assert np.linalg.norm(sunday[:2] - monday[:2]) < 2 * math.sin(math.pi / 7) + 1e-6
    assert np.linalg.norm(sunday[2:4] - monday[2:4]) < 2 * math.sin(math.pi / 12) + 1e-6
    assert np.linalg.norm(sunday[4:] - monday[4:]) < 0.3  # an hour apart on a 24-hour circle
    np.testing.assert_allclose(no_time[4:], [0.0, 0.0])  # no hour: not midnight
    np.testing.assert_allclose(np.square(parts[:2, :6]).reshape(2, 3, 2).sum(axis=2), 1, atol=1e-6)


def _base(feature: dict) -> dict:
    return {
        "name": "dates",
        "data": {"path": "data"},
        "features": [feature],
        "label": {"name": "y", "type": "float"},
        "evaluation": {"thresholds": {"RootMeanSquaredError": {"upper_bound": 1.0}}},
    }


@pytest.mark.parametrize("kind", ["int", "float"])
def test_date_needs_a_string_feature(kind: str) -> None:
    with pytest.raises(ConfigError, match="transform 'date' needs a string feature"):
        validate_config(_base({"name": "when", "type": kind, "transform": "date"}), "t")
    with pytest.raises(ConfigError, match="top_k applies to"):
        validate_config(
            _base({"name": "when", "type": "string", "transform": "date", "top_k": 3}), "t"
        )
    config = validate_config(_base({"name": "when", "type": "string", "transform": "date"}), "t")
    assert config.features[0].transform == "date"


def _rows(seed: int, n: int = 160) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        when = dt.datetime(2020, 1, 1) + dt.timedelta(minutes=rng.randrange(3 * 525_600))
        text, _ = _spell(rng, when, with_time=i % 2 == 0)
        if i % 17 == 0:
            text = ""  # missing
        elif i % 23 == 0:
            text = "not a date"
        rows.append({"placed": text, "y": float(when.weekday() >= 5) + rng.random()})
    return rows


def test_transform_graph_and_served_model_take_the_raw_date_string(tmp_path: Path) -> None:
    """The Transform graph computes the parts (days z-scored over the values that parsed), and
    the exported model's serving_default answers for raw date strings exactly as the model does
    on the features TF Transform materialized."""
    import apache_beam as beam
    import tensorflow_transform as tft
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, metadata_io, schema_utils

    from tfxkit.config.features import feature_spec_config
    from tfxkit.training.export import save_serving_model
    from tfxkit.training.model import build_model
    from tfxkit.transform.dates import DATE_PARTS, parse_dates
    from tfxkit.transform.preprocessing import preprocessing_fn

    config = validate_config(
        _base(
            {
                "name": "placed at",
                "type": "string",
                "transform": "date",
                "missing": {"indicator": True},
            }
        ),
        "t",
    )
    spec = feature_spec_config(config)
    spec["model"] = {"hidden_units": [4], "learning_rate": 0.01}
    raw_spec = {
        "placed_at": tf.io.VarLenFeature(tf.string),
        "y": tf.io.FixedLenFeature([], tf.float32),
    }
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(raw_spec))
    rows = _rows(1)
    rows_by_y = {round(r["y"], 4): i for i, r in enumerate(rows)}
    assert len(rows_by_y) == len(rows)
    # CSV semantics: an empty cell is an absent feature (a sparse value missing).
    data = [{"placed_at": [r["placed"]] if r["placed"] else [], "y": r["y"]} for r in rows]
    out = tmp_path / "transform"
    with beam.Pipeline() as pipeline, tft_beam.Context(temp_dir=str(tmp_path / "tmp")):
        raw = pipeline | beam.Create(data)
        (transformed, _), transform_fn = (raw, metadata) | tft_beam.AnalyzeAndTransformDataset(
            lambda inputs: preprocessing_fn(inputs, spec)
        )
        _ = transform_fn | tft_beam.WriteTransformFn(str(out))
        _ = (
            transformed
            | beam.Map(lambda row: json.dumps({k: np.asarray(v).tolist() for k, v in row.items()}))
            | beam.io.WriteToText(str(tmp_path / "transformed"), shard_name_template="")
        )
    metadata_io.write_metadata(metadata, str(out / "metadata"))  # the raw spec, as TFX does
    transformed = [json.loads(line) for line in (tmp_path / "transformed").open()]
    transformed.sort(key=lambda t: rows_by_y[round(t["y_xf"], 4)])  # back in row order
    features = np.array([t["placed_at_xf"] for t in transformed], dtype=np.float32)
    assert features.shape == (len(rows), len(DATE_PARTS))
    missing = np.array([t["placed_at_missing_xf"] for t in transformed]).reshape(-1)
    np.testing.assert_array_equal(missing, [float(not r["placed"]) for r in rows])
    parsed = parse_dates(tf.constant([r["placed"] for r in rows]))
    valid, days = parsed["valid"].numpy(), parsed["days"].numpy()
    assert 0 < valid.sum() < len(rows)
    assert not features[~valid].any()  # missing or unparseable: zeros
    days = days[valid]
    np.testing.assert_allclose(features[valid, -1], (days - days.mean()) / days.std(), atol=1e-4)
    np.testing.assert_allclose(features[valid, -1].mean(), 0, atol=1e-5)

    output = tft.TFTransformOutput(str(out))
    model = build_model(spec, output)
    model_dir = tmp_path / "model"
    save_serving_model(model, output, spec, str(model_dir))
    served = tf.saved_model.load(str(model_dir)).signatures["serving_default"]
    raw = served(**{"placed at": tf.constant([r["placed"] for r in rows])})["predictions"]
    inputs = {
        "placed_at_xf": tf.constant(features),
        "placed_at_missing_xf": tf.constant(missing.reshape(-1, 1), tf.float32),
    }
    np.testing.assert_allclose(
        raw.numpy().reshape(-1), model(inputs).numpy().reshape(-1), atol=1e-5
    )
