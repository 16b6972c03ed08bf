"""The subscription core: one per process, fed by the change feed, shared by transports.

For each batch of events it finds the streams that want each event and may see it, loads the
events' documents once (not once per subscriber), runs each distinct selection once per group
of subscribers that would get the same answer (same document, operation, variables and
viewer scope), and offers the same bytes to every member of the group. A stream whose queue
is full gets one typed error (`SUBSCRIBER_TOO_SLOW`, with the last cursor it was given) and
ends: nothing is dropped without a message saying so.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import get_argument_values

from engine.errors import masked_error, plain_error
from engine.http_params import GraphQLParams
from engine.operations import Operations, Runnable
from engine.streams import Deliver
from engine.streams import Stream as AnyStream
from gql.changes import Interest, interest, payload
from resolvers.changes import cursor_of, load_documents, loader_for, sees_event, sees_row
from resolvers.context import RequestContext
from resolvers.viewer import STAFF, Viewer
from sql.feed import ChangeEvent

log = logging.getLogger("storefront.subscriptions")

TOO_SLOW = "SUBSCRIBER_TOO_SLOW"

ContextFactory = Callable[[str, Viewer], RequestContext]


class Stream:
    """One subscription: what it wants, who asks, and how many results wait to be sent."""

    __slots__ = (
        "_deliver",
        "ended",
        "field",
        "interest",
        "key",
        "last_cursor",
        "max_pending",
        "params",
        "pending",
        "request_id",
        "runnable",
        "viewer",
    )

    def __init__(
        self,
        field: str,
        arguments: dict[str, Any],
        runnable: Runnable,
        params: GraphQLParams,
        *,
        viewer: Viewer,
        request_id: str,
        max_pending: int,
        deliver: Deliver,
    ) -> None:
        self.field = field
        self.interest: Interest = interest(field, arguments)
        self.runnable = runnable
        self.params = params
        self.viewer = viewer
        self.request_id = request_id
        self.max_pending = max_pending
        self.pending = 0
        self.ended = False
        self.last_cursor: str | None = None
        self._deliver = deliver
        # As text: orjson's bytes keep the 4 KiB it allocated to write them.
        variables = orjson.dumps(params.variables or {}, option=orjson.OPT_SORT_KEYS).decode()
        # Subscribers with equal keys get byte-equal answers: one execution serves them all.
        self.key = (params.query, params.operation_name, variables, viewer.role, viewer.owner)

    def offer(self, cursor: str, body: bytes) -> None:
        """Queues one result; a full queue ends the stream with a typed error instead."""
        if self.ended:
            return
        if self.pending >= self.max_pending:
            self.ended = True
            error = plain_error(
                "this subscriber fell too far behind and was stopped; "
                "subscribe again (with `after` to resume from its last cursor)",
                code=TOO_SLOW,
            )
            error["extensions"]["cursor"] = self.last_cursor
            self._deliver(self, orjson.dumps({"errors": [error]}), True)
            return
        self.pending += 1
        self.last_cursor = cursor
        self._deliver(self, body, False)

    def sent(self) -> None:
        """The transport wrote one queued result to the client."""
        self.pending -= 1


class Hub:
    def __init__(self, operations: Operations, context: ContextFactory) -> None:
        self.operations = operations
        self.context = context
        self.streams: dict[Stream, None] = {}  # in the order they began
        self.executions = 0  # selections run, for tests and the benchmark
        # For metrics: events handed to subscribers, subscribers stopped as too slow, and
        # `on_lag`, told for each event that reaches anyone how long ago it was written.
        self.delivered = 0
        self.stopped = 0
        self.on_lag: Callable[[float], None] | None = None

    def root_of(self, runnable: Runnable) -> tuple[str, dict[str, Any]]:
        """The root field of a prepared subscription operation and its arguments."""
        root = _root_field(runnable.operation.selection_set, runnable)
        subscription = self.operations.schema.subscription_type
        assert subscription is not None
        definition = subscription.fields[root.name.value]
        return root.name.value, get_argument_values(definition, root, runnable.variables)

    def add(self, stream: Stream) -> None:
        """The stream receives every batch published from now on."""
        self.streams[stream] = None

    def subscribe(
        self,
        runnable: Runnable,
        params: GraphQLParams,
        *,
        viewer: Viewer,
        request_id: str,
        max_pending: int,
        deliver: Deliver,
    ) -> Stream:
        """A stream of a prepared subscription operation, added (`add`)."""
        stream = Stream(
            *self.root_of(runnable),
            runnable,
            params,
            viewer=viewer,
            request_id=request_id,
            max_pending=max_pending,
            deliver=deliver,
        )
        self.add(stream)
        return stream

    def remove(self, stream: AnyStream) -> None:
        if isinstance(stream, Stream):
            self.streams.pop(stream, None)

    async def publish(self, events: list[ChangeEvent]) -> None:
        """Fans one batch out, in order; called by the feed listener."""
        if not self.streams:
            return
        wanted: list[tuple[ChangeEvent, list[Stream]]] = []
        for event in events:
            takers = [
                s
                for s in self.streams
                if not s.ended and s.interest.wants(event) and sees_event(s.viewer, event)
            ]
            if takers:
                wanted.append((event, takers))
        if not wanted:
            return
        unscoped = self.context("feed", STAFF).loaders
        documents = await load_documents(unscoped, [event for event, _ in wanted])
        for event, takers in wanted:
            cursor = cursor_of(event.position)
            row = documents.get((event.table, event.id))
            if self.on_lag is not None:
                self.on_lag((datetime.now(UTC) - event.at).total_seconds())
            for group in _groups(takers):
                body = await self._execute(group[0], event, cursor, row)
                for stream in group:
                    stream.offer(cursor, body)
                    if stream.ended:
                        self.stopped += 1
                    else:
                        self.delivered += 1

    async def _execute(self, stream: Stream, event: ChangeEvent, cursor: str, row: Any) -> bytes:
        viewer = stream.viewer
        ctx = self.context(stream.request_id, viewer)
        if row is not None and sees_row(viewer, row):
            loader_for(ctx.loaders, event.table).prime_row(row)  # nested fields know it
        root = payload(stream.field, event, cursor, row, viewer)
        self.executions += 1
        try:
            result = await self.operations._run(
                stream.runnable, stream.params, lambda: ctx, viewer=viewer, root=root
            )
        except Exception:  # one failed event must not stop the feed for everyone
            log.exception("subscription event failed (request %s)", stream.request_id)
            result = {"errors": [masked_error(stream.request_id)], "data": None}
        return orjson.dumps(result)


def _groups(streams: list[Stream]) -> Iterator[list[Stream]]:
    grouped: dict[tuple[Any, ...], list[Stream]] = defaultdict(list)
    for stream in streams:
        grouped[stream.key].append(stream)
    return iter(grouped.values())


def _root_field(selections: SelectionSetNode, runnable: Runnable) -> FieldNode:
    """The one root field of a subscription (validation guarantees there is exactly one),
    wherever fragments put it."""
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            return selection
        if isinstance(selection, InlineFragmentNode):
            return _root_field(selection.selection_set, runnable)
        if isinstance(selection, FragmentSpreadNode):
            fragment = next(
                d
                for d in runnable.document.definitions
                if getattr(d, "name", None) is not None
                and d.name.value == selection.name.value  # type: ignore[attr-defined]
                and hasattr(d, "type_condition")
            )
            return _root_field(fragment.selection_set, runnable)  # type: ignore[attr-defined]
    raise ValueError("a subscription without a root field passed validation")
