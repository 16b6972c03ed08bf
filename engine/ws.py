"""GraphQL over WebSocket: the graphql-transport-ws protocol (graphql-ws's PROTOCOL.md).

A thin adapter over `engine.operations` (the same preparation and rules as HTTP) and
the schema's subscription core (`engine.streams.Subscriptions`); `engine.ws_connection` serves each
connection, `engine.ws_protocol` holds the protocol's vocabulary.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.websockets import WebSocket

from engine.stream_transport import StreamServices, StreamTransport
from engine.ws_connection import Connection
from engine.ws_protocol import SUBPROTOCOL, WsLimits

__all__ = ["SUBPROTOCOL", "WebSocketServer", "WsLimits"]


class WebSocketServer(StreamTransport):
    """The WebSocket endpoint on `/graphql` and every connection this process holds."""

    def __init__(self, services: StreamServices, *, limits: WsLimits | None = None) -> None:
        super().__init__(services)
        self.limits = limits or WsLimits()
        self.connections: set[Connection] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        websocket = WebSocket(scope, receive, send)
        if SUBPROTOCOL not in scope.get("subprotocols", ()):
            await websocket.accept()
            await websocket.close(4406, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=SUBPROTOCOL)
        if self.stopping or len(self.connections) >= self.limits.max_connections:
            await websocket.close(1013, "Too many connections; try again later")
            return
        connection = Connection(self, websocket)
        self.connections.add(connection)
        try:
            await connection.serve()
        finally:
            self.connections.discard(connection)

    async def shutdown(self) -> None:
        """Stops taking operations, lets the running ones finish, completes every
        subscription and closes each socket with 1001."""
        self.stopping = True
        await asyncio.gather(*(c.going_away() for c in list(self.connections)))
