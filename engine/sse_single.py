"""Single connection mode of GraphQL over SSE: `PUT` reserves a stream and returns its token;
the stream opens with the token (`X-GraphQL-Event-Stream-Token`, or `?token=`); operations
are POSTed with it (202) and stopped with `DELETE ?operationId=`.

The stream and the requests that drive it may reach different processes, so reservations
and operations live in the database (`engine.stream_reservations`): a POST or DELETE on any
process writes the operation and notifies; the process holding the stream hears it on its
feed connection and brings its running operations in line with the table. When the POST
reaches the holding process itself, the operation is running before the 202 is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import orjson
from graphql import FieldNode, OperationType
from starlette.requests import Request
from starlette.responses import Response

from engine.auth import Unauthenticated
from engine.http_params import GraphQLParams, HttpError, read_params
from engine.http_streams import GET_WRITES, HttpStreams, json_refusal, unauthenticated
from engine.operations import Runnable
from engine.sse_framing import TOKEN_HEADER, TOKEN_PARAMETER, SseFraming, wants_event_stream
from engine.stream_channel import Channel, Operation
from engine.stream_operations import Refused, expired_error, prepare, too_many
from engine.stream_reservations import Reservations
from resolvers.viewer import Viewer

log = logging.getLogger("storefront.subscriptions")

SSE = SseFraming()


@dataclass
class Held:
    """A stream this process serves, and the operations it has started on it."""

    channel: Channel
    viewer: Viewer
    request_id: str
    started: set[str] = field(default_factory=set)


class SingleConnections:
    def __init__(self, streams: HttpStreams, reservations: Reservations) -> None:
        self.streams = streams
        self.reservations = reservations
        self.holder = uuid4()  # this process, as the holder of the streams it serves
        self.has_held = False  # whether it ever served one (else there is nothing to release)
        self.held: dict[bytes, Held] = {}
        self._syncing: dict[bytes, asyncio.Task[None]] = {}
        self._again: set[bytes] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        token = request.headers.get(TOKEN_HEADER) or request.query_params.get(TOKEN_PARAMETER)
        accept = ", ".join(request.headers.getlist("accept"))
        try:
            viewer = self.streams.viewer(request)
        except Unauthenticated as refused:
            response = unauthenticated(str(refused))
        else:
            if request.method == "PUT":
                response = await self._reserve(request, viewer)
            elif not token:
                response = _not_found()
            elif request.method in ("GET", "POST") and wants_event_stream(accept):
                opened = await self._connect(request, token)
                if isinstance(opened, Channel):
                    await opened.serve(send, receive, [])
                    return
                response = opened
            elif request.method in ("GET", "POST"):
                response = await self._operation(request, token, viewer)
            elif request.method == "DELETE":
                response = await self._stop(request, token, viewer)
            else:
                response = Response(status_code=405, headers={"Allow": "GET, POST, PUT, DELETE"})
        await response(scope, receive, send)

    def heard(self, payload: str | None) -> None:
        """A notification: a held stream's operations changed (None: perhaps any of them)."""
        keys = list(self.held)
        if payload is not None:
            with contextlib.suppress(ValueError):
                keys = [bytes.fromhex(payload)]
        for key in keys:
            if key in self.held:
                self._sync_soon(key)

    async def release_all(self) -> None:
        """At shutdown: streams this process held are gone with it."""
        if not self.has_held:
            return
        with contextlib.suppress(Exception):
            await self.reservations.release_all(holder=self.holder)

    async def _reserve(self, request: Request, viewer: Viewer) -> Response:
        expires = self.streams.tokens.expires_at(request.headers.get("authorization"))
        token = await self.reservations.reserve(viewer=viewer, expires_at=expires)
        return Response(token, 201, media_type="text/plain")

    async def _connect(self, request: Request, token: str) -> Channel | Response:
        store = self.reservations
        reservation = await store.claim(token, holder=self.holder)
        if reservation is None:
            if await store.find(token) is None:
                return _not_found()
            return json_refusal(409, "the stream is open already", code="CONFLICT")
        opened = self.streams.open_channel(
            SSE, heartbeat=self.streams.limits.sse_heartbeat, ends_when_idle=False
        )
        if not isinstance(opened, Channel):
            await store.release(token, holder=self.holder)
            return opened
        key = store.key_of(token)
        self.has_held = True
        self.held[key] = Held(opened, reservation.viewer, request.state.request_id)
        opened.on_complete = lambda operation: self._completed(key, operation)
        opened.on_close.append(lambda: self._let_go(key, token))
        if reservation.expires_at is not None:
            later = max(0.0, reservation.expires_at - time.time())
            timer = asyncio.get_running_loop().call_later(later, opened.end_all, expired_error())
            opened.on_close.append(timer.cancel)
        self._sync_soon(key)  # operations sent before the stream opened
        return opened

    async def _operation(self, request: Request, token: str, viewer: Viewer) -> Response:
        store = self.reservations
        reservation = await store.find(token)
        if reservation is None or reservation.viewer != viewer:
            return _not_found()
        try:
            params = await read_params(request.scope, request.receive)
            operation = (params.extensions or {}).get("operationId")
            if not isinstance(operation, str) or not operation:
                raise HttpError(400, "send the operation's id as extensions.operationId")
            runnable, _ = prepare(self.streams.operations, params, viewer=viewer)
        except HttpError as refused:
            return json_refusal(refused.status, refused.message, code=refused.code)
        except Refused as refused:
            return json_refusal_of(refused)
        if request.method == "GET" and runnable.operation.operation is OperationType.MUTATION:
            return json_refusal(405, GET_WRITES, code="BAD_REQUEST")
        sent = {
            "query": params.query,
            "operationName": params.operation_name,
            "variables": params.variables,
            "extensions": params.extensions,
        }
        if not _names_after(runnable):
            # The feed's position now: a holder that starts it later (another process, or a
            # stream not yet open) misses nothing committed after the 202.
            sent["startAfter"] = await store.start_cursor()
        limit = self.streams.limits.max_operations
        added = await store.add_operation(token, operation, sent, limit=limit)
        if added == "no stream":
            return _not_found()
        if added == "full":
            return json_refusal_of(too_many(limit, "operations per stream"))
        if added == "duplicate":
            return json_refusal(409, f"an operation {operation!r} exists already", code="CONFLICT")
        key = store.key_of(token)
        if key in self.held:  # served here: running before the client hears 202
            await self._sync(key)
        return Response(status_code=202)

    async def _stop(self, request: Request, token: str, viewer: Viewer) -> Response:
        store = self.reservations
        reservation = await store.find(token)
        if reservation is None or reservation.viewer != viewer:
            return _not_found()
        operation = request.query_params.get("operationId")
        if not operation:
            return json_refusal(400, "name the operation: ?operationId=", code="BAD_REQUEST")
        key = store.key_of(token)
        await store.remove_operation(key, operation)
        if key in self.held:
            await self._sync(key)
        return Response(status_code=200)

    def _sync_soon(self, key: bytes) -> None:
        """One synchronisation per stream at a time; a change heard meanwhile runs another."""
        if key in self._syncing:
            self._again.add(key)
            return

        async def syncing() -> None:
            try:
                while True:
                    self._again.discard(key)
                    await self._sync(key)
                    if key not in self._again:
                        return
            except Exception:  # the database may be away: the next notification retries
                log.warning("event stream: could not read its operations", exc_info=True)
            finally:
                self._syncing.pop(key, None)

        self._syncing[key] = asyncio.create_task(syncing())

    async def _sync(self, key: bytes) -> None:
        """Starts the stream's new operations and stops those no longer in the table."""
        wanted = await self.reservations.operations(key)
        held = self.held.get(key)
        if held is None:
            return
        for operation, sent in wanted.items():
            if operation in held.started:
                continue
            held.started.add(operation)
            params = GraphQLParams(
                sent.get("query") or "",
                sent.get("operationName"),
                sent.get("variables"),
                sent.get("extensions"),
            )
            self.streams.start(
                held.channel,
                held.request_id,
                params,
                viewer=held.viewer,
                operation=operation,
                after=sent.get("startAfter"),
            )
        for operation in held.started - set(wanted):
            held.started.discard(operation)
            held.channel.stop(operation)

    def _completed(self, key: bytes, operation: Operation) -> None:
        """An operation ended of its own accord (a query answered, a stream stopped)."""
        if operation is not None:
            self._later(self.reservations.remove_operation(key, operation))

    def _let_go(self, key: bytes, token: str) -> None:
        self.held.pop(key, None)
        self._later(self.reservations.release(token, holder=self.holder))

    def _later(self, work: Any) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception:  # the database may be away; pruning tidies up later
                log.warning("event stream: could not update its reservation", exc_info=True)

        task = asyncio.ensure_future(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def json_refusal_of(refused: Refused) -> Response:
    body = orjson.dumps({"errors": refused.errors})
    return Response(body, refused.status, media_type="application/json")


def _not_found() -> Response:
    return json_refusal(404, "stream not found: reserve one with PUT", code="NOT_FOUND")


def _names_after(runnable: Runnable) -> bool:
    """Whether the operation's root field says where to resume itself (`after`)."""
    operation = runnable.operation
    if operation.operation is not OperationType.SUBSCRIPTION:
        return True  # nothing to resume: a query or mutation runs once
    return any(
        isinstance(field, FieldNode)
        and any(argument.name.value == "after" for argument in field.arguments or ())
        for field in operation.selection_set.selections
    )
