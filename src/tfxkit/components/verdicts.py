"""Gate verdicts: what a gate decided, typed, stored with its output artifact, read back by kind.

Why: each gate (anomalies, TFMA thresholds, fairness, optimization, the push) used to record its
decision its own way (JSON files of different names, custom properties) and the runner read
each one back with its own plumbing, so a new gate meant edits in the runner and the report.
Now a gate's ``<component>/verdict.py`` declares a ``Verdict`` subclass (``@register``); its
executor returns one (``GateExecutor.decide``) and this module stores it in the output artifact
(``verdict.json`` in its folder, the kind as its ``verdict`` property). The runner reads every
verdict of a run by kind (``read``, ``registered``) without knowing which gates exist.

Also what every tfxkit gate shares: the blessing (``bless``), the executor's flow
(``GateExecutor``) and the spec's code fingerprint and outputs (``fingerprinted``,
``component_spec``; components are declared with them through ``specs``). Imports no TFX at
module level: the printed summary parses verdicts, and an unchanged re-run prints it without
loading TFX; what touches artifacts imports TFX when called.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pkgutil
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

VERDICT_FILE = "verdict.json"
KIND_PROPERTY = "verdict"  # which kind of verdict an artifact holds (its registry key)
JSON_PROPERTY = "verdict_json"  # the verdict itself, for outputs whose folder must stay as is
REASON_LIMIT = 4000  # characters of a reason kept in ML Metadata
FINGERPRINT_KEY = "code_fingerprint"  # exec property: an edit to the executor re-runs the node
SETTINGS_KEY = "settings"  # exec property: a component's settings as one JSON dict

Artifacts = dict[str, list[Any]]
V = TypeVar("V", bound="Verdict")


class Verdict(BaseModel):
    """What every gate says: did it pass, did it judge anything, and why not."""

    model_config = ConfigDict(extra="forbid")

    # The MLMD type of the output artifact the verdict is stored in (what the runner scans).
    ARTIFACT_TYPE: ClassVar[str] = "ModelBlessing"
    # ``passed`` is a blessing: the push of the model it judged waits on it.
    BLESSING: ClassVar[bool] = False
    # False: stored as a property, for outputs whose folder is read by listing (a Schema).
    IN_FOLDER: ClassVar[bool] = True
    # The int property a push's condition tests (``passed_property``): TFX's ``blessed``, or
    # ``passed`` for tfxkit's own gates that write a ModelBlessing beside the Evaluator's.
    BLESSED_PROPERTY: ClassVar[str] = "blessed"

    kind: str
    passed: bool
    judged: bool = True  # False: there was nothing to judge (e.g. no threshold configured)
    reasons: list[str] = Field(default_factory=list)  # why it did not pass

    def headline(self) -> str:
        """One line for ML Metadata's ``reason`` property."""
        if self.reasons:
            return "; ".join(self.reasons)
        return "passed" if self.passed else "not passed"

    def lines(self) -> list[str]:
        """The verdict in the printed run summary; a gate overrides it to say more."""
        state = "passed" if self.passed else "FAILED"
        if not self.judged:
            state += " (nothing judged)"
        return [f"{self.kind}: {state}" + (f": {'; '.join(self.reasons)}" if self.reasons else "")]

    def store(self, artifact: Any) -> None:
        """Into a TFX output artifact: its folder (or a property) and the kind property."""
        text = self.model_dump_json(indent=1)
        if self.IN_FOLDER:
            from tfx.utils import io_utils

            io_utils.write_string_file(os.path.join(artifact.uri, VERDICT_FILE), text)
        else:
            artifact.set_string_custom_property(JSON_PROPERTY, text)
        artifact.set_string_custom_property(KIND_PROPERTY, self.kind)

    @classmethod
    def read(cls: type[V], source: Any) -> V:
        """From an output artifact (TFX ``Artifact`` or MLMD proto) or an artifact folder."""
        return cls.model_validate_json(_text(source))

    def named(self, node_id: str) -> Verdict:
        """The verdict as the run summary shows it for node ``node_id`` (a user's gate step
        prints its node id; tfxkit's gates are named by their kind)."""
        return self


_REGISTRY: dict[str, type[Verdict]] = {}


def register(cls: type[V]) -> type[V]:
    """Class decorator: the runner reads artifacts whose ``verdict`` property is this kind."""
    kind = cls.model_fields["kind"].default
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"{cls.__name__}: a verdict needs a default 'kind' (its registry key)")
    known = _REGISTRY.get(kind)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise TypeError(f"verdict kind '{kind}' is taken by {known.__module__}.{known.__name__}")
    _REGISTRY[kind] = cls
    return cls


def registered() -> dict[str, type[Verdict]]:
    """Every gate's verdict class, found by importing each ``tfxkit.components.<x>.verdict``:
    a new gate is found by its folder, with no list to edit."""
    package = importlib.import_module(__name__.rpartition(".")[0])
    for info in pkgutil.iter_modules(package.__path__):
        name = f"{package.__name__}.{info.name}.verdict"
        if info.ispkg and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    return dict(_REGISTRY)


@register
class StepVerdict(Verdict):
    """A user's gate step (``tfxkit.bless``): blessed or not, with its reason, under its id."""

    BLESSING: ClassVar[bool] = True

    kind: Literal["step"] = "step"
    reason: str = ""
    step: str = ""  # its node id, set when the run's outcome is read

    def headline(self) -> str:
        return self.reason or super().headline()

    def named(self, node_id: str) -> StepVerdict:
        return self.model_copy(update={"step": node_id})

    def lines(self) -> list[str]:
        state = "passed" if self.passed else "FAILED"
        reason = f": {self.reason}" if self.reason else ""
        return [f"{self.step or 'gate step'}: {state}{reason}"]


def parse(data: dict[str, Any]) -> Verdict:
    """A verdict from its JSON form (``RunSummary.verdicts``), typed by its kind; a kind this
    tfxkit does not know (or a shape it does not), as the plain ``Verdict`` it also is."""
    cls = registered().get(str(data.get("kind")))
    if cls is not None:
        try:
            return cls.model_validate(data)
        except ValidationError:
            pass
    return Verdict.model_validate({k: data[k] for k in Verdict.model_fields if k in data})


def read(artifact: Any) -> Verdict | None:
    """The verdict stored in an output artifact, or None when it holds none."""
    if _property(artifact, KIND_PROPERTY) is None:
        return None
    return parse(json.loads(_text(artifact)))


def _property(artifact: Any, name: str) -> str | None:
    proto = getattr(artifact, "mlmd_artifact", artifact)  # a TFX Artifact wraps the proto
    value = proto.custom_properties.get(name) if hasattr(proto, "custom_properties") else None
    return value.string_value if value is not None else None


def _text(source: Any) -> str:
    inline = None if isinstance(source, str | os.PathLike) else _property(source, JSON_PROPERTY)
    if inline:
        return inline
    folder = source if isinstance(source, str | os.PathLike) else source.uri
    return Path(folder, VERDICT_FILE).read_text()


# Why a second property: on Kubeflow/Vertex TFX's LatestBlessedModelStrategy (the only baseline
# resolver its compiler takes) picks the newest ModelBlessing with ``blessed`` == 1 and looks its
# model up by a name that only the Evaluator's blessing carries there (TFX's container entrypoint
# rewrites it for Evaluator executors alone). A fairness or optimization gate's blessing, newer,
# left remote runs with no baseline; under ``passed`` the resolver never sees it.
PASSED_PROPERTY = "passed"


def passed_property(channel: Any) -> str:
    """The property a push (or scoring) condition tests on a gate's blessing channel: the one
    its producer declares (``GATE_PROPERTY`` on tfxkit's gate components), else ``blessed``."""
    producer = getattr(channel, "producer_component", None)
    return getattr(type(producer), "GATE_PROPERTY", "blessed")


def gate_passed(blessing: Any) -> bool:
    """A blessing artifact (ModelBlessing or InfraBlessing; a TFX ``Artifact`` or an MLMD
    proto) says its gate passed. Through a KFP ExecutorInput the value is a metadata number,
    which TFX's Artifact API reads back as an int (the proto holds a struct)."""
    for name in ("blessed", PASSED_PROPERTY):
        if hasattr(blessing, "has_custom_property"):  # a TFX Artifact
            if blessing.has_custom_property(name):
                return blessing.get_int_custom_property(name) == 1
        elif name in blessing.custom_properties:
            value = blessing.custom_properties[name]
            return (value.int_value or value.double_value) == 1
    return False


def bless(blessing: Any, passed: bool, reason: str, prop: str = "blessed") -> None:
    """Mark a ``ModelBlessing`` as TFX's Evaluator does: a BLESSED or NOT_BLESSED file (the
    other one removed), ``prop`` (``blessed``) 1 or 0 (what a push's condition tests) and
    ``reason``."""
    from tfx.dsl.io import fileio
    from tfx.utils import io_utils

    marker, stale = ("BLESSED", "NOT_BLESSED") if passed else ("NOT_BLESSED", "BLESSED")
    if fileio.exists(os.path.join(blessing.uri, stale)):
        fileio.remove(os.path.join(blessing.uri, stale))
    io_utils.write_string_file(os.path.join(blessing.uri, marker), "")
    blessing.set_int_custom_property(prop, int(passed))
    blessing.set_string_custom_property("reason", reason[:REASON_LIMIT])


def single(artifacts: list[Any], key: str) -> Any:
    """The one artifact of an input or output channel."""
    if len(artifacts) != 1:
        raise ValueError(f"'{key}': expected one artifact, got {len(artifacts)}")
    return artifacts[0]


class GateExecutor:
    """A gate's executor decides; storing the verdict (and blessing, for a blessing) is here, so
    no gate records its decision its own way. Mixed in before TFX's ``BaseExecutor``."""

    VERDICT_OUTPUT: ClassVar[str] = "blessing"  # the output key the verdict is stored in

    def decide(self, inputs: Artifacts, outputs: Artifacts, properties: dict[str, Any]) -> Verdict:
        raise NotImplementedError

    def Do(self, input_dict: Artifacts, output_dict: Artifacts, exec_properties: dict) -> None:
        verdict = nothing_judged_never_blesses(
            self.decide(input_dict, output_dict, exec_properties)
        )
        output = single(output_dict[self.VERDICT_OUTPUT], self.VERDICT_OUTPUT)
        if verdict.BLESSING:
            bless(output, verdict.passed, verdict.headline(), verdict.BLESSED_PROPERTY)
        verdict.store(output)


def nothing_judged_never_blesses(verdict: V) -> V:
    """A blessing gate that judged nothing does not pass, whatever its own rule said."""
    if not (verdict.BLESSING and verdict.passed and not verdict.judged):
        return verdict
    why = f"{verdict.kind}: judged nothing, so not blessed"
    return verdict.model_copy(update={"passed": False, "reasons": [*verdict.reasons, why]})


def load_settings(properties: dict[str, Any], key: str = SETTINGS_KEY) -> dict[str, Any]:
    """A component's settings, passed as one JSON exec property (``specs.SettingsSpec``)."""
    return json.loads(properties[key])


def fingerprinted(parameters: dict[str, Any]) -> dict[str, Any]:
    """A spec's ``PARAMETERS`` plus the executor's code fingerprint (``component_spec``)."""
    from tfx.types.component_spec import ExecutionParameter

    return {**parameters, FINGERPRINT_KEY: ExecutionParameter(type=str)}


def component_spec(component: type, **values: Any) -> Any:
    """A component's spec from its parameters and inputs: a new channel for each declared
    output, and the code fingerprint of its executor's module (part of the cache key, so an
    edit to the executor, or to what it imports, re-runs the node)."""
    from tfx import types

    from tfxkit.fingerprint import code_fingerprint

    spec_class = component.SPEC_CLASS
    outputs = {key: types.Channel(type=p.type) for key, p in spec_class.OUTPUTS.items()}
    module = component.EXECUTOR_SPEC.executor_class.__module__
    return spec_class(**values, **outputs, **{FINGERPRINT_KEY: code_fingerprint(module)})
