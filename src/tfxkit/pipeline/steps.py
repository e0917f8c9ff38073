"""A user's own steps: TFX's function and container components, added with ``p.add``.

A step is written as TFX documents it (``@tfx.dsl.components.component`` with
``InputArtifact[...]``, ``OutputArtifact[...]`` and ``Parameter[...]``, or
``create_container_component``) and added with ``p.add(Step(...), "node_id")`` from the stages'
typed outputs. What tfxkit adds, when the node joins the pipeline (``prepare``):

* its code in the cache key: TFX keys a function step on its executor's class path, which stays
  the same when the function's body changes, so an edited step was reported ``cached`` with its
  old output. The fingerprint of the step's module and its import closure
  (``tfxkit.fingerprint``) becomes a ``code_fingerprint`` exec property, as tfxkit's own
  components have, so an edit re-runs the step and everything downstream;
* a container step locally: tfxkit assumes no Docker. A step whose image is
  ``PIPELINE_IMAGE`` (the pipeline's own environment) runs its command as a subprocess of this
  Python environment (``local_container``); any other image is refused before the run. Remote
  targets get the runner profile's image in its place (``kfp_compiler``).

Also here: a gate a user writes (``bless``; ``gate_channel`` lets ``p.push`` take the step) and
the wrong-artifact-type error naming both ends of the wire (``wiring_error``).
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import json_format
from tfx import types
from tfx.dsl.component.experimental import placeholders
from tfx.dsl.component.experimental.executor_specs import TemplatedExecutorContainerSpec
from tfx.dsl.components.base.base_component import BaseComponent
from tfx.dsl.components.base.base_node import BaseNode
from tfx.dsl.components.base.executor_spec import ExecutorClassSpec
from tfx.types.component_spec import ChannelParameter

from tfxkit.components import verdicts
from tfxkit.errors import PipelineDefinitionError
from tfxkit.fingerprint import module_fingerprint
from tfxkit.pipeline.local_container import CONTAINER_SPEC_KEY, LocalContainerExecutor

# A container step's image meaning "the pipeline's own environment": a subprocess of this Python
# locally, the runner profile's image (tfx + tfxkit + the staged package) on Kubeflow/Vertex.
PIPELINE_IMAGE = "tfxkit-pipeline-image"
FINGERPRINT_KEY = verdicts.FINGERPRINT_KEY
# Code these packages ship is pinned by their versions (tfx) or fingerprinted by its own
# component (tfxkit's components declare ``code_fingerprint``).
_NOT_FINGERPRINTED = ("tfx", "tfxkit")
_COMMAND_PLACEHOLDERS = (
    placeholders.InputUriPlaceholder,
    placeholders.OutputUriPlaceholder,
    placeholders.InputValuePlaceholder,
)
# tfx.orchestration.kubeflow.v2.compiler_utils._SCHEMA_TITLE_RE
_KFP_TYPE_NAME = re.compile(r"^[a-z][a-z0-9-_]{2,20}[.][A-Z][a-zA-Z0-9-_]{2,49}$")


def prepare(node: BaseNode, *, local: bool) -> None:
    """What ``PipelineBuilder.add`` does to a node (already given its id) before it joins."""
    if not isinstance(node, BaseComponent):
        return  # resolvers and importers run no user code
    if not local:
        _check_type_names(node)
    if isinstance(node.executor_spec, TemplatedExecutorContainerSpec):
        _prepare_container(node, local=local)
        return
    if FINGERPRINT_KEY in node.exec_properties:
        return
    module = step_module(node)
    if module is None or module.split(".")[0] in _NOT_FINGERPRINTED:
        return
    try:
        node.exec_properties[FINGERPRINT_KEY] = module_fingerprint(module)
    except ValueError as exc:
        raise PipelineDefinitionError(
            f"step '{node.id}': cannot read the source of its module '{module}' ({exc}); a "
            "step's code is part of its cache key, so it must be a Python file tfxkit can read"
        ) from exc


def _check_type_names(node: BaseComponent) -> None:
    """TFX's Kubeflow V2 compiler takes a custom artifact type only as ``namespace.Name``."""
    channels = {**node.inputs, **node.outputs}
    for key, channel in channels.items():
        kind = channel.type
        if kind.__module__.startswith("tfx.") or _KFP_TYPE_NAME.fullmatch(kind.TYPE_NAME):
            continue
        raise PipelineDefinitionError(
            f"step '{node.id}': '{key}' has the artifact type '{kind.TYPE_NAME}', and Kubeflow "
            "and Vertex take a custom type only named namespace.Name (lower-case namespace of "
            f"3-21 characters), e.g. TYPE_NAME = 'my_steps.{kind.__name__}'"
        )


def step_module(node: BaseComponent) -> str | None:
    """The module of a Python step's executor (a function step's: the function's module)."""
    spec = node.executor_spec
    if isinstance(spec, ExecutorClassSpec):
        return spec.executor_class.__module__
    return None


def command_modules(node: BaseComponent) -> list[str]:
    """Modules a container step runs with ``python -m MODULE`` (their code is checked and
    fingerprinted like a function step's)."""
    spec = node.executor_spec
    if not isinstance(spec, TemplatedExecutorContainerSpec):
        return []
    # Placeholders compare into predicates (always truthy): keep the plain strings' positions.
    words = [w if isinstance(w, str) else None for w in [*spec.command, *spec.args]]
    return [
        module
        for flag, module in zip(words, words[1:], strict=False)
        if flag == "-m" and module is not None
    ]


def is_container_step(node: Any) -> bool:
    return isinstance(getattr(node, "executor_spec", None), TemplatedExecutorContainerSpec)


def _prepare_container(node: BaseComponent, *, local: bool) -> None:
    """Fingerprint the modules its command runs; locally, run it as a subprocess here."""
    spec = node.executor_spec
    if local and spec.image != PIPELINE_IMAGE:
        raise PipelineDefinitionError(
            f"container step '{node.id}' runs in image '{spec.image}', and a local run starts no "
            "containers (tfxkit assumes no Docker). Run the pipeline on Kubeflow or Vertex "
            "(`tfxkit run --profile PROFILE`), or, if its command runs in this Python "
            "environment, declare image=tfxkit.PIPELINE_IMAGE: locally a subprocess here, "
            "remotely the runner profile's image"
        )
    prints = []
    for module in command_modules(node):
        try:
            prints.append(module_fingerprint(module))
        except ValueError:
            if local:
                raise PipelineDefinitionError(
                    f"container step '{node.id}' runs 'python -m {module}', which this Python "
                    "environment cannot import; put the module beside the pipeline file or in "
                    "an installed package"
                ) from None
    if prints:
        node.exec_properties[FINGERPRINT_KEY] = "-".join(prints)
    if not local:
        _check_remote_command(node)
        return  # kfp_compiler gives PIPELINE_IMAGE the profile's image
    encoded = spec.encode(node.spec)
    node.exec_properties[CONTAINER_SPEC_KEY] = json_format.MessageToJson(
        encoded, indent=None, sort_keys=True
    )
    node.executor_spec = ExecutorClassSpec(LocalContainerExecutor)


def _check_remote_command(node: BaseComponent) -> None:
    """TFX 1.16's Kubeflow V2 compiler takes a container step's ``command`` only, made of strings
    and TFX's command-line placeholders (``tfx.dsl.component.experimental.placeholders``)."""
    spec = node.executor_spec
    if spec.args:
        raise PipelineDefinitionError(
            f"container step '{node.id}': Kubeflow and Vertex run its command only; put the "
            "args at the end of the command"
        )

    def supported(word: Any) -> bool:
        if isinstance(word, placeholders.ConcatPlaceholder):
            return all(supported(item) for item in word.items)
        return isinstance(word, (str, *_COMMAND_PLACEHOLDERS))

    for position, word in enumerate(spec.command):
        if not supported(word):
            raise PipelineDefinitionError(
                f"container step '{node.id}': command word {position} is a "
                f"{type(word).__name__}, which TFX's Kubeflow V2 compiler does not take: use "
                "InputUriPlaceholder, OutputUriPlaceholder or InputValuePlaceholder from "
                "tfx.dsl.component.experimental.placeholders"
            )


# ------------------------------------------------------------------------- gates
def gate_channel(gate: Any) -> Any:
    """A gate for ``p.push``: a step node becomes its one ModelBlessing output; a channel must
    be a ModelBlessing (the push tests its ``blessed`` property); stage results pass as given."""
    if isinstance(gate, BaseNode):
        blessings = {
            key: channel
            for key, channel in gate.outputs.items()
            if channel.type_name == types.standard_artifacts.ModelBlessing.TYPE_NAME
        }
        if len(blessings) != 1:
            outputs = {key: c.type_name for key, c in gate.outputs.items()}
            raise PipelineDefinitionError(
                f"push() gate '{gate.id}' needs exactly one ModelBlessing output (declare "
                f"OutputArtifact[ModelBlessing] and decide it with tfxkit.bless); its outputs: "
                f"{outputs}"
            )
        return next(iter(blessings.values()))
    type_name = getattr(gate, "type_name", None)
    if type_name is not None and type_name != types.standard_artifacts.ModelBlessing.TYPE_NAME:
        raise PipelineDefinitionError(
            f"push() gate {_describe_channel(gate)} is a {type_name}, not a ModelBlessing: the "
            "push waits on a blessing's 'blessed' property, which only a gate sets"
        )
    return gate


def bless(blessing: Any, passed: bool, reason: str, model: Any = None) -> None:
    """Decide a gate step: mark its ``OutputArtifact[ModelBlessing]`` blessed or not, as TFX's
    Evaluator does (what ``p.push`` waits on), with the reason the run summary shows. ``model``:
    the ``InputArtifact[Model]`` judged, so only models every gate blessed become baselines."""
    verdicts.bless(blessing, bool(passed), reason)
    if model is not None:
        blessing.set_string_custom_property("current_model", model.uri)
        blessing.set_int_custom_property("current_model_id", model.id)
    verdicts.StepVerdict(
        passed=bool(passed), reason=reason, reasons=[] if passed else [reason]
    ).store(blessing)


# ------------------------------------------------------------------------- wiring errors
def wiring_error(exc: TypeError) -> str | None:
    """TFX's "Argument x should be a Channel of type X (got Y)" with both ends named: the step
    and its input, and the producer and output key of what was wired to it. None when ``exc``
    is not a wiring error."""
    found: dict[str, Any] = {}
    tb = exc.__traceback__
    while tb is not None:
        local = tb.tb_frame.f_locals
        owner = local.get("self")
        if isinstance(owner, BaseComponent) and "step" not in found:
            found["step"] = type(owner).__name__
        if tb.tb_frame.f_code.co_name == "type_check" and isinstance(owner, ChannelParameter):
            found.update(key=local.get("arg_name"), value=local.get("value"), want=owner.type)
        tb = tb.tb_next
    if "want" not in found:
        return None
    want = getattr(found["want"], "TYPE_NAME", str(found["want"]))
    step, value = found.get("step", "a step"), found["value"]
    head = f"step {step}: input '{found['key']}' takes {want} artifacts, but "
    value_type = getattr(value, "type_name", None)
    if value_type is not None:
        return head + f"was wired to {_describe_channel(value)}, a {value_type}"
    members = vars(value) if hasattr(value, "__dict__") else {}
    fields = {k: c for k, c in members.items() if getattr(c, "type_name", None) is not None}
    matching = [name for name, c in fields.items() if c.type_name == want]
    hint = f"; pass its .{matching[0]}" if matching else ""
    what = f"the stage result {type(value).__name__}" if fields else repr(value)[:80]
    return head + f"got {what} (channels: {', '.join(fields) or 'none'}){hint}"


def _describe_channel(channel: Any) -> str:
    producer = getattr(channel, "producer_component_id", None)
    key = getattr(channel, "output_key", None)
    return f"'{producer}' output '{key}'" if producer else "a channel with no producer"
