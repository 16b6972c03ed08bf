"""The direct path: plain JSON POSTs to `/graphql` answered by the HTTP protocol itself.

Through ASGI, every query pays for uvicorn's request cycle (the scope's messages, an event,
its task wrapper), the middleware's closures, Starlette's request and response objects and
the endpoint's receive loop, none of which a JSON POST to `/graphql` needs. For such a
request the protocol (`server.http_protocol`) gathers the body itself, then hands the head
and body to `DirectPosts.answer`, which does what `RequestMiddleware` and the endpoint do
(through the same `Requests` and `GraphQLEndpoint.respond`) and returns the status, headers
and bytes; the protocol writes them as uvicorn would, in one write. Every other request,
and any the protocol has a doubt about, goes to the ASGI app as before.

What is read here of uvicorn's protocol and request cycle is pinned with it (pyproject.toml)
and checked by `tests/unit/test_direct_http.py`.
"""

from __future__ import annotations

import asyncio
import copy
from functools import lru_cache
from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from engine.http import GraphQLEndpoint
from engine.http_params import MAX_BODY_BYTES, declared_size
from engine.stream_routes import streamed
from server.middleware import Requests, fault_answer

Headers = list[tuple[bytes, bytes]]


class DirectPosts:
    """The app's side of the direct path: `answer` is what the ASGI app would answer.
    `answered` counts the requests answered this way (for tests and the curious)."""

    __slots__ = ("answered", "endpoint", "requests")

    def __init__(self, requests: Requests, endpoint: GraphQLEndpoint) -> None:
        self.requests = requests
        self.endpoint = endpoint
        self.answered = 0

    def takes(self, scope: Any) -> bool:
        """Whether a POST to `/graphql` is answered with JSON: a stream's Accept is not."""
        return streamed(scope) is None

    async def answer(self, scope: Any, body: bytes) -> tuple[int, Headers, bytes]:
        self.answered += 1
        requests = self.requests
        started, watch, request_id = requests.begin(scope)
        status = 500
        try:
            response = await self.endpoint.respond(scope, body)
            status, headers, content = response.status_code, response.raw_headers, response.body
        except Exception as fault:
            status, headers, content = fault_answer(
                request_id, requests.failed(fault, watch, request_id)
            )
        finally:
            requests.end(scope, status, started, request_id, watch)
        return status, [*headers, (b"x-request-id", request_id.encode())], content


class NoReader:
    """uvicorn's protocol wakes a cycle's reader when the connection drops; a direct cycle
    has none."""

    __slots__ = ()

    def set(self) -> None:
        pass


class DirectCycle:
    """A request the protocol answers itself, with what uvicorn's protocol reads of a
    request cycle (`response_complete`, `keep_alive`, `disconnected`, `message_event`).
    It is answered once it is due (`due`: no earlier response on the connection is still
    under way) and its body is in (`more_body` False)."""

    __slots__ = (
        "chunks",
        "disconnected",
        "due",
        "forwarded",
        "keep_alive",
        "more_body",
        "response_complete",
        "scope",
        "task",
    )
    message_event = NoReader()

    def __init__(self, scope: Any, *, keep_alive: bool, forwarded: bool) -> None:
        self.scope = scope
        self.keep_alive = keep_alive
        self.forwarded = forwarded  # X-Forwarded-* headers for uvicorn's proxy handling
        self.chunks: list[bytes] = []
        self.more_body = True
        self.due = False
        self.disconnected = False
        self.response_complete = False
        self.task: asyncio.Task[None] | None = None

    def body(self) -> bytes:
        chunks = self.chunks
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def fits(
    method: bytes, url: bytes, headers: Headers, *, expect_100_continue: bool, upgrade: bool
) -> tuple[bool, bool]:
    """Whether a request's head leaves no doubt it can go the direct way (a POST to exactly
    `/graphql` with a declared body within the limit, nothing to upgrade or to continue),
    and whether it carries X-Forwarded-* headers. The app's `takes` has the last word."""
    if method != b"POST" or url != b"/graphql" or expect_100_continue or upgrade:
        return False, False
    length = None
    forwarded = False
    for name, value in headers:
        if name == b"content-length":
            if length is not None:
                return False, False
            length = value
        elif name == b"transfer-encoding":
            return False, False
        elif name.startswith(b"x-forwarded-"):
            forwarded = True
    if length is None:
        return False, False
    size = declared_size(length)
    if size is None or size > MAX_BODY_BYTES:
        return False, False
    return True, forwarded


def response_bytes(
    status: int, headers: Headers, body: bytes, *, default_headers: Headers, keep_alive: bool
) -> bytes:
    """A response as uvicorn writes one with a Content-Length: its status line, its default
    headers (`date`, `server`), the response's own, `connection: close` when the connection
    ends with it."""
    content = [STATUS_LINE[status]]
    for name, value in default_headers:
        content += (name, b": ", value, b"\r\n")
    for name, value in headers:
        content += (name, b": ", value, b"\r\n")
    if not keep_alive:
        content.append(b"connection: close\r\n")
    content += (b"\r\n", body)
    return b"".join(content)


# What uvicorn's request cycle answers when the app fails before it has answered.
SERVER_ERROR: tuple[int, Headers, bytes] = (
    500,
    [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"21")],
    b"Internal Server Error",
)


@lru_cache(maxsize=8)
def direct_posts(app: Any) -> tuple[DirectPosts, Any] | None:
    """The app's direct path, with uvicorn's proxy-header handling to apply to a request
    first (None when uvicorn does none); None when the app that uvicorn loaded is not ours
    as we know it (wrapped for message logging, say, or without the path)."""
    proxy = None
    if isinstance(app, ProxyHeadersMiddleware):
        proxy = copy.copy(app)
        proxy.app = _unchanged
        app = app.app
    posts = getattr(app, "direct_posts", None)
    if not isinstance(posts, DirectPosts):
        return None
    return posts, proxy


def apply_proxy_headers(proxy: Any, scope: Any) -> None:
    """What uvicorn's `ProxyHeadersMiddleware` does to a scope (client and scheme from a
    trusted proxy's X-Forwarded-* headers), by running it around an app that does nothing."""
    step = proxy(scope, None, None)
    try:
        step.send(None)
    except StopIteration:
        return
    step.close()
    raise RuntimeError("uvicorn's proxy headers middleware waited on something")


async def _unchanged(scope: Any, receive: Any, send: Any) -> None:
    return None
