"""uvicorn's HTTP protocol, with what a response writes in one turn of the loop sent at once.

ASGI sends a response as two messages, its head and its body, and uvicorn writes each to
the socket as it comes: two system calls and two TCP segments per answer, and a client that
wakes up twice to read them. Here a connection's writes are gathered until the end of the
loop's current turn and go out in one call; a head and a body sent one after the other (as
every response of ours is) leave as one segment, and a head sent on its own (a stream that
is slow to start) still leaves without waiting for what follows it.
"""

from __future__ import annotations

import asyncio
from typing import Any

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

    def close(self) -> None:
        self.flush()  # what was written before the close goes first, as it would have
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with its writes gathered (`GatheringTransport`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # flow control and addresses: the real transport
        self.transport = GatheringTransport(transport, self.loop)  # type: ignore[assignment]
