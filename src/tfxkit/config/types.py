"""Constrained value types of the config: each rule a single value must follow, written once.

Why: a rule written in several models drifts (the model-name pattern lived in three modules, the
Beam-flag check in two that disagreed on ``--``). Every config field uses one of these types,
so the rule, the JSON Schema that editors check against and the message a user reads come from
one definition. Rules that relate two fields stay model validators next to those fields.

Numbers are strict (``StrictInt``/``StrictFloat``): a YAML ``true`` or ``"3"`` is an error, not
1 or 3. What a pattern means is registered in ``PATTERNS``: ``format_validation_error`` says
"'x' is not <what>" instead of printing the regex, and the generated reference shows <what>;
a pattern simple enough to read (``^[a-z0-9-]+$``) is shown as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictFloat, StrictInt, StringConstraints

from tfxkit.config.base import repeated
from tfxkit.config.label_expr import parse as parse_label_expression


@dataclass(frozen=True)
class PatternRule:
    """What a pattern accepts, in words, and why the rule exists (optional)."""

    what: str  # "a usable model name (letters, ...)"
    why: str = ""

    def message(self, value: Any) -> str:
        return f"{value!r} is not {self.what}" + (f": {self.why}" if self.why else "")


PATTERNS: dict[str, PatternRule] = {}


def _pattern(regex: str, what: str, why: str = "", **constraints: Any) -> StringConstraints:
    """A pattern constraint registered with its meaning (one registration per rule)."""
    PATTERNS[regex] = PatternRule(what, why)
    return StringConstraints(pattern=regex, **constraints)


# ------------------------------------------------------------------------------- numbers

PositiveInt = Annotated[StrictInt, Field(gt=0)]
NonNegativeInt = Annotated[StrictInt, Field(ge=0)]
PositiveFloat = Annotated[StrictFloat, Field(gt=0)]
NonNegativeFloat = Annotated[StrictFloat, Field(ge=0)]
Fraction = Annotated[StrictFloat, Field(ge=0, le=1)]  # a share, both ends allowed
OpenFraction = Annotated[StrictFloat, Field(gt=0, lt=1)]  # a share strictly between 0 and 1
DropoutRate = Annotated[StrictFloat, Field(ge=0, lt=1)]  # 1 would drop every unit
HashBuckets = Annotated[StrictInt, Field(ge=2)]  # one bucket would map every value to one id
EmbeddingDim = Annotated[StrictInt, Field(ge=1, le=512)]
HiddenUnits = list[PositiveInt]  # sizes of the hidden layers, input side first

# Per column: the largest distance allowed between two datasets' statistics.
Distances = dict[str, PositiveFloat]

# ------------------------------------------------------------------------------- strings

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]
Char = Annotated[str, StringConstraints(min_length=1, max_length=1)]

PIPELINE_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
PIPELINE_NAME_MAX = 60
PipelineName = Annotated[
    str,
    _pattern(
        PIPELINE_NAME_PATTERN,
        "a usable pipeline name (lower-case letters, digits, '_' and '-', starting with a "
        "letter or digit)",
        "it names directories, runs and remote pipelines",
        max_length=PIPELINE_NAME_MAX,
    ),
]

# A served model's name: a directory, a URL path segment (/v1/models/<name>) and part of
# Kubernetes names. tfxkit.serving (layout, render) checks names outside a config with it.
MODEL_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
MODEL_NAME_RULE = (
    "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63 characters"
)
ModelName = Annotated[str, _pattern(MODEL_NAME_PATTERN, f"a usable model name ({MODEL_NAME_RULE})")]

DottedPath = Annotated[
    str,
    _pattern(
        r"^[A-Za-z_][\w.]*\.[A-Za-z_]\w*$",
        "an importable 'package.module.function' path",
    ),
]

# Beam reads extra arguments as flags; anything else it drops with a log line on a worker.
BEAM_FLAG_PATTERN = r"^--[A-Za-z_][\w-]*(=.*)?$"
BeamFlag = Annotated[str, _pattern(BEAM_FLAG_PATTERN, "a Beam flag ('--name=value')")]

# An OCI image reference: [registry[:port]/]path[:tag][@sha256:digest], lower-case path.
IMAGE_PATTERN = (
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@sha256:[a-f0-9]{64})?$"
)
ImageRef = Annotated[
    str,
    _pattern(
        IMAGE_PATTERN,
        "a container image reference (`registry/path[:tag][@sha256:digest]`, path in lower case)",
    ),
]

GcsPath = Annotated[
    str,
    _pattern(
        r"^gs://[^/\s]+(/\S*)?$",
        "a Cloud Storage path (gs://bucket/...)",
        "Dataflow needs a gs:// location",
    ),
]
SetupPy = Annotated[
    str,
    _pattern(
        r"(^|/)setup\.py$",
        "a setup.py path (e.g. /tfxkit/setup.py)",
        "setup_file must name a setup.py that packages tfxkit",
    ),
]

AcceleratorType = Annotated[
    str,
    _pattern(
        r"^[A-Z0-9_]+$",
        "an accelerator type (upper case, e.g. NVIDIA_TESLA_T4 or TPU_V3)",
    ),
]
# Shown as the pattern itself: short enough to read.
MachineType = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$")]
Region = Annotated[
    str,
    _pattern(r"^[a-z]+-[a-z]+[0-9]+$", "a Google Cloud region (e.g. us-central1)"),
]

_COMPUTE_MACHINE_TYPE = (
    r"^(?:[a-z][a-z0-9]{1,3}-(?:standard|highmem|highcpu|highgpu|megagpu|ultramem|megamem|"
    r"hypermem|micro|small|medium)(?:-\d+)?(?:-lssd)?|(?:[a-z][a-z0-9]{1,3}-)?custom-\d+-\d+"
    r"(?:-ext)?)$"
)


def _enough_memory(machine_type: str) -> str:
    """TF Transform and TFMA workers each load TensorFlow: highcpu and shared-core types
    run out of memory, so they are refused before a Dataflow job starts."""
    if "-highcpu-" in machine_type or machine_type.split("-")[1] in ("micro", "small", "medium"):
        raise ValueError(
            f"{machine_type}: too little memory per vCPU for TF Transform and TFMA workers "
            "(each loads TensorFlow); use a standard or highmem type"
        )
    return machine_type


DataflowMachineType = Annotated[
    str,
    _pattern(
        _COMPUTE_MACHINE_TYPE,
        "a Compute Engine machine type (e.g. n1-standard-4, n2-highmem-8, e2-standard-2, "
        "custom-4-16384)",
    ),
    AfterValidator(_enough_memory),
]

# Vertex AI labels (on pipeline runs, models and endpoints). runners.backends.vertex checks
# labels that come from outside a profile with the same patterns.
VERTEX_LABEL_KEY_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
VERTEX_LABEL_VALUE_PATTERN = r"^[a-z0-9_-]{0,63}$"
_LABEL_KEY = re.compile(VERTEX_LABEL_KEY_PATTERN)
_LABEL_VALUE = re.compile(VERTEX_LABEL_VALUE_PATTERN)


def _vertex_labels(labels: dict[str, str]) -> dict[str, str]:
    for key, value in labels.items():
        if not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(value):
            raise ValueError(
                f"label {key}={value!r}: Vertex labels are lowercase letters, digits, _ and -"
            )
    return labels


# One message naming the whole label (not pydantic's per-key location).
VertexLabels = Annotated[
    dict[str, str],
    AfterValidator(_vertex_labels),
    Field(
        json_schema_extra={
            "propertyNames": {"pattern": VERTEX_LABEL_KEY_PATTERN},
            "additionalProperties": {"type": "string", "pattern": VERTEX_LABEL_VALUE_PATTERN},
        }
    ),
]


def _parses(text: str) -> str:
    parse_label_expression(text)  # ConfigError (a ValueError) naming the expression
    return text


LabelExpression = Annotated[str, AfterValidator(_parses)]


def _unique(names: list[str]) -> list[str]:
    if twice := repeated(names):
        raise ValueError(f"listed twice: {twice}")
    return names


UniqueNames = Annotated[
    list[str], AfterValidator(_unique), Field(json_schema_extra={"uniqueItems": True})
]


REQUIRED_SPLITS = ("train", "eval")


def _train_and_eval(splits: dict[str, int]) -> dict[str, int]:
    if missing := sorted(set(REQUIRED_SPLITS) - set(splits)):
        raise ValueError(f"must define the splits 'train' and 'eval' (missing: {missing})")
    return splits


# Split name -> hash buckets; the pipeline trains on 'train' and evaluates on 'eval'.
Splits = Annotated[
    dict[str, PositiveInt],
    AfterValidator(_train_and_eval),
    Field(json_schema_extra={"required": list(REQUIRED_SPLITS)}),
]
