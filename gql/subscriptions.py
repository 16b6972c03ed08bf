"""The subscription core: one per process, fed by the change feed, shared by transports.

For each batch of events it finds the streams that want each event and may see it, loads the
events' documents once (not once per subscriber), runs each distinct selection once per group
of subscribers that would get the same answer (same document, operation, variables and
viewer scope), and offers the same bytes to every member of the group. A stream whose queue
is full gets one typed error (`SUBSCRIBER_TOO_SLOW`, with the last cursor it was given) and
ends: nothing is dropped without a message saying so.

A stream added with a cursor (`after`) first replays the events after it, from memory or
the outbox (`gql.resume`), while live results are held back, then releases those not
already replayed: no gap and no duplicate at the switch-over.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
from graphql.execution.values import get_argument_values

from engine.errors import masked_error, plain_error
from engine.http_params import GraphQLParams
from engine.operations import Operations, Runnable
from engine.streams import Deliver
from engine.streams import Stream as AnyStream
from gql.changes import Interest, interest, payload
from gql.feed_contexts import BatchContexts, ContextFactory, contexts_at
from gql.feed_window import FeedWindow
from gql.resume import resume
from gql.subscription_roots import result_variables, root_field
from resolvers.changes import (
    RETRY_FIRST,
    RETRY_MOST,
    cursor_of,
    load_documents,
    loader_for,
    position_of,
    sees_event,
    sees_row,
    until_available,
)
from resolvers.viewer import STAFF, Viewer
from sql.feed import ChangeEvent, Position

log = logging.getLogger("storefront.subscriptions")

TOO_SLOW = "SUBSCRIBER_TOO_SLOW"


class Stream:
    """One subscription: what it wants, who asks, and how many results wait to be sent."""

    __slots__ = (
        "_deliver",
        "after",
        "ended",
        "field",
        "floor",
        "held",
        "interest",
        "key",
        "last_cursor",
        "max_pending",
        "missed",
        "params",
        "pending",
        "replay",
        "request_id",
        "room",
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
        after = arguments.get("after")
        self.after: str | None = after if isinstance(after, str) else None
        # While replaying: live results held back, whether some had to be let go (the replay
        # then reads them from the outbox), the replay task, and a wake-up for it. After it,
        # `floor`: the last position replayed, until a live result passes it.
        self.held: list[tuple[str, bytes]] | None = None
        self.floor: Position | None = None
        self.missed = False
        self.replay: asyncio.Task[None] | None = None
        self.room: asyncio.Event | None = None
        # As text: orjson's bytes keep the 4 KiB it allocated to write them.
        variables = orjson.dumps(
            result_variables(runnable, params.variables), option=orjson.OPT_SORT_KEYS
        ).decode()
        # Subscribers with equal keys get byte-equal answers: one execution serves them all.
        self.key = (params.query, params.operation_name, variables, viewer.role, viewer.owner)

    def offer(self, cursor: str, body: bytes) -> None:
        """Queues one live result; a full queue ends the stream with a typed error instead."""
        if self.held is not None:  # replaying: live results wait until the replay is done
            if len(self.held) >= self.max_pending:
                self.held.clear()  # bounded: the replay reads these again from the outbox
                self.missed = True
            self.held.append((cursor, body))
            return
        if self.floor is not None:  # just resumed: a fan-out begun earlier may bring replays
            at = position_of(cursor)
            if at is not None and at <= self.floor:
                return
            self.floor = None  # results come in order: all later ones pass too
        self.send(cursor, body)

    def send(self, cursor: str, body: bytes) -> None:
        """Queues one result now, live or replayed."""
        if self.ended:
            return
        if self.pending >= self.max_pending:
            self.stop(
                plain_error(
                    "this subscriber fell too far behind and was stopped; "
                    "subscribe again (with `after` to resume from its last cursor)",
                    code=TOO_SLOW,
                )
            )
            return
        self.pending += 1
        self.last_cursor = cursor
        self._deliver(self, body, False)

    def stop(self, error: dict[str, Any]) -> None:
        """Ends the stream with one typed error carrying the last cursor it was given."""
        if self.ended:
            return
        self.ended = True
        error["extensions"]["cursor"] = self.last_cursor
        self._deliver(self, orjson.dumps({"errors": [error]}), True)

    def sent(self) -> None:
        """The transport wrote one queued result to the client."""
        self.pending -= 1
        if self.room is not None:
            self.room.set()


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
        self.window = FeedWindow()  # the latest events and results, for resumes

    def root_of(self, runnable: Runnable) -> tuple[str, dict[str, Any]]:
        """The root field of a prepared subscription operation and its arguments."""
        root = root_field(runnable)
        subscription = self.operations.schema.subscription_type
        assert subscription is not None
        definition = subscription.fields[root.name.value]
        return root.name.value, get_argument_values(definition, root, runnable.variables)

    def add(self, stream: Stream, *, after: str | None = None) -> None:
        """The stream receives every batch published from now on; with a cursor (`after`,
        else the field's own `after` argument) it first receives every event after that
        cursor it may see, from memory or the outbox. A bad cursor ends it with one error."""
        self.streams[stream] = None
        cursor = after if after is not None else stream.after
        if cursor is not None:
            stream.held = []
            stream.replay = asyncio.create_task(resume(self, stream, cursor))

    def subscribe(
        self,
        runnable: Runnable,
        params: GraphQLParams,
        *,
        viewer: Viewer,
        request_id: str,
        max_pending: int,
        deliver: Deliver,
        after: str | None = None,
    ) -> Stream:
        """A stream of a prepared subscription operation, added (`add`, which see for
        `after`)."""
        stream = Stream(
            *self.root_of(runnable),
            runnable,
            params,
            viewer=viewer,
            request_id=request_id,
            max_pending=max_pending,
            deliver=deliver,
        )
        self.add(stream, after=after)
        return stream

    def remove(self, stream: AnyStream) -> None:
        if isinstance(stream, Stream):
            self.streams.pop(stream, None)
            if stream.replay is not None:
                stream.replay.cancel()

    async def publish(self, events: list[ChangeEvent]) -> None:
        """Fans one batch out, in order; called by the feed listener."""
        self.window.keep(events)
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
        events = [event for event, _ in wanted]
        contexts = contexts_at(self.context, events)
        documents = await until_available(
            lambda: load_documents(contexts("feed", STAFF).loaders, events)
        )
        for event, takers in wanted:
            cursor = cursor_of(event.position)
            row = documents.get((event.table, event.id))
            if self.on_lag is not None:
                self.on_lag((datetime.now(UTC) - event.at).total_seconds())
            for group in _groups(takers):
                body = await self._execute(group[0], event, cursor, row, contexts)
                self.window.remember(group[0].key, event.position, body)
                for stream in group:
                    stream.offer(cursor, body)
                    if stream.ended:
                        self.stopped += 1
                    else:
                        self.delivered += 1

    async def _execute(
        self,
        stream: Stream,
        event: ChangeEvent,
        cursor: str,
        row: Any,
        contexts: BatchContexts | None = None,
    ) -> bytes:
        """The stream's selection on one event, as JSON. While the database is unavailable
        the event is run again after a pause: an outage delays events, it loses none.
        `contexts`: those of the event's batch (`gql.feed_contexts`)."""
        contexts = contexts or contexts_at(self.context, [event])
        pause = RETRY_FIRST
        while True:
            result = await self._execute_once(stream, event, cursor, row, contexts)
            if not any(_unavailable(error) for error in result.get("errors") or ()):
                return orjson.dumps(result)
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_MOST)

    async def _execute_once(
        self, stream: Stream, event: ChangeEvent, cursor: str, row: Any, contexts: BatchContexts
    ) -> dict[str, Any]:
        viewer = stream.viewer
        ctx = contexts(stream.request_id, viewer)
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
        return result


def _unavailable(error: dict[str, Any]) -> bool:
    return bool(error.get("extensions", {}).get("code") == "SERVICE_UNAVAILABLE")


def _groups(streams: list[Stream]) -> Iterator[list[Stream]]:
    grouped: dict[tuple[Any, ...], list[Stream]] = defaultdict(list)
    for stream in streams:
        grouped[stream.key].append(stream)
    return iter(grouped.values())
