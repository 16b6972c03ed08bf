"""Clients for streaming HTTP responses, read frame by frame: Server-Sent Events and Apollo's
multipart subscription parts."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

MULTIPART_ACCEPT = 'multipart/mixed;subscriptionSpec="1.0", application/json'


Served = tuple[str, Starlette]
"""A server on a real socket: its base URL and its app."""


@dataclass
class Event:
    event: str | None  # None: a comment (a heartbeat)
    data: Any = None
    id: str | None = None


class EventStream:
    """A response of `text/event-stream`, one event (or comment) at a time. A reader task
    parses it, so a `receive` that times out loses nothing and the next one carries on."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.events: asyncio.Queue[Event | None] = asyncio.Queue()  # None: the stream ended
        self.reader = asyncio.create_task(self._read())

    async def receive(self, timeout: float = 5, *, comments: bool = False) -> Event:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                event = await self.events.get()
                if event is None:
                    self.events.put_nowait(None)
                    raise EOFError("the stream ended")
                if event.event is not None or comments:
                    return event

    async def ended(self, timeout: float = 5) -> bool:  # noqa: ASYNC109
        """True once the server ended the response, having sent nothing more but comments."""
        with contextlib.suppress(EOFError):
            while True:
                event = await self.receive(timeout, comments=True)
                assert event.event is None, event
        return True

    async def completes(self, timeout: float = 5) -> bool:  # noqa: ASYNC109
        """True when the next event is `complete` and the server then ends the response."""
        event = await self.receive(timeout)
        assert event.event == "complete", event
        return await self.ended(timeout)

    async def _read(self) -> None:
        fields: dict[str, str] = {}
        comment = False
        with contextlib.suppress(httpx.HTTPError):
            async for line in self.response.aiter_lines():
                if line.startswith(":"):
                    comment = True
                elif line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                elif fields or comment:
                    self.events.put_nowait(_event(fields))
                    fields, comment = {}, False
        self.events.put_nowait(None)

    def close(self) -> None:
        self.reader.cancel()


def _event(fields: dict[str, str]) -> Event:
    if "event" not in fields:
        return Event(None)
    data = fields.get("data") or None
    return Event(fields["event"], None if data is None else json.loads(data), fields.get("id"))


class Parts:
    """A multipart/mixed response (boundary `graphql`), one JSON part at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.chunks = response.aiter_bytes()
        self.buffer = b""
        self.finished = False

    async def receive(self, timeout: float = 5, *, heartbeats: bool = False) -> Any:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                part = await self._next()
                if part != {} or heartbeats:
                    return part

    async def _next(self) -> Any:
        delimiter = b"\r\n--graphql"
        while True:
            start = self.buffer.find(delimiter)
            end = self.buffer.find(delimiter, start + 1) if start >= 0 else -1
            if end >= 0:
                part, self.buffer = self.buffer[start + len(delimiter) : end], self.buffer[end:]
                _, _, body = part.partition(b"\r\n\r\n")
                return json.loads(body)
            if start >= 0 and self.buffer[start + len(delimiter) :] == b"--\r\n":
                self.finished = True
                raise EOFError("the multipart body ended")
            self.buffer += await anext(self.chunks)


@contextlib.asynccontextmanager
async def sse(
    http: httpx.AsyncClient,
    url: str,
    body: dict[str, Any] | None = None,
    *,
    bearer: str | None = None,
    method: str = "POST",
    **headers: str,
) -> AsyncIterator[EventStream]:
    """A distinct-connections-mode request: the stream of one operation."""
    headers = {"accept": "text/event-stream", **headers}
    if bearer is not None:
        headers["authorization"] = f"Bearer {bearer}"
    if method == "GET":
        params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (body or {}).items()}
        request = http.build_request("GET", url, params=params, headers=headers)
    else:
        request = http.build_request(method, url, json=body, headers=headers)
    response = await http.send(request, stream=True)
    stream = EventStream(response)
    try:
        yield stream
    finally:
        stream.close()
        await response.aclose()


@contextlib.asynccontextmanager
async def multipart(
    http: httpx.AsyncClient, url: str, body: dict[str, Any], *, bearer: str | None = None
) -> AsyncIterator[Parts]:
    headers = {"accept": MULTIPART_ACCEPT}
    if bearer is not None:
        headers["authorization"] = f"Bearer {bearer}"
    request = http.build_request("POST", url, json=body, headers=headers)
    response = await http.send(request, stream=True)
    try:
        yield Parts(response)
    finally:
        await response.aclose()
