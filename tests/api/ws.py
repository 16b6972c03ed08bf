"""A real server on a loopback port and a graphql-transport-ws client, for subscription tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

from server.app import create_app
from server.serve import websocket_options
from server.settings import Settings
from sql.pool import QueryLogger

PROTOCOL = "graphql-transport-ws"


@contextlib.asynccontextmanager
async def live_server(
    database_url: str, *, query_logger: QueryLogger | None = None, **settings: Any
) -> AsyncIterator[tuple[str, Starlette]]:
    """The app served by uvicorn on 127.0.0.1 (a free port) for the block: (ws url, app)."""
    configured = Settings(database_url=database_url, pool_min_size=1, pool_max_size=5, **settings)
    app = create_app(configured, query_logger=query_logger)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_config=None,
        lifespan="on",
        **websocket_options(configured),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/graphql", app
    finally:
        server.should_exit = True
        await task


class Client:
    """One graphql-transport-ws connection, driven message by message."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, timeout: float = 5) -> dict[str, Any]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            message: dict[str, Any] = json.loads(await self.socket.recv())
            return message

    async def init(self, bearer: str | None = None) -> dict[str, Any]:
        payload = {} if bearer is None else {"authorization": f"Bearer {bearer}"}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(self, id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        await self.send(
            {"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    async def closed(self, timeout: float = 5) -> tuple[int | None, str]:  # noqa: ASYNC109
        """The close code and reason the server ended the connection with."""
        async with asyncio.timeout(timeout):
            with contextlib.suppress(Exception):
                while True:
                    await self.socket.recv()
        await self.socket.wait_closed()
        return self.socket.close_code, self.socket.close_reason or ""


@contextlib.asynccontextmanager
async def client(
    url: str, *, bearer: str | None = None, init: bool = True, max_queue: int = 16
) -> AsyncIterator[Client]:
    """A connection, acknowledged unless `init` is False; it stops reading the socket while
    `max_queue` messages wait for `receive`."""
    async with connect(url, subprotocols=[PROTOCOL], max_queue=max_queue) as socket:  # type: ignore[list-item]
        connection = Client(socket)
        if init:
            ack = await connection.init(bearer)
            assert ack == {"type": "connection_ack"}, ack
        yield connection
