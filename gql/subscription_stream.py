"""One subscription's stream: what it wants, who asks, and the results queued for it.

A full queue ends the stream with one typed error (`SUBSCRIBER_TOO_SLOW`, with the last
cursor it was given). While it replays from a cursor (`gql.resume`), live results are held
back, then those not already replayed are released: no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from engine.errors import plain_error
from engine.http_params import GraphQLParams
from engine.operations import Runnable
from engine.streams import Subscriber
from gql.changes import Interest, interest
from gql.subscription_roots import result_variables
from resolvers.changes import position_of
from sql.feed import Position

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
        subscriber: Subscriber,
    ) -> None:
        self.field = field
        self.interest: Interest = interest(field, arguments)
        self.runnable = runnable
        self.params = params
        self.viewer = viewer = subscriber.viewer
        self.request_id = subscriber.request_id
        self.max_pending = subscriber.max_pending
        self.pending = 0
        self.ended = False
        self.last_cursor: str | None = None
        self._deliver = subscriber.deliver
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
