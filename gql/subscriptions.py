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

from engine.errors import masked_error
from engine.http_params import GraphQLParams
from engine.operations import Operations, Runnable
from engine.streams import Stream as AnyStream
from engine.streams import Subscriber
from gql.changes import payload
from gql.feed_contexts import BatchContexts, ContextFactory, contexts_at
from gql.feed_window import FeedWindow
from gql.resume import resume
from gql.subscription_roots import root_field
from gql.subscription_stream import Stream
from resolvers.changes import (
    RETRY_FIRST,
    RETRY_MOST,
    cursor_of,
    load_documents,
    loader_for,
    sees_event,
    sees_row,
    until_available,
)
from resolvers.viewer import STAFF
from sql.feed import ChangeEvent

log = logging.getLogger("storefront.subscriptions")


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
        self, runnable: Runnable, params: GraphQLParams, subscriber: Subscriber
    ) -> Stream:
        """A stream of a prepared subscription operation, added (`add`, which see for
        `subscriber.after`)."""
        stream = Stream(*self.root_of(runnable), runnable, params, subscriber)
        self.add(stream, after=subscriber.after)
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
