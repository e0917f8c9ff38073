"""Compatibility: pipelines compiled before tfxkit 0.2 name resolver strategies by this path
(``tfxkit.resolvers.PreviousBlessedModelStrategy``) in their IR and specs; they live in
``tfxkit.pipeline.resolvers`` now. Kept so an old compiled spec still runs."""

from tfxkit.pipeline.resolvers import (  # noqa: F401
    PreviousApprovedSchemaStrategy,
    PreviousBlessedModelStrategy,
)
