"""One graphql-transport-ws connection: its handshake, operations and subscriptions.

A message is written at once when the server offers a way to (`WRITE_NOW`, a callable in
the ASGI scope's extensions) and nothing waits before it: a fan-out to a thousand sockets
then wakes no task. Otherwise it waits in the connection's queue for its one writer task,
which sends through ASGI (and so waits while the client reads slowly); a stream's `next`s
and its `complete` leave in order either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from graphql import OperationType
from starlette.websockets import WebSocket, WebSocketDisconnect

from engine.auth import Unauthenticated
from engine.errors import plain_error
from engine.http_params import GraphQLParams
from engine.operations import Runnable
from engine.stream_operations import Refused, prepare, run_once, too_many
from engine.streams import Stream, Subscriber
from engine.ws_protocol import WRITE_NOW, Close, operation_id, params_of, parse, request_id_of
from resolvers.viewer import ANONYMOUS, Viewer

if TYPE_CHECKING:
    from engine.ws import WebSocketServer


class Connection:
    def __init__(self, server: WebSocketServer, websocket: WebSocket) -> None:
        self.server = server
        self.limits = server.limits
        self.websocket = websocket
        self.request_id = request_id_of(websocket)
        self.viewer: Viewer = ANONYMOUS
        self.initialised = False
        self.acknowledged = False
        self.streams: dict[str, Stream] = {}
        self.running: dict[str, asyncio.Task[None]] = {}  # queries and mutations
        self.outgoing: deque[tuple[Stream | None, bytes]] = deque()
        self.wake = asyncio.Event()
        self.drained = asyncio.Event()
        self.heard = time.monotonic()
        self.closing: Close | None = None
        self.timers: list[asyncio.TimerHandle] = []
        self.stream_ids: dict[Stream, str] = {}
        self.reader: asyncio.Task[Any] | None = None
        extensions = websocket.scope.get("extensions") or {}
        self.write_now: Callable[[bytes], bool] | None = extensions.get(WRITE_NOW)

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        writer = asyncio.create_task(self._write())
        keepalive = asyncio.create_task(self._keep_alive())
        self.timers.append(loop.call_later(self.limits.init_timeout, self._init_timeout))
        try:
            await self._read()
        except Close as close:
            self.closing = close
        except WebSocketDisconnect:
            pass
        finally:
            for timer in self.timers:
                timer.cancel()
            keepalive.cancel()
            for stream in self.streams.values():
                self.server.hub.remove(stream)
            for task in self.running.values():
                task.cancel()
            if self.closing is not None:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(5):
                        await self._flush()
            writer.cancel()
            if self.closing is not None:
                with contextlib.suppress(Exception):
                    await self.websocket.close(self.closing.code, self.closing.reason)

    def close_soon(self, code: int, reason: str) -> None:
        """Closes from outside the reader (timers, shutdown): the reader wakes and ends."""
        if self.closing is None:
            self.closing = Close(code, reason)
            if self.reader is not None:
                self.reader.cancel()

    async def _read(self) -> None:
        self.reader = asyncio.current_task()
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None:
                    raise Close(4400, "Messages are JSON text")
                if len(text) > self.limits.max_message_bytes:
                    raise Close(1009, f"Messages are at most {self.limits.max_message_bytes} bytes")
                self.heard = time.monotonic()
                await self._handle(parse(text))
        except asyncio.CancelledError:
            if self.closing is None:
                raise
            raise self.closing from None

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == "ping":
            self._send({"type": "pong"})
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            if not self.acknowledged:
                raise Close(4401, "Unauthorized")
            self._subscribe(operation_id(message), message.get("payload"))
        elif kind == "complete":
            self._complete(operation_id(message))
        else:
            raise Close(4400, f"Unknown message type {kind!r}")

    async def _init(self, payload: Any) -> None:
        if self.initialised:
            raise Close(4429, "Too many initialisation requests")
        self.initialised = True
        if payload is not None and not isinstance(payload, dict):
            raise Close(4400, "The connection_init payload must be an object")
        authorization = (payload or {}).get("authorization")
        if authorization is not None and not isinstance(authorization, str):
            raise Close(4400, "`authorization` must be a string")
        try:
            self.viewer = self.server.tokens.viewer(authorization)
            expires = self.server.tokens.expires_at(authorization)
        except Unauthenticated:
            raise Close(4403, "Forbidden") from None
        if expires is not None:
            later = max(0.0, expires - time.time())
            loop = asyncio.get_running_loop()
            self.timers.append(loop.call_later(later, self.close_soon, 4403, "Token expired"))
        self.acknowledged = True
        self._send({"type": "connection_ack"})

    def _init_timeout(self) -> None:
        if not self.initialised:
            self.close_soon(4408, "Connection initialisation timeout")

    def _subscribe(self, id: str, payload: Any) -> None:
        if id in self.streams or id in self.running:
            raise Close(4409, f"Subscriber for {id} already exists")
        params = params_of(payload)
        if self.server.stopping:
            self._error(id, [plain_error("the server is shutting down", code="SHUTTING_DOWN")])
            return
        try:
            runnable, params = prepare(self.server.operations, params, viewer=self.viewer)
            subscribes = runnable.operation.operation is OperationType.SUBSCRIPTION
            if subscribes and len(self.streams) >= self.limits.max_subscriptions:
                raise too_many(self.limits.max_subscriptions, "subscriptions per connection")
        except Refused as refused:
            self._error(id, refused.errors)
            return
        if not subscribes:
            task = asyncio.create_task(self._run_once(id, runnable, params))
            self.running[id] = task
            return
        subscriber = Subscriber(self.viewer, self.request_id, self.limits.queue_size, self._deliver)
        self.streams[id] = stream = self.server.hub.subscribe(runnable, params, subscriber)
        self.stream_ids[stream] = id

    async def _run_once(self, id: str, runnable: Runnable, params: GraphQLParams) -> None:
        """A query or mutation: one `next`, then `complete`, as over HTTP."""
        try:
            body = await run_once(
                self.server.operations,
                runnable,
                params,
                admission=self.server.admission,
                context=self.server.context,
                viewer=self.viewer,
                request_id=f"{self.request_id}-{id}"[:128],
            )
        finally:
            self.running.pop(id, None)
        self._send({"id": id, "type": "next", "payload": body})
        self._send({"id": id, "type": "complete"})

    def _complete(self, id: str) -> None:
        stream = self.streams.pop(id, None)
        if stream is not None:
            self.server.hub.remove(stream)
            stream.ended = True
        task = self.running.pop(id, None)
        if task is not None:
            task.cancel()

    def _error(self, id: str, errors: list[dict[str, Any]]) -> None:
        self._send({"id": id, "type": "error", "payload": errors})

    def _send(self, message: dict[str, Any]) -> None:
        self._queue(None, orjson.dumps(message))

    def _deliver(self, stream: Stream, body: bytes, last: bool) -> None:
        id = self.stream_ids.get(stream)
        if id is None:
            return
        message = b'{"id":' + orjson.dumps(id) + b',"type":"next","payload":' + body + b"}"
        self._queue(stream, message)
        if last:
            self.server.hub.remove(stream)
            self.streams.pop(id, None)
            self._queue(None, orjson.dumps({"id": id, "type": "complete"}))

    def _queue(self, stream: Stream | None, message: bytes) -> None:
        if not self.outgoing and self.write_now is not None and self.write_now(message):
            if stream is not None:
                stream.sent()
            return
        self.outgoing.append((stream, message))
        self.drained.clear()
        self.wake.set()

    async def _write(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.outgoing:
                # Left in the queue while it is sent: nothing is written at once past it.
                stream, message = self.outgoing[0]
                await self.websocket.send_text(message.decode())
                self.outgoing.popleft()
                if stream is not None:
                    stream.sent()
            self.drained.set()

    async def _flush(self) -> None:
        if self.outgoing:
            await self.drained.wait()

    async def _keep_alive(self) -> None:
        """Pings a client that has been silent for a while; closes it if it stays silent."""
        interval = self.limits.keepalive
        while True:
            await asyncio.sleep(interval)
            if time.monotonic() - self.heard < interval:
                continue
            self._send({"type": "ping"})
            await asyncio.sleep(interval)
            if time.monotonic() - self.heard >= 2 * interval:
                self.close_soon(4408, "Pong not received in time")
                return

    async def going_away(self) -> None:
        """Shutdown: running operations finish, subscriptions complete, then 1001."""
        if self.running:
            await asyncio.wait(list(self.running.values()), timeout=10)
        for id, stream in list(self.streams.items()):
            self.server.hub.remove(stream)
            stream.ended = True
            self._send({"id": id, "type": "complete"})
        self.streams.clear()
        self.close_soon(1001, "Server shutting down")
