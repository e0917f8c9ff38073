"""Which pushed version scores a batch: a number, a serving label, or the latest.

Only versions tfxkit's pusher pushed can score (it pushes only models every gate blessed: the
push record says so), the rule ``tfxkit serving promote`` applies to labels. Every refusal names
what exists, so a typo is fixed from the message alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfxkit.errors import ServingError
from tfxkit.serving import layout, server_config, storage

SPECS = ("stable", "canary", "latest")


@dataclass(frozen=True)
class ModelVersion:
    """A pushed version: where it lives and how it was named on the command line."""

    model_name: str
    version: int
    path: str
    label: str | None  # stable / canary when chosen by label


def parse_spec(spec: int | str | None) -> int | str | None:
    """``--version``: a number, stable, canary or latest (None: stable if set, else latest)."""
    if spec is None or isinstance(spec, int):
        return spec
    text = str(spec).strip()
    if text.isdigit():
        return int(text)
    if text not in SPECS:
        raise ServingError(f"--version '{spec}': give a version number, stable, canary or latest")
    return text


def resolve(base: str, model_name: str, spec: int | str | None) -> ModelVersion:
    """The version ``spec`` names under ``<base>/<model_name>``; refused unless tfxkit pushed it."""
    spec = parse_spec(spec)
    if not storage.isdir(base):
        raise ServingError(
            f"serving base {base} does not exist (push.destination, or --base); push a model "
            "first (make demo); nothing was scored"
        )
    directory = layout.model_dir(base, model_name)
    present = layout.versions(directory) if storage.isdir(directory) else []
    if not present:
        models = ", ".join(layout.models_in(base)) or "none"
        raise ServingError(
            f"model '{model_name}' has no pushed version under {base} (models there: {models}); "
            "nothing was scored"
        )
    labels = server_config.labels_of(server_config.read_models_config(base), model_name)
    label = None
    if spec is None:
        label = "stable" if "stable" in labels else None
        version = labels["stable"] if label else present[-1]
    elif spec == "latest":
        version = present[-1]
    elif isinstance(spec, str):
        if spec not in labels:
            shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "none"
            raise ServingError(
                f"model '{model_name}' has no '{spec}' label (labels: {shown}; versions: "
                f"{', '.join(map(str, present))}); nothing was scored"
            )
        label, version = spec, labels[spec]
    else:
        version = spec
    if version not in present:
        raise ServingError(
            f"model '{model_name}' has no version {version} under {directory} (versions: "
            f"{', '.join(map(str, present))}); nothing was scored"
        )
    if not layout.is_blessed(directory, version):
        raise ServingError(
            f"model '{model_name}' version {version} was not pushed by tfxkit's pusher (no "
            f"record in {layout.record_path(directory, version)}), which pushes only blessed "
            "models; refusing to score with it"
        )
    return ModelVersion(model_name, version, f"{directory}/{version}", label)
