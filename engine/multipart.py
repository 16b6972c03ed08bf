"""Apollo's multipart subscription protocol: Apollo Client's `HttpLink` subscribes over plain
HTTP with `Accept: multipart/mixed;subscriptionSpec="1.0"`, and reads one JSON part per
result, `{"payload": <result>}`, with an empty `{}` part as a heartbeat while idle.

Each part is written with the boundary that closes it, so a client hands a result on as soon
as it arrives rather than when the next one does.
"""

from __future__ import annotations

from engine.stream_channel import Operation

BOUNDARY = b"graphql"
_PART = b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
_DELIMITER = b"\r\n--" + BOUNDARY


def wants_multipart(accept: str) -> bool:
    """Apollo's subscription request: multipart/mixed with the subscription spec named."""
    lowered = accept.lower()
    return "multipart/mixed" in lowered and "subscriptionspec" in lowered


class MultipartFraming:
    media_type = f'multipart/mixed; boundary="{BOUNDARY.decode()}"; subscriptionSpec="1.0"'
    opening = _DELIMITER
    heartbeat = _PART + b"{}" + _DELIMITER
    closing = b"--\r\n"

    def next(self, body: bytes, *, operation: Operation, cursor: str | None) -> bytes:
        return _PART + b'{"payload":' + body + b"}" + _DELIMITER

    def complete(self, operation: Operation) -> bytes:
        return b""  # the closing delimiter ends the one operation a response carries
