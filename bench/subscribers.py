"""The load generator's subscribers: one connection each, keeping only each event's cursor
and arrival time (the generator shares the machine with the server and must cost it little),
over graphql-transport-ws (`bench/lean_ws.py`) or GraphQL over SSE."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import orjson

from bench.lean_ws import Subscriber, subscribe
from engine.node_ids import to_global_id
from resolvers.changes import position_of

SELECTION = (
    "subscription($id: ID) { productChanged(id: $id) { cursor kind product { name price stock } } }"
)


@dataclass(frozen=True)
class Load:
    """One run of a subscription benchmark: the server (its URL, its process), the database
    the writes go to and the product they change; how many subscribers, how many updates a
    second and for how long, over how many client processes."""

    url: str
    db_url: str
    product: UUID
    pid: int
    n: int
    rate: float
    seconds: float
    processes: int

    @property
    def updates(self) -> int:
        return int(self.rate * self.seconds)

    @property
    def limit(self) -> float:
        """Seconds the clients wait for the last update."""
        return self.seconds + 30

    @property
    def global_id(self) -> str:
        return to_global_id("Product", self.product)


class WsSubscriber:
    """One graphql-transport-ws connection with one subscription (`bench/lean_ws.py`),
    which records arrivals, and any other message, as its frames come in."""

    def __init__(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber
        self.failures = subscriber.failures

    @classmethod
    async def open(cls, url: str, product: str) -> WsSubscriber:
        return cls(await subscribe(url, SELECTION, {"id": product}, expected=0))

    async def listen(self, arrivals: list[tuple[bytes, float]], updates: int) -> None:
        subscriber = self.subscriber
        subscriber.expected = updates
        try:
            await asyncio.shield(subscriber.filled)  # the protocol sets it: never cancel it
        finally:
            arrivals.extend(subscriber.arrivals)

    async def close(self) -> None:
        self.subscriber.close()
        await asyncio.wait([self.subscriber.closed], timeout=10)


class SseSubscriber:
    """One GraphQL-over-SSE stream (distinct connections mode) on a raw HTTP/1.1 socket:
    each event's cursor is read from its SSE `id:` line, nothing else is parsed."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.failures: list[bytes] = []  # a stream's errors arrive as events: counted lost

    @classmethod
    async def open(cls, url: str, product: str) -> SseSubscriber:
        address = urlsplit(url)
        reader, writer = await asyncio.open_connection(address.hostname, address.port)
        body = orjson.dumps({"query": SELECTION, "variables": {"id": product}})
        writer.write(
            b"POST /graphql/stream HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (address.netloc.encode(), len(body), body)
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert b" 200 " in head.split(b"\r\n", 1)[0], head
        return cls(reader, writer)

    async def listen(self, arrivals: list[tuple[bytes, float]], updates: int) -> None:
        buffer = b""
        while len(arrivals) < updates:
            data = await self.reader.read(65536)
            if not data:
                return
            arrived = time.perf_counter()
            buffer += data
            while (at := buffer.find(b"\nid: ")) >= 0 and (end := buffer.find(b"\n", at + 5)) >= 0:
                arrivals.append((buffer[at + 5 : end], arrived))
                buffer = buffer[end:]
            buffer = buffer[-256:]  # a line cut in two by the read waits for its end

    async def close(self) -> None:
        self.writer.close()


TRANSPORTS: dict[str, type[WsSubscriber] | type[SseSubscriber]] = {
    "ws": WsSubscriber,
    "sse": SseSubscriber,
}

Arrivals = list[tuple[int, float]]
"""What one subscriber received: (the event's xid, when it arrived), in arrival order."""


@dataclass
class Share:
    """What one client process brings back."""

    received: list[Arrivals]
    failures: list[bytes]  # messages other than its events: errors, completes, closes
    cpu_seconds: float  # the client process's own, while it listened


async def client_share(
    transport: str, url: str, product: str, count: int, updates: int, ready: Any, limit: float
) -> Share:
    kind = TRANSPORTS[transport]
    subscribers: list[WsSubscriber | SseSubscriber] = []
    for start in range(0, count, 100):  # connect a hundred at a time
        batch = min(count, start + 100) - start
        subscribers += await asyncio.gather(*(kind.open(url, product) for _ in range(batch)))
    cpu = time.process_time()
    ready.set()
    arrivals: list[list[tuple[bytes, float]]] = [[] for _ in subscribers]
    tasks = [
        asyncio.create_task(s.listen(a, updates))
        for s, a in zip(subscribers, arrivals, strict=True)
    ]
    await asyncio.wait(tasks, timeout=limit)
    cpu = time.process_time() - cpu
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.gather(*(s.close() for s in subscribers), return_exceptions=True)
    return Share(
        received=[[(_xid(cursor), at) for cursor, at in mine] for mine in arrivals],
        failures=[f for s in subscribers for f in s.failures],
        cpu_seconds=cpu,
    )


def _xid(cursor: bytes) -> int:
    position = position_of(cursor.decode())
    assert position is not None
    return position.xid


def start_clients(
    target: Callable[..., None],
    n: int,
    processes: int,
    arguments: Callable[[int, int, Any], tuple[Any, ...]],
) -> tuple[list[Any], Any]:
    """Forks `processes` load generators sharing `n` subscribers (`arguments(index, share,
    ready)` gives each its arguments; the results queue comes last) and returns them and
    that queue once every subscriber is connected. perf_counter is the system's monotonic
    clock, so their arrival times compare with the parent's send times."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    shares = [n // processes + (i < n % processes) for i in range(processes)]
    readies = [context.Event() for _ in shares]
    clients = [
        context.Process(target=target, args=(*arguments(index, share, ready), results))
        for index, (share, ready) in enumerate(zip(shares, readies, strict=True))
    ]
    for process in clients:
        process.start()
    for ready in readies:
        if not ready.wait(120):
            raise SystemExit("the subscribers did not connect within 2 minutes")
    time.sleep(1.0)  # every subscription registered
    return clients, results
