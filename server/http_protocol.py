"""uvicorn's HTTP protocol, with what a response writes in one turn of the loop sent at once,
and a bound on how long a request's head may take.

ASGI sends a response as two messages, its head and its body, and uvicorn writes each to
the socket as it comes: two system calls and two TCP segments per answer, and a client that
wakes up twice to read them. Here a connection's writes are gathered until the end of the
loop's current turn and go out in one call; a head and a body sent one after the other (as
every response of ours is) leave as one segment, and a head sent on its own (a stream that
is slow to start) still leaves without waiting for what follows it.

uvicorn closes a kept-alive connection that stays idle between requests, but not one that
was opened and never used, nor one whose request head trickles in: a client that sends half
a head held its connection as long as it liked. Here a connection is closed when a request
head has not arrived `head_timeout` seconds after the connection opened or the request
began.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class GatheringTransport:
    """A transport that holds writes until the loop's turn ends, then writes them at once.

    Only what uvicorn's HTTP protocol and its request cycles call on their transport is
    here; the rest is read from the real transport."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self._held is None:
            self._held = [data]
            self._loop.call_soon(self.flush)
        else:
            self._held.append(data)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def release(self) -> asyncio.Transport:
        """The real transport, for a protocol that takes the connection over (a WebSocket
        after its upgrade): what is held goes first."""
        self.flush()
        return self._transport

    def close(self) -> None:
        self.flush()  # what was written before the close goes first, as it would have
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration with what our protocol adds; it travels to worker processes
    with the rest (uvicorn pickles it)."""

    def __init__(self, *args: Any, head_timeout: float = 5.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout = head_timeout


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with its writes gathered (`GatheringTransport`) and its
    request heads timed (`ServerConfig.head_timeout`)."""

    _head_timer: asyncio.TimerHandle | None = None
    _head_deadline: float | None = None  # when the head under way must have arrived by

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.head_timeout = getattr(config, "head_timeout", 5.0)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # flow control and addresses: the real transport
        self.transport = GatheringTransport(transport, self.loop)  # type: ignore[assignment]
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head_timer()  # still running when this is the connection's first request

    def on_headers_complete(self) -> None:
        self._head_deadline = None  # the timer, if it runs, finds nothing to time
        super().on_headers_complete()

    # A timer per request head (set, then cancelled) cost as much as the rest of reading
    # the head: the deadline moves instead, and a running timer that fires early sets
    # itself again for it.
    def _start_head_timer(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.time() + self.head_timeout
        if self._head_timer is None:
            self._head_timer = self.loop.call_at(self._head_deadline, self._head_timer_fired)

    def _head_timer_fired(self) -> None:
        self._head_timer = None
        deadline = self._head_deadline
        if deadline is None:  # no head under way: the next one starts a timer
            return
        if self.loop.time() < deadline:
            self._head_timer = self.loop.call_at(deadline, self._head_timer_fired)
            return
        self._head_timed_out()

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()
