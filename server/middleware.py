"""Request ids, the access log line, and the last line of defence against faults."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import orjson

log = logging.getLogger("storefront.access")
errors = logging.getLogger("storefront.errors")

_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestMiddleware:
    """Gives every request an id (the client's `X-Request-ID` when sensible, else a fresh
    one), echoes it, and logs one line when the response is done. A fault that escapes the
    app becomes a masked 500 carrying the id, with the stack in the log."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
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
        except Exception:
            errors.exception("unhandled error (request %s)", request_id)
            if not response_started:
                await _masked_500(send_with_id, request_id)
        finally:
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


def _request_id(scope: Any) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _ACCEPTABLE_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


async def _masked_500(send: Any, request_id: str) -> None:
    body = orjson.dumps(
        {
            "errors": [
                {
                    "message": f"Unexpected error (request id {request_id}).",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
                }
            ]
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})
