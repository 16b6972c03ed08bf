"""Request ids, the access log line, and the last line of defence against faults."""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware.errors import ServerErrorMiddleware

from engine.errors import RETRY_AFTER_SECONDS, masked_error, timeout_error, unavailable_error
from server.observer import Observer
from sql.errors import transient

log = logging.getLogger("storefront.access")
errors = logging.getLogger("storefront.errors")

_FAULT_CODES = {"timeout": "TIMEOUT", "unavailable": "SERVICE_UNAVAILABLE"}
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class App(Starlette):
    """Starlette with `RequestMiddleware` outermost: it answers every fault itself, so
    Starlette's own error layer around it would only wrap each request's `send` for nothing.
    """

    def build_middleware_stack(self) -> Any:
        stack = super().build_middleware_stack()
        if isinstance(stack, ServerErrorMiddleware) and isinstance(stack.app, RequestMiddleware):
            return stack.app
        return stack


class RequestMiddleware:
    """Gives every request an id (the client's `X-Request-ID` when sensible, else a fresh
    one), echoes it, and logs one line when the response is done. A fault that escapes the
    app becomes a masked 500 carrying the id, with the stack in the log (a timeout or an
    unavailable database escaping that way still answers as retryable: 504 or 503).

    With an `observer` (metrics, traces, the slow log), each request is watched from here;
    when it is traced and the client sent no id, the request id is the trace id."""

    def __init__(self, app: Any, observer: Observer | None = None) -> None:
        self.app = app
        self.observer = observer

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        watch = None if self.observer is None else self.observer.begin(scope)
        request_id = _request_id(scope, None if watch is None else watch.trace_id)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
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
            kind = transient(fault)
            if watch is not None and watch.observation is not None:
                watch.observation.fail(_FAULT_CODES.get(kind or "", "INTERNAL_SERVER_ERROR"))
            if kind is None:
                errors.exception("unhandled error (request %s)", request_id)
            else:
                errors.warning("%s (request %s)", kind, request_id, exc_info=True)
            if not response_started:
                await _fault_response(send_with_id, request_id, kind)
        finally:
            if log.isEnabledFor(logging.INFO):  # the line's fields cost even when dropped
                _access_line(scope, state, status, started, request_id)
            if watch is not None:
                assert self.observer is not None
                self.observer.end(watch, status=status, request_id=request_id)


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
    # As random as uuid4's 122 bits, without building a UUID.
    return trace_id if trace_id is not None else os.urandom(16).hex()


async def _fault_response(send: Any, request_id: str, kind: str | None) -> None:
    """The answer to a fault that escaped the app: never its text, only the request id."""
    headers = [(b"content-type", b"application/json; charset=utf-8")]
    if kind == "timeout":
        status, error = 504, timeout_error(request_id)
    elif kind == "unavailable":
        status, error = 503, unavailable_error(request_id)
        headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
    else:
        status, error = 500, masked_error(request_id)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": orjson.dumps({"errors": [error]})})
