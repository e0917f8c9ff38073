"""RowFilter's executor: what the component does when it runs."""

import os
from typing import Any

from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact_utils


class Executor(base_executor.BaseExecutor):
    """Copies each kept split of the input examples to the output (your logic goes here)."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        examples = artifact_utils.get_single_instance(input_dict["examples"])
        output = artifact_utils.get_single_instance(output_dict["output_examples"])
        splits = artifact_utils.decode_split_names(examples.split_names)
        keep = exec_properties.get("keep_splits")
        if keep:
            wanted = [s.strip() for s in keep.split(",") if s.strip()]
            unknown = sorted(set(wanted) - set(splits))
            if unknown:
                raise ValueError(f"keep_splits: no split {unknown} in the input ({splits})")
            splits = [s for s in splits if s in wanted]
        output.split_names = artifact_utils.encode_split_names(splits)
        for split in splits:
            source = artifact_utils.get_split_uri([examples], split)
            target = artifact_utils.get_split_uri([output], split)
            fileio.makedirs(target)
            for name in fileio.listdir(source):
                fileio.copy(os.path.join(source, name), os.path.join(target, name), True)
