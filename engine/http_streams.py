"""Operations answered with a streaming HTTP response: one operation, one response (the
distinct connections mode of GraphQL over SSE, and Apollo's multipart subscriptions).

Everything about the operation is decided by `gql.stream_operations` and the subscription
core; this module reads the request, checks the bearer token and the per-process bound, and
hands results to a `Channel` in the transport's framing.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from graphql import OperationType
from starlette.requests import Request
from starlette.responses import Response

from engine.auth import Unauthenticated
from engine.errors import RETRY_AFTER_SECONDS, plain_error
from engine.http_params import GraphQLParams, HttpError, read_params
from engine.stream_channel import Channel, Framing, StreamLimits
from engine.stream_operations import Refused, expired_error, prepare, run_once
from engine.stream_transport import StreamServices, StreamTransport
from engine.streams import Subscriber
from resolvers.viewer import Viewer

GET_WRITES = "mutations are sent with POST; GET runs queries and subscriptions only"


class HttpStreams(StreamTransport):
    """Every streaming response this process holds, whatever its transport."""

    def __init__(self, services: StreamServices, *, limits: StreamLimits | None = None) -> None:
        super().__init__(services)
        self.limits = limits or StreamLimits()
        self.channels: set[Channel] = set()

    def viewer(self, request: Request) -> Viewer:
        """The bearer token's viewer, as for any request (`Unauthenticated` when refused)."""
        return self.tokens.viewer(request.headers.get("authorization"))

    def open_channel(
        self, framing: Framing, *, heartbeat: float, ends_when_idle: bool = True
    ) -> Channel | Response:
        """A new channel, or the refusal of a process that holds as many as it may."""
        if self.stopping or len(self.channels) >= self.limits.max_streams:
            return json_refusal(
                503,
                "too many open streams on this server; try again later",
                code="SERVICE_UNAVAILABLE",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        channel = Channel(framing, self.hub, heartbeat=heartbeat, ends_when_idle=ends_when_idle)
        self.channels.add(channel)
        channel.on_close.append(lambda: self.channels.discard(channel))
        return channel

    def expire_with_token(self, channel: Channel, request: Request) -> None:
        """A stream lives no longer than the bearer token that opened it."""
        expires = self.tokens.expires_at(request.headers.get("authorization"))
        if expires is None:
            return
        timer = asyncio.get_running_loop().call_later(
            max(0.0, expires - time.time()), channel.end_all, expired_error()
        )
        channel.on_close.append(timer.cancel)

    def start(
        self,
        channel: Channel,
        request_id: str,
        params: GraphQLParams,
        *,
        viewer: Viewer,
        operation: str | None = None,
        method: str = "POST",
        after: str | None = None,
    ) -> None:
        """Runs one operation onto `channel`: a refusal or a query's result as one `next`, a
        subscription as a stream on the core, resumed after the cursor `after` when given."""
        try:
            runnable, params = prepare(self.operations, params, viewer=viewer)
            if method == "GET" and runnable.operation.operation is OperationType.MUTATION:
                # An EventSource subscribes with GET; a GET still never writes.
                raise Refused([plain_error(GET_WRITES, code="BAD_REQUEST")], status=405)
        except Refused as refused:
            channel.result(operation, {"errors": refused.errors})
            return
        if runnable.operation.operation is not OperationType.SUBSCRIPTION:
            channel.run(
                operation,
                run_once(
                    self.operations,
                    runnable,
                    params,
                    admission=self.admission,
                    context=self.context,
                    viewer=viewer,
                    request_id=request_id,
                ),
            )
            return
        subscriber = Subscriber(viewer, request_id, self.limits.queue_size, channel.deliver, after)
        stream = self.hub.subscribe(runnable, params, subscriber)
        channel.add(operation, stream)

    async def serve_one(
        self, request: Request, send: Any, framing: Framing, *, heartbeat: float
    ) -> None:
        """One operation in one streaming response (errors before execution included)."""
        try:
            viewer = self.viewer(request)
            params = await read_params(request.scope, request.receive)
        except Unauthenticated as refused:
            response = unauthenticated(str(refused))
        except HttpError as refused:
            response = json_refusal(refused.status, refused.message, code=refused.code)
        else:
            opened = self.open_channel(framing, heartbeat=heartbeat)
            if isinstance(opened, Channel):
                self.expire_with_token(opened, request)
                self.start(
                    opened,
                    request.state.request_id,
                    params,
                    viewer=viewer,
                    method=request.method,
                    after=request.headers.get("last-event-id") or None,
                )
                await opened.serve(send, request.receive, [])
                return
            response = opened
        await response(request.scope, request.receive, send)

    async def shutdown(self) -> None:
        """Completes every operation of every stream; each response then ends."""
        self.stopping = True
        for channel in list(self.channels):
            channel.end_all()


def json_refusal(
    status: int, message: str, *, code: str, headers: dict[str, str] | None = None
) -> Response:
    body = orjson.dumps({"errors": [plain_error(message, code=code)]})
    return Response(body, status, headers=headers, media_type="application/json")


def unauthenticated(message: str) -> Response:
    return json_refusal(
        401,
        message,
        code="UNAUTHENTICATED",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
