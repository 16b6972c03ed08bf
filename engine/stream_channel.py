"""One HTTP response that streams results (Server-Sent Events, multipart): an ordered queue of
frames, one writer, heartbeats while idle, and the subscriptions it carries on the core.

A frame counts as sent once it was handed to the server, which waits while the client's
socket is full: a client that stops reading fills its subscriptions' queues in the core and
is stopped there with `SUBSCRIBER_TOO_SLOW`, exactly as over a WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from engine.streams import Stream, Subscriptions

Operation = str | None
"""An operation's id in single connection mode; None where a response carries one."""


@dataclass(frozen=True, slots=True)
class StreamLimits:
    max_streams: int = 2000  # open streaming responses per process
    max_operations: int = 100  # operations at once on one single-connection stream
    queue_size: int = 100  # results waiting to be sent, per subscription
    sse_heartbeat: float = 15.0  # seconds between SSE comment lines on an idle stream
    multipart_heartbeat: float = 5.0  # Apollo's multipart protocol asks for 5 s


class Framing(Protocol):
    """How one transport writes results into its response body."""

    media_type: str
    opening: bytes
    heartbeat: bytes
    closing: bytes

    def next(self, body: bytes, *, operation: Operation, cursor: str | None) -> bytes: ...

    def complete(self, operation: Operation) -> bytes: ...


class Channel:
    def __init__(
        self, framing: Framing, hub: Subscriptions, *, heartbeat: float, ends_when_idle: bool = True
    ) -> None:
        self.framing = framing
        self.hub = hub
        self.heartbeat = heartbeat
        self.ends_when_idle = ends_when_idle  # distinct mode: the last operation ends it
        self.streams: dict[Stream, Operation] = {}
        self.running: dict[Operation, asyncio.Task[None]] = {}  # queries and mutations
        self.outgoing: deque[tuple[Stream | None, bytes]] = deque()
        self.wake = asyncio.Event()
        self.finishing = False
        self.gone = False
        self.on_close: list[Callable[[], Any]] = []
        self.on_complete: Callable[[Operation], Any] | None = None  # ended of its own accord

    @property
    def operations(self) -> set[Operation]:
        return set(self.streams.values()) | set(self.running)

    def add(self, operation: Operation, stream: Stream) -> None:
        self.streams[stream] = operation

    def run(self, operation: Operation, result: Awaitable[dict[str, Any]]) -> None:
        """A query or mutation: its one result, then `complete`."""

        async def answer() -> None:
            body = await result
            self.running.pop(operation, None)
            self.result(operation, body)

        self.running[operation] = asyncio.create_task(answer())

    def result(self, operation: Operation, body: dict[str, Any]) -> None:
        """One result that is also the operation's last (a query's, or a refusal's)."""
        self._queue(None, self.framing.next(orjson.dumps(body), operation=operation, cursor=None))
        self._completed(operation)

    def deliver(self, stream: Stream, body: bytes, last: bool) -> None:
        """The core's hand-off: each event carries its cursor, the last one ends the stream."""
        operation = self.streams.get(stream, _ABSENT)
        if operation is _ABSENT:
            return
        cursor = None if last else stream.last_cursor
        self._queue(stream, self.framing.next(body, operation=operation, cursor=cursor))
        if last:
            self._drop(stream)
            self._completed(operation)

    def stop(self, operation: Operation) -> bool:
        """The client stopped an operation: nothing more is sent for it."""
        found = False
        for stream, held in list(self.streams.items()):
            if held == operation:
                self._drop(stream)
                found = True
        task = self.running.pop(operation, None)
        if task is not None:
            task.cancel()
            found = True
        if found and self.ends_when_idle and not self.operations:
            self.finish()
        return found

    def end_all(self, error: dict[str, Any] | None = None) -> None:
        """Ends every operation (shutdown, an expired token), each with `error` when given."""
        for operation in self.operations:
            self.stop(operation)
            if error is not None:
                body = orjson.dumps({"errors": [error]})
                self._queue(None, self.framing.next(body, operation=operation, cursor=None))
            self._queue(None, self.framing.complete(operation))
        self.finish()

    def finish(self) -> None:
        """The response ends once what is queued has been written."""
        self.finishing = True
        self.wake.set()

    async def serve(self, send: Any, receive: Any, headers: list[tuple[bytes, bytes]]) -> None:
        watcher = asyncio.create_task(self._watch(receive))
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", self.framing.media_type.encode()),
                        (b"cache-control", b"no-cache"),
                        (b"x-accel-buffering", b"no"),  # proxies pass frames on at once
                        *headers,
                    ],
                }
            )
            await self._write(send, self.framing.opening)
            await self._pump(send)
            if not self.gone:
                await send({"type": "http.response.body", "body": self.framing.closing})
        finally:
            watcher.cancel()
            self.close()

    def close(self) -> None:
        for stream in list(self.streams):
            self._drop(stream)
        for task in self.running.values():
            task.cancel()
        self.running.clear()
        for callback in self.on_close:
            callback()

    async def _pump(self, send: Any) -> None:
        while not self.gone:
            try:
                async with asyncio.timeout(self.heartbeat):
                    await self.wake.wait()
            except TimeoutError:
                await self._write(send, self.framing.heartbeat)
                continue
            self.wake.clear()
            while self.outgoing and not self.gone:
                stream, frame = self.outgoing.popleft()
                await self._write(send, frame)
                if stream is not None:
                    stream.sent()
            if self.finishing and not self.outgoing:
                return

    async def _write(self, send: Any, frame: bytes) -> None:
        if frame and not self.gone:
            await send({"type": "http.response.body", "body": frame, "more_body": True})

    async def _watch(self, receive: Any) -> None:
        with contextlib.suppress(Exception):  # a broken receive means the client is gone too
            while (await receive())["type"] != "http.disconnect":
                pass
        self.gone = True
        self.wake.set()

    def _queue(self, stream: Stream | None, frame: bytes) -> None:
        self.outgoing.append((stream, frame))
        self.wake.set()

    def _drop(self, stream: Stream) -> None:
        self.hub.remove(stream)
        stream.ended = True
        self.streams.pop(stream, None)

    def _completed(self, operation: Operation) -> None:
        self._queue(None, self.framing.complete(operation))
        if self.on_complete is not None:
            self.on_complete(operation)
        if self.ends_when_idle and not self.operations:
            self.finish()


_ABSENT: Any = object()
