"""The contexts the subscription core runs events in, and where their reads come from.

With replicas, an event's nodes must never be older than the event: every context built
for a batch of events reads from one source, a replica that has replayed the WAL position
the feed read the batch at (`ChangeEvent.read_at`, past every commit in it), or else the
primary, decided once for the whole batch (`STOREFRONT_REPLICA_MAX_WAIT_MS` at most).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Protocol

from resolvers.context import RequestContext
from resolvers.viewer import STAFF, Viewer
from sql.feed import ChangeEvent


class ContextFactory(Protocol):
    def __call__(
        self, request_id: str, viewer: Viewer, *, writes: bool = False, read_after: int = 0
    ) -> RequestContext:
        """A context whose reads include WAL position `read_after` (0: any replica will do);
        `writes`: all on the primary."""
        ...


BatchContexts = Callable[[str, Viewer], RequestContext]
"""The contexts of one batch's executions: a request id and a viewer are all they vary by."""


def contexts_at(factory: ContextFactory, events: Sequence[ChangeEvent]) -> BatchContexts:
    """Contexts whose reads are no older than any of `events`, sharing one read source."""
    read_at = max((event.read_at for event in events), default=0)
    shared = factory("feed", STAFF, read_after=read_at)

    def context(request_id: str, viewer: Viewer) -> RequestContext:
        return dataclasses.replace(shared, request_id=request_id, viewer=viewer)

    return context
