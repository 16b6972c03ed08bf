"""The event stream of GraphQL over Server-Sent Events (graphql-sse's PROTOCOL.md).

`next` carries a result (in single connection mode wrapped with its operation id), and a
subscription event's cursor as the SSE `id:`, so a reconnecting `EventSource` sends it back
as `Last-Event-ID`; `complete` ends an operation; a comment line is the heartbeat.
"""

from __future__ import annotations

import orjson

from engine.stream_channel import Operation

EVENT_STREAM = "text/event-stream"
TOKEN_HEADER = "x-graphql-event-stream-token"  # noqa: S105 - a header name
TOKEN_PARAMETER = "token"  # noqa: S105 - for EventSource, which cannot send headers


def wants_event_stream(accept: str) -> bool:
    """The client asks for an event stream and for no JSON it would rather have."""
    lowered = accept.lower()
    return EVENT_STREAM in lowered and "json" not in lowered


class SseFraming:
    media_type = f"{EVENT_STREAM}; charset=utf-8"
    opening = b":\n\n"  # some browsers show no headers until the body begins
    heartbeat = b":\n\n"
    closing = b""

    def next(self, body: bytes, *, operation: Operation, cursor: str | None) -> bytes:
        if operation is not None:
            body = b'{"id":' + orjson.dumps(operation) + b',"payload":' + body + b"}"
        head = (
            b"event: next\n" if cursor is None else b"event: next\nid: " + cursor.encode() + b"\n"
        )
        return head + b"data: " + body + b"\n\n"

    def complete(self, operation: Operation) -> bytes:
        if operation is None:
            return b"event: complete\ndata:\n\n"
        return b'event: complete\ndata: {"id":' + orjson.dumps(operation) + b"}\n\n"
