"""Where streaming requests arrive. `/graphql` answers a GraphQL-over-SSE request (`Accept:
text/event-stream`) and an Apollo multipart subscription (`Accept: multipart/mixed;
subscriptionSpec="1.0"`) with a stream and everything else as before; `/graphql/stream` is
graphql-sse's own path: both of its modes, distinct connections and single connection."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from engine.http_params import accepted
from engine.http_streams import HttpStreams, json_refusal
from engine.multipart import MultipartFraming, wants_multipart
from engine.sse_framing import TOKEN_HEADER, TOKEN_PARAMETER, SseFraming, wants_event_stream

ASGIApp = Any


class GraphQLRoute:
    """`/graphql`: streams when the Accept header asks for one, `plain` otherwise."""

    def __init__(self, plain: ASGIApp, streams: HttpStreams) -> None:
        self.plain = plain
        self.streams = streams

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        framing = streamed(scope)
        if framing is None:
            await self.plain(scope, receive, send)
            return
        streams = self.streams
        heartbeat = (
            streams.limits.sse_heartbeat if framing is SSE else streams.limits.multipart_heartbeat
        )
        await streams.serve_one(Request(scope, receive), send, framing, heartbeat=heartbeat)


def streamed(scope: Any) -> SseFraming | MultipartFraming | None:
    """The stream a request to `/graphql` asks for in its Accept header, if any."""
    # Read off the raw headers: every query passes here, few of them stream.
    accept = accepted(scope)
    if accept and scope["method"] in ("GET", "POST"):
        text = accept.decode("latin-1")
        if wants_event_stream(text):
            return SSE
        if wants_multipart(text):
            return MULTIPART
    return None


class StreamRoute:
    """`/graphql/stream`: a request with a stream token belongs to single connection mode
    (`single`); an event-stream request without one is distinct connections mode."""

    def __init__(self, streams: HttpStreams, single: ASGIApp | None = None) -> None:
        self.streams = streams
        self.single = single

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        streams, single = self.streams, self.single
        request = Request(scope, receive)
        token = request.headers.get(TOKEN_HEADER) or request.query_params.get(TOKEN_PARAMETER)
        accept = ", ".join(request.headers.getlist("accept"))
        if single is not None and (token or request.method == "PUT"):
            await single(scope, receive, send)
            return
        if request.method in ("GET", "POST") and wants_event_stream(accept):
            await streams.serve_one(request, send, SSE, heartbeat=streams.limits.sse_heartbeat)
            return
        response = json_refusal(
            404,
            "stream not found: reserve one with PUT, or ask for Accept: text/event-stream",
            code="NOT_FOUND",
        )
        await response(scope, receive, send)


class GraphQLPosts:
    """POSTs to `/graphql` go straight to its route; everything else to the router.

    Starlette's exception layer and router (a pattern match against every route, and a
    wrapper of each call) are paid by every query, and the endpoint needs neither: it
    raises no HTTP exceptions and reads no path parameters.
    GETs keep the router's way, as GraphiQL's page does."""

    def __init__(self, app: Any, endpoint: Any) -> None:
        self.app = app
        self.endpoint = endpoint

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql" and scope["method"] == "POST":
            await self.endpoint(scope, receive, send)
        else:
            await self.app(scope, receive, send)


SSE = SseFraming()
MULTIPART = MultipartFraming()
