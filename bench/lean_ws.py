"""A lean graphql-transport-ws subscriber for the subscription benchmark.

The benchmark's load generator shares the machine with the server it measures, so each of
its thousand sockets must cost it as little as it can: one asyncio protocol per socket, the
WebSocket handshake written by hand (no extensions offered, so no compression), and each
frame taken apart in place. Of a `next` message it keeps the event's cursor and the time the
frame was read; the benchmark counts lost, duplicated and reordered events from the cursors.
Everything else the server could send instead (an `error`, a `complete`, a close, a frame
that is not a whole text message) is kept as a failure, never skipped.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import time
from typing import cast
from urllib.parse import urlsplit

import orjson

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455's, for Sec-WebSocket-Accept
CURSOR = b'"cursor":"'
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def frame(opcode: int, payload: bytes) -> bytes:
    """A client frame: final, masked as RFC 6455 requires of clients."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    repeated = (mask * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        size, "big"
    )
    return head + mask + masked


class Subscriber(asyncio.Protocol):
    """One socket with one subscription; `arrivals` holds (cursor, perf_counter time), and
    `filled` is done once `expected` events arrived."""

    def __init__(self, host: str, path: str, subscribe: bytes, expected: int) -> None:
        self.key = base64.b64encode(os.urandom(16))
        self.request = (
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Protocol: graphql-transport-ws\r\n"
            ).encode()
            + b"Sec-WebSocket-Key: "
            + self.key
            + b"\r\n\r\n"
        )
        self.subscribe = subscribe
        self.buffer = b""
        self.upgraded = False
        self.arrivals: list[tuple[bytes, float]] = []
        self.failures: list[bytes] = []
        self.acknowledged = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.filled = asyncio.get_running_loop().create_future()
        self.expected = expected
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.acknowledged.done():
            self.acknowledged.set_exception(ConnectionError("closed before connection_ack"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        arrived = time.perf_counter()
        buffer = self.buffer + data if self.buffer else data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            self._upgrade(buffer[:end])
            buffer = buffer[end + 4 :]
        start, size = 0, len(buffer)
        while size - start >= 2:
            first, second = buffer[start], buffer[start + 1]
            length, at = second & 0x7F, start + 2
            if length == 126:
                if size - at < 2:
                    break
                (length,) = struct.unpack_from("!H", buffer, at)
                at += 2
            elif length == 127:
                if size - at < 8:
                    break
                (length,) = struct.unpack_from("!Q", buffer, at)
                at += 8
            if size - at < length:
                break
            start = at + length
            self._message(first, second, buffer[at:start], arrived)
        self.buffer = buffer[start:]

    def _upgrade(self, head: bytes) -> None:
        accept = base64.b64encode(hashlib.sha1(self.key + GUID).digest())  # noqa: S324
        lines = head.lower().split(b"\r\n")
        if not lines[0].startswith(b"http/1.1 101") or (
            b"sec-websocket-accept: " + accept.lower() not in lines
            or b"sec-websocket-protocol: graphql-transport-ws" not in lines
            or any(line.startswith(b"sec-websocket-extensions") for line in lines)
        ):
            raise ConnectionError(f"refused upgrade: {head!r}")
        self.upgraded = True
        assert self.transport is not None
        self.transport.write(frame(TEXT, b'{"type":"connection_init","payload":{}}'))

    def _message(self, first: int, second: int, payload: bytes, arrived: float) -> None:
        opcode = first & 0x0F
        if first & 0xF0 != 0x80 or second & 0x80:  # fragmented, reserved bits, or masked
            self.failures.append(bytes([first, second]) + payload)
        elif opcode == TEXT:
            at = payload.find(CURSOR)
            if at >= 0 and payload.startswith(b'{"id":"1","type":"next"'):
                at += len(CURSOR)
                self.arrivals.append((payload[at : payload.index(b'"', at)], arrived))
                if len(self.arrivals) == self.expected:
                    self.filled.set_result(None)
            elif payload == b'{"type":"ping"}':  # the server's keepalive: answer it
                assert self.transport is not None
                self.transport.write(frame(TEXT, b'{"type":"pong"}'))
            elif payload == b'{"type":"connection_ack"}' and not self.acknowledged.done():
                assert self.transport is not None
                self.transport.write(frame(TEXT, self.subscribe))
                self.acknowledged.set_result(None)
            else:
                self.failures.append(payload)
        elif opcode == PING:
            assert self.transport is not None
            self.transport.write(frame(PONG, payload))
        elif opcode != PONG:
            self.failures.append(bytes([first]) + payload)
            if opcode == CLOSE and self.transport is not None:
                self.transport.close()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame(CLOSE, struct.pack("!H", 1000)))
            self.transport.close()


async def subscribe(
    url: str, query: str, variables: dict[str, object], *, expected: int
) -> Subscriber:
    """Connects, initialises and subscribes (as operation "1"); returns once acknowledged."""
    parts = urlsplit(url)
    assert parts.hostname is not None, url
    assert parts.port is not None, url
    message = {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
    loop = asyncio.get_running_loop()
    _, subscriber = await loop.create_connection(
        lambda: Subscriber(parts.netloc, parts.path or "/", orjson.dumps(message), expected),
        parts.hostname,
        parts.port,
    )
    await asyncio.wait_for(subscriber.acknowledged, 30)
    return subscriber
