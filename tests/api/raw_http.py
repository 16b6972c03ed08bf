"""The app served by uvicorn in process, as `storefront serve` configures it, and a client
that writes HTTP/1.x requests as bytes and reads the answers as they came (headers in
order, connection closes included)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
import uvicorn

from server.app import create_app
from server.embedded import free_port
from server.middleware import App
from server.serve import uvicorn_config
from server.settings import Settings
from tests.conftest import token


@dataclass
class Served:
    app: App
    port: int
    server: uvicorn.Server


@contextlib.asynccontextmanager
async def serving(database_url: str, **settings: Any) -> AsyncIterator[Served]:
    """The app over `database_url` with these settings, behind uvicorn on a free port."""
    configured = Settings(
        database_url=database_url, pool_min_size=1, pool_max_size=5, port=free_port(), **settings
    )
    app = create_app(configured)
    config = uvicorn_config(configured)
    config.app, config.factory = app, False
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(3000):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        assert isinstance(app, App)
        yield Served(app, configured.port, server)
    finally:
        server.should_exit = True
        await task


@dataclass
class Answer:
    status: bytes  # the status line
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)

    def json(self) -> Any:
        return orjson.loads(self.body)


def request(
    body: Any = None,
    *,
    raw: bytes | None = None,
    target: bytes = b"/graphql",
    method: bytes = b"POST",
    version: bytes = b"HTTP/1.1",
    headers: dict[str, str] | None = None,
    bearer: str | None = "staff",
) -> bytes:
    """One request's bytes: `body` as JSON (or `raw`), a Content-Length, a JSON
    Content-Type and a token of `bearer`'s role unless `headers` say otherwise (a header
    given as "" is left out)."""
    content = raw if raw is not None else b"" if body is None else orjson.dumps(body)
    given = {"host": "test", "content-type": "application/json"}
    if bearer is not None:
        given["authorization"] = f"Bearer {token(bearer)}"
    if method != b"GET":
        given["content-length"] = str(len(content))
    given.update({k.lower(): v for k, v in (headers or {}).items()})
    lines = [method + b" " + target + b" " + version]
    lines += [f"{k}: {v}".encode() for k, v in given.items() if v != ""]
    return b"\r\n".join(lines) + b"\r\n\r\n" + content


async def read_answer(reader: asyncio.StreamReader) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    status, *lines = head[:-4].split(b"\r\n")
    headers = [(k, v) for k, _, v in (line.partition(b": ") for line in lines)]
    answer = Answer(status, headers, b"")
    if (length := answer.header(b"content-length")) is not None:
        answer.body = await reader.readexactly(int(length))
    elif answer.header(b"transfer-encoding") == b"chunked":
        while size := int((await reader.readuntil(b"\r\n"))[:-2], 16):
            answer.body += await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readexactly(2)
    return answer


async def exchange(port: int, *writes: bytes, answers: int) -> tuple[list[Answer], bool]:
    """Writes each of `writes` on one connection (waiting for an answer after each but the
    last), reads `answers` answers in all; and whether the server closed the connection
    after them (asked only when it said it would, or the last write asked it to)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    got: list[Answer] = []
    try:
        for k, data in enumerate(writes):
            writer.write(data)
            if k < len(writes) - 1:
                got.append(await read_answer(reader))
        while len(got) < answers:
            got.append(await read_answer(reader))
        closing = got[-1].header(b"connection") == b"close"
        closed = closing and await asyncio.wait_for(reader.read(), 10) == b""
        return got, closed
    finally:
        writer.close()
