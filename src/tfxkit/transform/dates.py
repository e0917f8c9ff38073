"""``transform: date``: a date (and time) written as text becomes seven model inputs, inside the
Transform graph, so serving takes the raw string and computes exactly what training saw.

Why these seven: a date's value to a model is rarely the date itself (new dates are never in a
vocabulary) but its rhythm and its age. Day of week, month and hour are cyclic (Sunday is next
to Monday, December to January), so each is a point on a circle, ``(sin, cos)``; days since
1970-01-01 (the time of day as a fraction) is z-scored with TF Transform analyzers over the
values that parsed, so newer and older rows differ in scale-free units.

``[dow_sin, dow_cos, month_sin, month_cos, hour_sin, hour_cos, days_z]``, float32, one row per
value. Values without a time get ``(0, 0)`` for the hour (the circle's centre, not midnight).
A value that does not parse (missing values are imputed first: by default the string
``__missing__``, which does not) gets zeros everywhere: the centre of every circle and the mean
age, as mean imputation gives a number; ``missing: {indicator: true}`` tells the model so.

Parsing is pure TF ops (``regex_full_match``, ``regex_replace``, ``to_number``) on
``config.sections.DATE_PATTERN``, the pattern ``tfxkit init`` recognises dates with: year first
(``2024-03-05``, ``2024/3/5``, ``2024-03-05 14:30``, ``2024-03-05T14:30:00.5Z``); a zone suffix
is read but not applied (the hour is the wall-clock hour written). Impossible dates
(``2024-02-30``, hour 25) do not parse.
"""

from __future__ import annotations

import math

import tensorflow as tf
import tensorflow_transform as tft

from tfxkit.config.sections import DATE_PATTERN

DATE_PARTS = (
    "day_of_week_sin", "day_of_week_cos", "month_sin", "month_cos", "hour_sin", "hour_cos",
    "days_since_1970_z",
)  # fmt: skip
_FULL = f"^{DATE_PATTERN}$"
_TAU = 2 * math.pi


def days_from_civil(year: tf.Tensor, month: tf.Tensor, day: tf.Tensor) -> tf.Tensor:
    """Days since 1970-01-01 of a proleptic Gregorian date (int64; H. Hinnant's algorithm)."""
    year = year - tf.cast(month <= 2, tf.int64)
    era = tf.math.floordiv(year, 400)
    year_of_era = year - era * 400
    day_of_year = (153 * tf.math.floormod(month + 9, 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def parse_dates(value: tf.Tensor) -> dict[str, tf.Tensor]:
    """Strings [batch] -> ``valid``, ``has_time`` (bool) and ``days`` (float64: days since
    1970-01-01 plus the time of day), ``day_of_week`` (0 = Monday), ``month`` (1..12),
    ``hour`` (0..24, fractional); the numbers are 0 where ``valid`` is false."""
    text = tf.strings.strip(value)
    matched = tf.strings.regex_full_match(text, _FULL)

    def group(index: int) -> tuple[tf.Tensor, tf.Tensor]:
        part = tf.strings.regex_replace(text, _FULL, f"\\{index}")
        present = matched & (tf.strings.length(part) > 0)
        return tf.strings.to_number(tf.where(present, part, "0"), tf.int64), present

    (year, _), (month, _), (day, _) = group(1), group(2), group(3)
    (hour, has_time), (minute, _), (second, _) = group(4), group(5), group(6)
    first = days_from_civil(year, month, tf.ones_like(day))
    next_month = days_from_civil(year + month // 12, month % 12 + 1, tf.ones_like(day))
    valid = (
        matched
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= next_month - first)
        & (hour <= 23)
        & (minute <= 59)
        & (second <= 60)  # a leap second
    )
    days = tf.where(valid, first + day - 1, tf.zeros_like(day))
    hours = tf.cast(hour, tf.float64) + tf.cast(minute, tf.float64) / 60
    hours += tf.cast(second, tf.float64) / 3600
    zero = tf.zeros_like(hours)
    return {
        "valid": valid,
        "has_time": valid & has_time,
        "days": tf.where(valid, tf.cast(days, tf.float64) + hours / 24, zero),
        # 1970-01-01 was a Thursday (3 when Monday is 0)
        "day_of_week": tf.where(valid, tf.math.floormod(days + 3, 7), tf.zeros_like(days)),
        "month": tf.where(valid, month, tf.zeros_like(month)),
        "hour": tf.where(valid, hours, zero),
    }


def cyclic_parts(parsed: dict[str, tf.Tensor]) -> tf.Tensor:
    """[batch, 6] float32: (sin, cos) of day of week, month and hour; zeros where there is
    nothing to place on the circle (no date; no time for the hour)."""

    def circle(position: tf.Tensor, period: float, where: tf.Tensor) -> list[tf.Tensor]:
        angle = tf.cast(position, tf.float64) * (_TAU / period)
        zero = tf.zeros_like(angle)
        return [tf.where(where, tf.sin(angle), zero), tf.where(where, tf.cos(angle), zero)]

    valid = parsed["valid"]
    parts = [
        *circle(parsed["day_of_week"], 7, valid),
        *circle(parsed["month"] - 1, 12, valid),
        *circle(parsed["hour"], 24, parsed["has_time"]),
    ]
    return tf.cast(tf.stack(parts, axis=1), tf.float32)


def date_features(value: tf.Tensor) -> tf.Tensor:
    """The date transform: [batch, len(DATE_PARTS)] float32 (see the module docstring). The
    mean and variance of the days are TF Transform analyzers over the values that parsed."""
    parsed = parse_dates(value)
    days, valid = parsed["days"], parsed["valid"]
    present = tf.boolean_mask(days, valid)
    mean, variance = tft.mean(present), tft.var(present)
    scaled = tf.math.divide_no_nan(days - mean, tf.sqrt(variance))
    scaled = tf.where(valid & tf.math.is_finite(scaled), scaled, tf.zeros_like(scaled))
    features = tf.concat([cyclic_parts(parsed), tf.cast(scaled, tf.float32)[:, None]], axis=1)
    return tf.reshape(features, [-1, len(DATE_PARTS)])  # static width for TFT
