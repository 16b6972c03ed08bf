"""`/metrics` on an address of its own (`STOREFRONT_METRICS=port`), away from the API.

Operators often keep scrapes on a private interface or port that the public never
reaches; there the network is the access control, so the listener answers anyone who gets
to it, and the API's port answers `/metrics` with 404. A scrape is one small GET: a plain
asyncio server reads the request's head and answers it, closing the connection, rather
than a second HTTP stack with its own signal handling inside the process. Every worker
binds the address (`SO_REUSEPORT`); whichever answers gives the sum of all of them
(`server.metrics_share`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

MAX_HEAD = 16 * 1024
READ_SECONDS = 5.0


def parse_bind(text: str) -> tuple[str, int]:
    """`host:port` (`[::1]:9464` for IPv6) -> (host, port); ValueError when malformed."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port, got {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 (the operator's choice)


async def serve_metrics(
    bind: str, exposition: Callable[[], bytes], *, reuse_port: bool = True
) -> asyncio.Server:
    """A listening server on `bind` answering `GET /metrics` with `exposition()`."""
    host, port = parse_bind(bind)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_SECONDS)
            method, _, rest = head.partition(b" ")
            path = rest.partition(b" ")[0].partition(b"?")[0]
            if path != b"/metrics":
                writer.write(_response(404, b"not found\n", b"text/plain"))
            elif method not in (b"GET", b"HEAD"):
                writer.write(_response(405, b"GET only\n", b"text/plain", allow=True))
            else:
                body = exposition()
                content_type = CONTENT_TYPE_PLAIN_0_0_4.encode()
                writer.write(_response(200, b"" if method == b"HEAD" else body, content_type))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.write(_response(400, b"bad request\n", b"text/plain"))
        except ConnectionError:
            pass
        finally:
            writer.close()

    return await asyncio.start_server(
        answer, host, port, limit=MAX_HEAD, reuse_port=reuse_port, reuse_address=True
    )


_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed"}


def _response(status: int, body: bytes, content_type: bytes, *, allow: bool = False) -> bytes:
    head = [
        b"HTTP/1.1 %d %s" % (status, _REASONS[status]),
        b"content-type: " + content_type,
        b"content-length: %d" % len(body),
        b"connection: close",
    ]
    if allow:
        head.append(b"allow: GET, HEAD")
    return b"\r\n".join(head) + b"\r\n\r\n" + body
