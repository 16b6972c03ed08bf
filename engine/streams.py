"""What a transport asks of the subscription core it serves: the engine moves a stream's
bytes; the schema's core decides which events a stream wants and what it receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from engine.context import RequestScope
from engine.http_params import GraphQLParams
from engine.operations import Runnable
from resolvers.viewer import Viewer

Deliver = Callable[["Stream", bytes, bool], None]
"""The transport's hand-off: (stream, an execution result as JSON, whether it is the last)."""

ContextFactory = Callable[[str, Viewer], RequestScope]
"""A context for (request id, viewer), for operations a transport runs once."""


class Stream(Protocol):
    ended: bool
    last_cursor: str | None  # of the last result it was given (SSE sends it as the `id:`)

    def sent(self) -> None:
        """The transport wrote one queued result to the client."""
        ...


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Who a stream serves, where it resumes and how its results leave: what every transport
    hands the core."""

    viewer: Viewer
    request_id: str  # for logs and masked errors
    max_pending: int  # results queued and not yet sent before the stream is stopped as too slow
    deliver: Deliver
    after: str | None = None
    """An event's cursor to resume after (e.g. an SSE `Last-Event-ID`); without it, the
    operation's own `after` argument."""


class Subscriptions(Protocol):
    def subscribe(
        self, runnable: Runnable, params: GraphQLParams, subscriber: Subscriber
    ) -> Stream:
        """A stream of a prepared subscription operation, receiving from now on; with a
        cursor to resume after (`Subscriber.after`), first every event after it the viewer
        may see. The core hands nothing on before this returns, so the transport records the
        stream after."""
        ...

    def remove(self, stream: Stream) -> None: ...
