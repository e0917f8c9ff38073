"""Config sections for the data and what is learned from it: input files and their CSV
dialect, the schema, features with their missing-value rules, and the label with its task.

Split from ``config.pipeline_config`` to keep each module readable; like it, this module never
imports TFX, runners or TensorFlow. Single values are checked by their types
(``config.types``); the model validators here relate fields to each other.

The schema and validation sections live in ``config.validation`` (re-exported here). Near 400
lines on purpose: these models are the config reference (``config.reference`` generates the
docs and JSON Schemas from them), and each class holds its field descriptions beside the rule
that checks them. The next split, when it grows, is the input formats (``DataConfig``,
``ImagesConfig``, ``CsvDialect``) into ``config/data.py``.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Literal

from pydantic import Field, StrictFloat, StrictInt, model_validator

from tfxkit.config.base import Strict
from tfxkit.config.types import (
    Char,
    HashBuckets,
    LabelExpression,
    NonEmptyStr,
    PositiveInt,
    Splits,
)
from tfxkit.config.validation import (  # noqa: F401 - re-exported: the config's sections
    AnomalyAction,
    SchemaConfig,
    ValidationConfig,
)

_NOT_IN_TF_NAMES = re.compile(r"[^A-Za-z0-9_.\-]")


def column_key(column: str) -> str:
    """The feature key (tf.Example key, Transform input, serving input name) of a CSV column.

    Serving signature inputs must be valid TensorFlow names, so characters outside
    ``[A-Za-z0-9_.-]`` become ``_`` and a name starting with anything but a letter or digit
    gets a ``f_`` prefix: ``"arr delay (min)"`` -> ``"arr_delay__min_"``. Stable and documented.
    """
    key = _NOT_IN_TF_NAMES.sub("_", column.strip())
    return key if key[:1].isalnum() else f"f_{key}"


# str + Enum rather than StrEnum: the TFX 1.16 pipeline image runs Python 3.10.
class FeatureType(str, Enum):
    FLOAT = "float"
    INT = "int"
    STRING = "string"


class TransformKind(str, Enum):
    """How a raw feature becomes a model input inside the TF Transform graph."""

    ZSCORE = "zscore"
    MINMAX = "minmax"
    VOCABULARY = "vocabulary"  # top_k most frequent values + oov_buckets; one-hot in the model
    IDENTITY = "identity"
    BUCKETIZE = "bucketize"  # quantile buckets (buckets), one-hot in the model
    HASH = "hash"  # hash_buckets ids of the value as text: no vocabulary pass, unbounded values
    LOG = "log"  # z-score of log1p(max(x, 0)): long-tailed counts and amounts
    TEXT = "text"  # tokens (tensorflow-text) -> ids (vocabulary) -> a text encoder in the model
    DATE = "date"  # year-first date (and time) text -> cyclic day of week, month, hour; days


# What ``transform: date`` parses, in the Transform graph (RE2) and in ``tfxkit init`` (re):
# year first, '-' or '/' between the parts, an optional time after ' ' or 'T' (seconds and
# fractions optional), an optional zone (Z, +02:00, -0500) that is read but not applied: the
# hour is the one written. Groups: year, month, day, hour, minute, second. Day-first and
# month-first dates (03/05/2024) are not parsed: the order cannot be told from a value.
DATE_PATTERN = (
    r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})"
    r"(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?)?"
    r" ?(?:Z|UTC|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)


_NUMERIC_TRANSFORMS = {
    TransformKind.ZSCORE,
    TransformKind.MINMAX,
    TransformKind.IDENTITY,
    TransformKind.BUCKETIZE,
    TransformKind.LOG,
}
# Transforms whose output is a category id (the model one-hot encodes it).
CATEGORICAL_TRANSFORMS = {TransformKind.VOCABULARY, TransformKind.BUCKETIZE, TransformKind.HASH}


class DataFormat(str, Enum):
    CSV = "csv"  # read with data.csv (tfxkit's CsvExampleGen)
    TFRECORD = "tfrecord"  # tf.Example records, gzip or not (TFX's ImportExampleGen)
    PARQUET = "parquet"  # one column per feature; nulls are missing values
    IMAGES = "images"  # path/<label>/*.png|jpg|jpeg: encoded bytes, the label from the folder
    JSONL = "jsonl"  # JSON lines: one object per line, its fields are the columns
    TEXT_FOLDER = "text_folder"  # path/<label>/*.txt: the text, the label from the folder


# The tf.Example keys of format images besides the label (components/image_example_gen): the
# encoded bytes, the file's path under data.path, and its size (statistics of the sizes).
IMAGE_KEYS = ("image", "image_path", "image_height", "image_width", "image_channels")
DEFAULT_IMAGE_SIZE = (28, 28)  # what the model sees without data.images.resize or .size

# The tf.Example keys of format text_folder besides the label (components/text_folder_example_gen):
# the file's text and its path under data.path (which decides its split).
TEXT_FOLDER_KEYS = ("text", "text_path")

DEFAULT_MISSING_VALUES = ("", "NA", "N/A", "NaN", "nan", "null", "NULL")


class CsvDialect(Strict):
    """How the CSV files are written; the defaults read RFC 4180 files with a header row."""

    delimiter: Char = Field(default=",", description="The one character between cells.")
    quote_char: Char = Field(
        default='"', description="Quotes a cell that holds the delimiter or a newline."
    )
    skip_initial_space: bool = Field(
        default=True, description="Ignore spaces right after a delimiter ('a, b, c')."
    )
    header: bool = Field(default=True, description="The first line of every file names columns.")
    column_names: list[str] | None = Field(
        default=None, description="Column names when the files have no header row."
    )
    missing_values: list[str] = Field(
        default_factory=lambda: list(DEFAULT_MISSING_VALUES),
        description="Cell values (after stripping spaces) that mean 'missing', e.g. '?'.",
    )
    encoding: str = Field(default="utf-8", description="Text encoding of the files.")

    @model_validator(mode="after")
    def _names_without_header(self) -> CsvDialect:
        if not self.header and not self.column_names:
            raise ValueError("header: false needs column_names: [...]")
        return self


class ImagesConfig(Strict):
    """What every image must be (format: images); unset, sizes and channels may differ."""

    size: tuple[PositiveInt, PositiveInt] | None = Field(
        default=None,
        description="[height, width] in pixels of every image; one of another size stops the "
        "run before ingest, naming the file.",
    )
    channels: Literal[1, 3, 4] | None = Field(
        default=None,
        description="Channels of every image: 1 (grayscale), 3 (RGB) or 4 (RGBA); also what "
        "the model sees (default 3: a grayscale image is repeated, an RGBA one loses alpha).",
    )
    resize: tuple[PositiveInt, PositiveInt] | None = Field(
        default=None,
        description="[height, width] the model sees: the Transform graph resizes every image to "
        f"it, in training and serving alike. Default: size, else {list(DEFAULT_IMAGE_SIZE)}.",
    )

    def model_input(self) -> dict[str, object]:
        """What the Transform graph makes of every image (``transform.images``): its height,
        width and channels, from the settings or their defaults."""
        size = self.resize or self.size or DEFAULT_IMAGE_SIZE
        return {"key": IMAGE_KEYS[0], "size": list(size), "channels": self.channels or 3}


class DataConfig(Strict):
    """Where the raw examples come from and how they are split."""

    format: DataFormat = Field(
        default=DataFormat.CSV,
        description="csv (read with data.csv), tfrecord (tf.Example records), parquet, "
        "images (one sub-folder of path per class: path/<label>/*.png|jpg|jpeg), jsonl (one "
        "JSON object per line) or text_folder (path/<label>/*.txt; features: text).",
    )
    path: str = Field(description="Directory holding the input files (every file is read).")
    images: ImagesConfig = Field(
        default_factory=ImagesConfig,
        description="format images: the size and channels every image must have.",
    )
    columns: Literal["all", "used"] = Field(
        default="all",
        description="all: every column is ingested, profiled and held to the schema of record "
        "(a new unused column stops the run). used: only the columns the pipeline reads "
        "(features, the label or its derive columns, split_column, sensitive features, "
        "slices); for wide files, where the rest costs minutes (50,000 columns: ~4 min to "
        "ingest 200 rows).",
    )
    csv: CsvDialect = Field(
        default_factory=CsvDialect, description="How CSV files are written (format csv)."
    )
    splits: Splits = Field(
        default_factory=lambda: {"train": 2, "eval": 1},
        description="Split name -> hash buckets; the split sizes are proportional to the "
        "buckets. 'train' and 'eval' are required.",
    )
    pattern: str | None = Field(
        default=None,
        description="Files to read, relative to path; {SPAN} and {VERSION} pick the latest "
        "span (and version), e.g. 'span-{SPAN}/*.csv'. Default: every file in path.",
    )
    split_column: str | None = Field(
        default=None,
        description="Hash this column instead of the whole row, so all rows sharing a value "
        "(a user, a day, a store) land in the same split: no leakage between train and eval.",
    )

    @model_validator(mode="after")
    def _columns_format(self) -> DataConfig:
        whole = (DataFormat.TFRECORD, DataFormat.IMAGES, DataFormat.TEXT_FOLDER)
        if self.columns == "used" and self.format in whole:
            raise ValueError(
                "data.columns: used reads CSV, Parquet and JSON lines only; tf.Example "
                "records, images and text folders are imported whole"
            )
        images = self.format == DataFormat.IMAGES
        if "images" in self.model_fields_set and not images:
            raise ValueError("data.images applies to format: images")
        if images and self.split_column:  # the split is by image_path: see image_example_gen
            raise ValueError(
                "data.split_column: images are split by their path under data.path "
                "(image_path), so split_column does not apply; leave it out"
            )
        if self.format == DataFormat.TEXT_FOLDER and self.split_column:  # by text_path
            raise ValueError(
                "data.split_column: text files are split by their path under data.path "
                "(text_path), so split_column does not apply; leave it out"
            )
        return self


class Imputation(str, Enum):
    """How a missing value is filled inside the Transform graph (so serving fills it alike)."""

    MEAN = "mean"
    MEDIAN = "median"
    MOST_FREQUENT = "most_frequent"
    CONSTANT = "constant"


class MissingConfig(Strict):
    """Missing values of one feature; by default numbers get the mean, strings their own token."""

    impute: Imputation | None = Field(
        default=None, description="Default: mean for numbers, constant for strings."
    )
    value: StrictFloat | str | None = Field(
        default=None, description="The constant for impute: constant (default 0 / '__missing__')."
    )
    indicator: bool = Field(
        default=False, description="Also feed the model a 0/1 '<name>_missing' input."
    )


class FeatureConfig(Strict):
    """One input column and how it becomes a model input."""

    name: NonEmptyStr = Field(description="The column name (its feature key: column_key).")
    type: FeatureType = Field(description="float, int or string: how the column is parsed.")
    transform: TransformKind = Field(
        description="zscore, minmax, log, bucketize, identity (numbers); vocabulary, hash, "
        "text, date (strings)."
    )
    missing: MissingConfig = Field(
        default_factory=MissingConfig, description="How missing values are filled."
    )
    clip: tuple[StrictFloat, StrictFloat] | None = Field(
        default=None, description="Numbers: [low, high] applied before the transform."
    )
    buckets: StrictInt | None = Field(
        default=None, ge=2, le=1000, description="bucketize (default 10)."
    )
    top_k: PositiveInt | None = Field(
        default=None, description="vocabulary: keep the k most frequent values."
    )
    oov_buckets: StrictInt = Field(
        default=1, ge=1, le=1000, description="vocabulary: ids for values outside it."
    )
    hash_buckets: HashBuckets | None = Field(default=None, description="hash (default 100).")
    max_tokens: StrictInt | None = Field(
        default=None, ge=1, le=512, description="text: tokens kept per value (default 16)."
    )
    tokenizer: Literal["whitespace", "unicode_script"] | None = Field(
        default=None,
        description="text: split on whitespace (default), or also where the Unicode script "
        "changes (unicode_script: 'great!' is 'great' and '!'); tensorflow-text, in the graph.",
    )
    lowercase: bool | None = Field(
        default=None, description="text: case-fold (Unicode, NFKC) before splitting (default on)."
    )

    @model_validator(mode="after")
    def _transform_fits_type(self) -> FeatureConfig:
        kind = TransformKind(self.transform)
        if self.type == FeatureType.STRING and kind in _NUMERIC_TRANSFORMS:
            raise ValueError(
                f"feature '{self.name}' is a string; transform '{kind.value}' needs a number "
                "(use 'vocabulary' or 'hash')"
            )
        if self.type == FeatureType.STRING and self.clip is not None:
            raise ValueError(f"feature '{self.name}' is a string; clip needs a number")
        if self.clip is not None and self.clip[0] >= self.clip[1]:
            raise ValueError(f"feature '{self.name}': clip [low, high] needs low < high")
        if kind == TransformKind.TEXT and self.type != FeatureType.STRING:
            raise ValueError(f"feature '{self.name}': transform 'text' needs a string feature")
        if kind == TransformKind.DATE and self.type != FeatureType.STRING:
            # Dates are read as text; a number (20240305, a Unix time) would never parse.
            raise ValueError(
                f"feature '{self.name}': transform 'date' needs a string feature (dates are "
                "read as text, e.g. 2024-03-05 or 2024-03-05 14:30); declare it type: string"
            )
        if kind == TransformKind.VOCABULARY and self.type == FeatureType.FLOAT:
            # Transform fails deep inside on this (issue 22): a float has no exact categories.
            raise ValueError(
                f"feature '{self.name}' is a float; transform 'vocabulary' needs categories "
                "(declare it type: int or string if its values are codes; or use 'bucketize' "
                "or 'hash')"
            )
        for option, applies in (
            ("buckets", (TransformKind.BUCKETIZE,)),
            ("top_k", (TransformKind.VOCABULARY, TransformKind.TEXT)),
            ("hash_buckets", (TransformKind.HASH,)),
            ("max_tokens", (TransformKind.TEXT,)),
            ("tokenizer", (TransformKind.TEXT,)),
            ("lowercase", (TransformKind.TEXT,)),
        ):
            if getattr(self, option) is not None and kind not in applies:
                names = " or ".join(f"'{a.value}'" for a in applies)
                raise ValueError(
                    f"feature '{self.name}': {option} applies to transform {names}, "
                    f"not '{kind.value}'"
                )
        impute = self.missing.impute
        if self.type == FeatureType.STRING and impute in (Imputation.MEAN, Imputation.MEDIAN):
            raise ValueError(
                f"feature '{self.name}' is a string; missing.impute '{impute}' needs a number "
                "(use 'most_frequent' or 'constant')"
            )
        if self.type != FeatureType.STRING and isinstance(self.missing.value, str):
            raise ValueError(f"feature '{self.name}': missing.value must be a number")
        return self


class CrossConfig(Strict):
    """A feature cross: the combination of several features' values, hashed to ids."""

    features: list[str] = Field(min_length=2, description="Configured features to combine.")
    hash_buckets: HashBuckets = Field(default=100, description="Ids the combinations hash to.")

    @property
    def key(self) -> str:
        return "cross_" + "_x_".join(column_key(f) for f in self.features)


class Task(str, Enum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"


class LabelConfig(Strict):
    """What the model predicts: a column, or a label derived from columns."""

    name: NonEmptyStr = Field(description="The label column, or the derived label's name.")
    type: FeatureType = Field(
        default=FeatureType.STRING, description="float, int or string: how the column is parsed."
    )
    task: Task | None = Field(
        default=None,
        description="Default: regression for a float label, binary for a derived label, "
        "multiclass otherwise.",
    )
    derive: LabelExpression | None = Field(
        default=None,
        description="A boolean expression over columns, e.g. 'tip > 0.2 * fare' (parsed, "
        "never eval'ed); the label is 1 where true, 0 where false.",
    )
    positive: NonEmptyStr | None = Field(
        default=None,
        description="Binary label from a column: the value that is the positive class (1; "
        "probabilities are its probability), every other value is 0. Default: the less "
        "frequent of the two values in the training data; set it whenever their frequencies "
        "could change between runs.",
    )

    @property
    def resolved_task(self) -> str:
        if self.task:
            return str(self.task)
        if self.derive:
            return Task.BINARY.value
        return Task.REGRESSION.value if self.type == FeatureType.FLOAT else Task.MULTICLASS.value

    @model_validator(mode="after")
    def _task_fits(self) -> LabelConfig:
        if self.resolved_task == "regression" and (self.type == "string" or self.derive):
            raise ValueError(f"label '{self.name}': a regression label must be a number column")
        if self.positive is not None and (self.derive or self.resolved_task != "binary"):
            why = (
                "a derived label's positive class is where its condition holds"
                if self.derive
                else f"it applies to a binary label (this one is {self.resolved_task}; set "
                "label.task: binary)"
            )
            raise ValueError(f"label.positive: {why}")
        return self
