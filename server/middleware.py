"""Request ids, the access log line, and the last line of defence against faults."""

from __future__ import annotations

import logging
import re
import time
from random import getrandbits
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import ClientDisconnect

from engine.errors import RETRY_AFTER_SECONDS, masked_error, timeout_error, unavailable_error
from server.observer import Observer, Watch
from sql.errors import transient

log = logging.getLogger("storefront.access")
errors = logging.getLogger("storefront.errors")

_FAULT_CODES = {
    "timeout": "TIMEOUT",
    "unavailable": "SERVICE_UNAVAILABLE",
    "disconnected": "CLIENT_DISCONNECTED",
}
CLIENT_CLOSED = 499
"""The status noted (access line, trace) for a request whose client left before the app
had read it, nginx's "client closed request"; nobody is there to read an answer."""
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class App(Starlette):
    """Starlette with `RequestMiddleware` outermost: it answers every fault itself, so
    Starlette's own error layer around it would only wrap each request's `send` for nothing.
    `direct_posts` (a `server.direct_http.DirectPosts`), when set, is the HTTP protocol's
    way to answer plain POSTs to `/graphql` without going through the app."""

    direct_posts: Any = None

    def build_middleware_stack(self) -> Any:
        stack = super().build_middleware_stack()
        if isinstance(stack, ServerErrorMiddleware) and isinstance(stack.app, RequestMiddleware):
            return stack.app
        return stack


class Requests:
    """What every HTTP request gets, whichever way it came in: an id (the client's
    `X-Request-ID` when sensible, else a fresh one), the observer's watch (metrics, traces,
    the slow log), one access line when it is done, and for a fault that escaped the app a
    masked answer carrying the id, with the stack in the log (a timeout or an unavailable
    database escaping that way still answers as retryable: 504 or 503). A client that left
    before its request was read is no fault: a line at info, and 499 noted.

    `RequestMiddleware` drives it for the ASGI app; the HTTP protocol's direct path
    (`server.direct_http`) for the POSTs it answers itself. When a request is traced and
    the client sent no id, the request id is the trace id."""

    __slots__ = ("observer",)

    def __init__(self, observer: Observer | None = None) -> None:
        self.observer = observer

    def begin(self, scope: Any) -> tuple[float, Watch | None, str]:
        """When the request began, its watch, and its id (also put in the scope's state)."""
        started = time.perf_counter()
        watch = None if self.observer is None else self.observer.begin(scope)
        request_id = _request_id(scope, None if watch is None else watch.trace_id)
        scope.setdefault("state", {})["request_id"] = request_id
        return started, watch, request_id

    def failed(self, fault: Exception, watch: Watch | None, request_id: str) -> str | None:
        """Logs a fault that escaped the app; its kind (`sql.errors.transient`, or
        "disconnected": the client left, as it sent its request or, under some servers, as
        the answer went out)."""
        kind = "disconnected" if isinstance(fault, ClientDisconnect) else transient(fault)
        if watch is not None and watch.observation is not None:
            watch.observation.fail(_FAULT_CODES.get(kind or "", "INTERNAL_SERVER_ERROR"))
        if kind is None:
            errors.exception("unhandled error (request %s)", request_id)
        elif kind == "disconnected":
            errors.info("client disconnected (request %s)", request_id)
        else:
            errors.warning("%s (request %s)", kind, request_id, exc_info=True)
        return kind

    def end(
        self, scope: Any, status: int, started: float, request_id: str, watch: Watch | None
    ) -> None:
        if log.isEnabledFor(logging.INFO):  # the line's fields cost even when dropped
            _access_line(scope, scope["state"], status, started, request_id)
        if watch is not None:
            assert self.observer is not None
            self.observer.end(watch, status=status, request_id=request_id)


class RequestMiddleware:
    """`Requests` around the ASGI app: the id echoed in every response's headers."""

    def __init__(
        self, app: Any, observer: Observer | None = None, requests: Requests | None = None
    ) -> None:
        self.app = app
        self.requests = requests if requests is not None else Requests(observer)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        requests = self.requests
        started, watch, request_id = requests.begin(scope)
        status = 500
        response_started = False

        async def send_with_id(message: Any) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as fault:
            kind = requests.failed(fault, watch, request_id)
            if not response_started:
                status, headers, body = fault_answer(request_id, kind)
                await send_with_id(
                    {"type": "http.response.start", "status": status, "headers": headers}
                )
                await send_with_id({"type": "http.response.body", "body": body})
        finally:
            requests.end(scope, status, started, request_id, watch)


def _access_line(
    scope: Any, state: dict[str, Any], status: int, started: float, request_id: str
) -> None:
    log.info(
        "%s %s %s",
        scope["method"],
        scope["path"],
        status,
        extra={
            "method": scope["method"],
            "path": scope["path"],
            "operation": state.get("operation_name"),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "request_id": request_id,
        },
    )


def _request_id(scope: Any, trace_id: str | None) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _ACCEPTABLE_ID.match(candidate):
                return candidate
    # 128 random bits without a system call each: `random` seeds itself from the OS, again
    # in each forked worker. An id names a request; it guards nothing.
    return trace_id if trace_id is not None else f"{getrandbits(128):032x}"


def fault_answer(request_id: str, kind: str | None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The answer to a fault that escaped the app: never its text, only the request id
    (for a client gone, an empty 499 that uvicorn does not write)."""
    if kind == "disconnected":
        return CLIENT_CLOSED, [(b"content-length", b"0")], b""
    if kind == "timeout":
        status, error = 504, timeout_error(request_id)
    elif kind == "unavailable":
        status, error = 503, unavailable_error(request_id)
    else:
        status, error = 500, masked_error(request_id)
    body = orjson.dumps({"errors": [error]})
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    if kind == "unavailable":
        headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
    return status, headers, body
