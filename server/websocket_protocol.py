"""uvicorn's sans-I/O WebSocket protocol, with a way to send a text message at once.

ASGI sends each message through an awaited `send`, so a server that fans one event out to a
thousand sockets wakes a thousand writer tasks, and websockets builds each frame through its
own objects. Here the ASGI scope also carries `WRITE_NOW` (in `scope["extensions"]`): a plain
function that frames a text message and writes it to the transport in the caller's turn, or
answers False when it cannot (the handshake is not done, a close was sent, the transport's
buffer is full, or an extension such as compression must see every frame); the caller then
sends through ASGI as before, which waits for the buffer to drain. Its writes go straight to
the socket, not gathered until the loop's turn ends as HTTP's are (`server.http_protocol`).
"""

from __future__ import annotations

import struct
from asyncio import BaseTransport

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

from engine.ws_protocol import WRITE_NOW
from server.http_protocol import GatheringTransport


def text_frame(message: bytes) -> bytes:
    """A server's final, unmasked text frame (RFC 6455, section 5.2) around UTF-8 bytes."""
    size = len(message)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + message
    if size < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, size) + message
    return struct.pack("!BBQ", 0x81, 127, size) + message


class WebSocketProtocol(WebSocketsSansIOProtocol):
    def connection_made(self, transport: BaseTransport) -> None:
        # Writes go straight to the socket: held until the turn ends (as HTTP's are), a
        # fan-out's writes would all be held before the transport could say it is full.
        if isinstance(transport, GatheringTransport):
            transport = transport.release()
        super().connection_made(transport)

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # only set when the upgrade was accepted
        if scope is not None:
            scope["extensions"][WRITE_NOW] = self.write_now

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # The handshake's request and response (their headers parsed twice over, a few
            # KiB) are not read again; the scope keeps the headers the app reads.
            del self.request, self.response

    def write_now(self, message: bytes) -> bool:
        """Sends one text message (UTF-8) now; False when it must go through ASGI instead."""
        if (
            not self.handshake_complete
            or self.close_sent
            or self.disconnected
            or self.initial_response is not None
            or self.conn.state is not State.OPEN
            or self.conn.extensions
            or not self.writable.is_set()
            or self.transport.is_closing()
        ):
            return False
        pending = self.conn.data_to_send()  # whatever websockets queued goes first (pongs)
        if pending:
            self.transport.write(b"".join(pending))
        self.transport.write(text_frame(message))
        return True
