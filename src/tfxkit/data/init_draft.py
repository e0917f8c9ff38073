"""Draft a pipeline config from data (``tfxkit init``); stdlib only, so it answers in seconds.

Cells are read by the rules of ``tfxkit.data.csv_dialect`` and typed by the CSV ExampleGen's (int,
else float, else string), so the draft describes what the pipeline will see. Sniffing the
dialect is ``data.csv_sniff``, profiling the columns ``data.column_profile``; this module turns
their answers into commented YAML that validates. Metrics come from the config's own defaults
(``DEFAULT_METRICS``), so a draft computes what a config without ``evaluation.metrics`` would.
"""

import glob
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfxkit.config.pipeline_config import (
    DEFAULT_METRICS,
    DEFAULT_MISSING_VALUES,
    CsvDialect,
    validate_config,
)
from tfxkit.data.column_profile import (
    SAMPLE_ROWS,
    ColumnProfile,
    left_out,
    max_tokens,
    profile_columns,
    task_of,
    transform_of,
)
from tfxkit.data.csv_sniff import (
    DELIMITERS,
    MARKERS,
    read_sample,
    sample_files,
    sample_records,
    sniff_dialect,
)
from tfxkit.data.init_inputs import LabelChoice, choose_label, pipeline_name
from tfxkit.errors import ConfigError, DataError

__all__ = [
    "ColumnProfile",
    "Draft",
    "build_draft",
    "draft_config",
    "profile_columns",
    "sniff_dialect",
]

INDICATOR_ABOVE = 0.05  # features missing more often than this get a missing indicator
HINTS = ("label", "target", "class", "y", "outcome")
CSV_KEYS = ("delimiter", "quote_char", "header", "column_names", "encoding")  # sniffed
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_RANK = {"string": 0, "int": 1, "float": 2}  # label candidates: classes first
LEAKAGE = "looks like target leakage"
LEAK_ADVICE = "add it back by hand if it is known at prediction time"
DERIVED = "used by label.derive (as a feature it would give the label away)"
# The model a draft with a text feature trains (docs/text.md: the bag of words is the best of
# the text models on a few thousand documents).
TEXT_MODEL = {"type": "text_pooling", "embedding_dim": 32, "hidden_units": [16], "dropout": 0.2}
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


POSITIVE_WORDS = ("1", "yes", "y", "true", "t", "positive", "pos", "spam", "fraud", "churn")


def positive_class(counts: dict[str, int]) -> tuple[str, str]:
    """The value a binary label's class 1 should be: a word that means yes, else the rarer one
    (what an unset ``label.positive`` means); drafted explicitly so a shift in frequencies
    between runs cannot flip it."""
    for value in sorted(counts):
        if value.strip().lower() in POSITIVE_WORDS:
            return value, "a value that means yes"
    rarer = min(sorted(counts), key=lambda v: counts[v])
    return rarer, f"the rarer value: {counts[rarer]} of {sum(counts.values())} rows"


def _flow(value: Any) -> str:
    """One value in YAML flow style: ``{name: x, type: float}``, ``[a, b]``, ``"a b"``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    text = json.dumps(value, ensure_ascii=False)  # JSON scalars are YAML scalars, except:
    if isinstance(value, float) and "e" in text and "." not in text:
        text = text.replace("e", ".0e")  # 1e-05 is a string to YAML 1.1 readers; 1.0e-05 not
    return text


def _emit(config: dict[str, Any], notes: dict[str, str], after: dict[str, list[str]]) -> list:
    """YAML lines: sections in block style, their values in flow style, notes as comments."""
    out = []
    for key, value in config.items():
        if isinstance(value, dict) and key != "label":
            items = [(f"  {k}: {_flow(v)}", f"{key}.{k}") for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"  - {_flow(v)}", f"{key}.{v['name']}") for v in value]
        else:
            items = [(f"{key}: {_flow(value)}", key)]
        width = max(len(text) for text, _ in items) * isinstance(value, list)  # aligns features
        lines = [f"{text:<{width}}  # {notes[at]}" if at in notes else text for text, at in items]
        out += [f"{key}:"] * (lines[0][0] == " ") + lines + after.get(key, []) + [""]
    return out


@dataclass
class Draft:
    """What ``tfxkit init`` inferred, and the YAML text it drafted."""

    source: Path
    output: str  # where the draft is meant to be written (named in its run command)
    dialect: dict[str, Any]
    profiles: list[ColumnProfile]
    label: str | None
    uses: dict[str, str] = field(default_factory=dict)  # column -> what the draft does with it
    warnings: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)  # no 'label' key without a label
    text: str = ""

    def describe(self) -> str:
        d, space = self.dialect, ", spaces after delimiters" * self.dialect["skip_initial_space"]
        markers = ", ".join(repr(m) if m else "empty" for m in d["missing_markers"]) or "none"
        header = f"{'a' if d['header'] else 'no'} header row, {d['encoding']}"
        return f"{DELIMITERS[d['delimiter']]}-delimited, {header}{space}; missing: {markers}"

    def candidates(self) -> list[str]:
        """Columns that could be the label, likeliest first."""
        kinds = ("text", "date")  # never a label: prose and dates have no classes to predict
        names = [f["name"] for f in self.config["features"] if f["transform"] not in kinds]
        usable = [p for p in self.profiles if p.distinct >= 2 and p.name in names]
        edges = (self.profiles[0].name, self.profiles[-1].name)  # labels often come first or last
        usable.sort(key=lambda p: (p.name.lower() not in HINTS, _RANK[p.type], p.name not in edges))
        return [f"{p.name} ({p.type}, {p.distinct} values: {task_of(p)})" for p in usable[:6]]


def build_draft(
    path: str | Path, label: str | None = None, name: str | None = None, output: str | None = None
) -> Draft:
    """Sniff, profile and draft; with a label the config is validated before it is returned.
    ``label`` is a column, or a condition over columns drafted as ``label.derive``."""
    source = Path(path)
    dialect = sniff_dialect(source)
    profiles = profile_columns(source, dialect)
    by_name, rows, files = {p.name: p for p in profiles}, profiles[0].rows, sample_files(source)
    choice = None
    if label is not None:
        numbers = [p.name for p in profiles if p.type != "string" and p.name.isidentifier()]
        choice = choose_label(label, list(by_name), files[0], *numbers[:1])
    name = name or pipeline_name(source, files)
    d = Draft(source, output or f"configs/{name}.yaml", dialect, profiles, choice and choice.name)
    d.warnings += dialect["notes"]
    data_path = (source if source.is_dir() else source.parent).as_posix()
    siblings = sample_files(source.parent) if source.is_file() else []
    others = [p.name for p in siblings if p != source]
    if others:  # the pipeline reads every file in data.path unless a pattern narrows it
        d.warnings.append(
            f"{data_path} also holds {', '.join(others[:3])}: data.pattern reads only "
            f"{source.name} (drop it to read every file of the same columns in {data_path})"
        )
    dialect["missing_markers"] = markers = sorted(set().union(*(p.markers for p in profiles)))
    defaults = CsvDialect().model_dump()
    csv_keys = {k: dialect[k] for k in CSV_KEYS if dialect[k] != defaults[k]}
    if extra := [m for m in markers if m not in DEFAULT_MISSING_VALUES]:
        csv_keys["missing_values"] = [*DEFAULT_MISSING_VALUES, *extra]
    data = {"format": "csv", "path": data_path, **({"csv": csv_keys} if csv_keys else {})}
    if others:
        data["pattern"] = glob.escape(source.name)
    d.config = {"name": name, "data": {**data, "splits": {"train": 2, "eval": 1}}, "features": []}
    notes = {"data.splits": "hash buckets: 2/3 train, 1/3 eval"}  # comments, by key path
    after: dict[str, list[str]] = {"features": []}
    column = choice.column if choice else None
    sources = set(choice.sources.values()) if choice else set()
    counted, leaks = _label_values(d, choice, rows) if choice else ((0, 0), {})
    for leak, reason in leaks.items():
        d.warnings.append(f"left out '{leak}': {reason} — {LEAKAGE}; {LEAK_ADVICE}")
    for p in profiles:
        leak = f"{leaks[p.name]}: {LEAKAGE} ({LEAK_ADVICE})" if p.name in leaks else None
        why = None if p.name == column else left_out(p, rows) or leak
        why = DERIVED if p.name in sources else why
        d.uses[p.name] = f"left out: {why}" if why else ""
        after["features"] += [f"  # left out {p.name} ({p.type}): {why}"] if why else []
        if p.name == column or why:
            continue
        feature = _feature(p)
        d.uses[p.name] = feature["transform"] + " + missing indicator" * ("missing" in feature)
        d.config["features"].append(feature)
        notes[f"features.{p.name}"] = _note(p)
    if not d.config["features"]:
        reasons = "; ".join(f"{k} {v}" for k, v in d.uses.items() if v)
        raise DataError(f"{files[0]}: no column can be a feature ({reasons or 'one column'})")
    task = None
    if choice and choice.derive:
        task = "binary"
        d.uses[choice.name] = f"label (binary: {choice.derive})"
        d.config["label"] = {"name": choice.name, "derive": choice.derive}
        notes["label"] = "1 where the condition holds: {} of {} rows read".format(*counted)
    elif column is not None:
        p = by_name[column]
        if p.distinct < 2:
            raise ConfigError(f"--label {column}: one value only in {rows} rows of {files[0]}")
        task = task_of(p)
        d.uses[column] = f"label ({task}, {p.distinct} values)"
        d.config["label"] = {"name": column, "type": p.type, "task": task}
        notes["label"] = f"{p.distinct} values: {', '.join(p.examples[:3])}"
        if task == "binary":  # issue 22 #9: which value is class 1, said rather than implied
            positive, why = positive_class(p.example_counts)
            d.config["label"]["positive"] = positive
            notes["label"] = f"class 1 is {positive!r} ({why}); {notes['label']}"
    else:
        after["features"] += [
            "",
            "# label: {name: COLUMN, type: TYPE, task: binary|multiclass|regression}",
            "# Choose the label, move it out of features (or run: tfxkit init --label COLUMN;",
            '# a yes/no condition: --label "COLUMN > 15", drafted as label.derive):',
            *(f"#   {candidate}" for candidate in d.candidates()),
        ]
    metrics = list(DEFAULT_METRICS[task or "multiclass"])  # no label yet: a placeholder
    thresholds: dict[str, Any] = {"SparseCategoricalAccuracy": {"lower_bound": 0.5}}
    if task == "regression" and column is not None:
        std = float(f"{by_name[column].std:.4g}")
        thresholds = {"RootMeanSquaredError": {"upper_bound": std}}
        after["evaluation"] = [
            "  # upper bound = the label's standard deviation: the error of always predicting"
            " the mean; tighten it once you know a good error"
        ]
    if task == "binary":
        thresholds = {"AUC": {"lower_bound": 0.6}}
    if any(f["transform"] == "text" for f in d.config["features"]):
        d.config["model"] = dict(TEXT_MODEL)
        notes["model.type"] = "averaged embeddings of the tokens; or text_cnn, text_transformer"
    d.config["evaluation"] = {"metrics": metrics, "thresholds": thresholds}
    categories = [f["name"] for f in d.config["features"] if f["transform"] == "vocabulary"]
    if slices := [[n] for n in categories][:2]:
        after.setdefault("evaluation", []).append(f"  # slices: {_flow(slices)}  # by value")
    if choice is not None:
        validate_config(d.config, f"(the draft for {source})")
    wrap = {"subsequent_indent": "#   ", "break_on_hyphens": False, "break_long_words": False}
    read = f"{'the first ' * (rows == SAMPLE_ROWS)}{rows} rows of {len(files)} file(s)"
    lines = [
        f"# Drafted by `tfxkit init` from {source}: inferred from {read}.",
        f"# CSV: {d.describe()}.",
        "# Check the features, the label and the thresholds, then run it with the standard",
        "# pipeline (it builds any config; `python -m tfxkit.config.reference` lists every key):",
        f"#   run-pipeline -c {d.output}",
        *(line for w in d.warnings for line in textwrap.wrap(f"# WARNING: {w}", 96, **wrap)),
        *_emit(d.config, notes, after),
        f"# {'model, ' * ('model' not in d.config)}training (200 steps of 32; the train split "
        f"holds ~{rows * 2 // 3} rows),",
        "# push, runner, metadata: the defaults; configs/penguin.yaml shows every key.",
        "",
    ]
    d.text = "\n".join(lines)
    return d


def _feature(p: ColumnProfile) -> dict[str, Any]:
    """A drafted feature: its transform (and words kept, for text); a missing indicator when
    more than INDICATOR_ABOVE of its values are missing."""
    feature: dict[str, Any] = {"name": p.name, "type": p.type, "transform": transform_of(p)}
    if feature["transform"] == "text":
        feature["tokenizer"] = "unicode_script"  # "great!" is "great", "!": +1.5 AUC on reviews
        if tokens := max_tokens(p):
            feature["max_tokens"] = tokens
    if p.missing_share > INDICATOR_ABOVE:
        feature["missing"] = {"indicator": True}
    return feature


def _note(p: ColumnProfile) -> str:
    """The comment beside a drafted feature: what its values look like."""
    kind = transform_of(p)
    if kind == "date":
        parts = "day of week, month, hour, days" if p.times else "day of week, month, days"
        note = [f"dates ({parts})", f"e.g. {p.examples[0]}"]
    elif kind == "text":
        note = [f"text: {p.distinct} values of {p.mean_words:.0f} words on average"]
    else:
        note = [f"{p.distinct} values" * (p.type == "string"), ", ".join(p.examples[:3])]
    note.append(f"{p.missing_share:.1%} missing" * bool(p.missing))
    return "; ".join(n for n in note if n)[:80]


def _label_values(
    d: Draft, choice: LabelChoice, rows: int
) -> tuple[tuple[int, int], dict[str, str]]:
    """(rows where a derived label is 1, rows read), and the columns that alone predict the
    label (``data.leakage``), each with why: left out of the draft. A derived label is computed
    as Transform does. numpy loads only here, with a label to score against."""
    import numpy as np

    from tfxkit.data.leakage import derived_label, score_columns

    by_name = {p.name: p for p in d.profiles}
    sources = set(choice.sources.values())
    candidates = [
        p
        for p in d.profiles
        if p.name != choice.column and p.name not in sources and not left_out(p, rows)
    ]
    targets = [by_name[c] for c in sorted(sources or {choice.column})]
    values = _sample_values(d.source, d.dialect, [*candidates, *targets])
    if choice.derive:
        named = {n: values[c] for n, c in choice.sources.items()}
        target, task = derived_label(choice.derive, named), "binary"
        counted = (positives := int(np.nansum(target))), len(target)
        if positives in (0, len(target)):
            which = "never" if positives == 0 else "always"
            raise ConfigError(
                f"--label {choice.derive!r} is {which} true in the {len(target)} rows read of "
                f"{sample_files(d.source)[0]}: a binary label needs rows of both kinds"
            )
    else:
        target, task, counted = values[choice.column], task_of(by_name[choice.column]), (0, 0)
        if by_name[choice.column].distinct < 2:
            return counted, {}
    report = score_columns({p.name: values[p.name] for p in candidates}, target, task)
    return counted, {s.column: s.reason for s in report.leaking}


def _sample_values(source: Path, dialect: dict, profiles: list[ColumnProfile]) -> dict:
    """The sampled rows' cells of these columns (the rows ``profile_columns`` read): numbers
    as floats, missing as None."""
    index = {name: i for i, name in enumerate(dialect["columns"])}
    out: dict[str, list] = {p.name: [] for p in profiles}
    wanted = [(out[p.name], index[p.name], p.type != "string") for p in profiles]
    for file in sample_files(source):
        text, _ = read_sample(file, dialect["encoding"], [])
        body = sample_records(
            text,
            dialect["delimiter"],
            dialect["quote_char"],
            file,
            skip_space=dialect["skip_initial_space"],
        )
        if dialect["header"]:
            next(body, None)
        for _, cells in body:
            if len(wanted[0][0]) == SAMPLE_ROWS:
                return out
            for column, at, number in wanted:
                cell = cells[at]
                column.append(None if cell in MARKERS else float(cell) if number else cell)
    return out


def draft_config(path: str | Path, label: str | None = None, name: str | None = None) -> str:
    """The commented YAML draft; it validates when ``label`` is given (else a placeholder)."""
    return build_draft(path, label=label, name=name).text
