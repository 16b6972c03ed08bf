"""Subscriptions under load: N WebSocket subscribers on one worker, each receiving every
update of one product at a steady rate.

    .venv/bin/python bench/subscriptions.py [--subscribers 1000] [--rate 20] [--seconds 10]
                                           [--find-max]

Uses DATABASE_URL when set, else the embedded PostgreSQL of `make bench`. Starts a real
`storefront serve` (one worker); this process opens one graphql-transport-ws connection per
subscriber, each subscribed to `productChanged(id:)` selecting five fields, and updates the
product `rate` times a second, stamping each update with its number (the new stock).
Latency runs from just before the update is sent (so it includes the write itself) to the
moment a client has the event; lost and duplicated deliveries are counted per subscriber;
server CPU is the worker's own over the run, divided by the events it delivered.
`--find-max` then doubles the subscribers until p99 exceeds 100 ms or events are lost.
The load generator shares the machine with the server: on a busy or small machine the
figures are upper bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import orjson
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    bench_catalogue,
    cpu_seconds,
    database,
    prepare,
    rss_mib,
    serve,
    stop,
    worker_pids,
)
from gql.node_ids import to_global_id
from resolvers.changes import position_of
from sql.pool import connect as connect_db

SELECTION = (
    "subscription($id: ID) { productChanged(id: $id) { cursor kind product { name price stock } } }"
)
TARGET_P99_MS = 100.0
FIRST_STOCK = 1_000_000  # updates set stock to FIRST_STOCK + n, n = 1, 2, ...


@dataclass
class Subscriber:
    received: list[int] = field(default_factory=list)  # the events' xids, in arrival order
    latencies: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Figures:
    subscribers: int
    updates: int
    p50_ms: float
    p99_ms: float
    lost: int
    duplicated: int
    unordered: int  # subscribers that saw events out of commit order
    cpu_us_per_event: float
    rss_mib: float


async def subscribe(url: str, product: str) -> ClientConnection:
    socket = await connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)  # type: ignore[list-item]
    await socket.send(orjson.dumps({"type": "connection_init", "payload": {}}).decode())
    ack = orjson.loads(await socket.recv())
    assert ack["type"] == "connection_ack", ack
    message = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": SELECTION, "variables": {"id": product}},
    }
    await socket.send(orjson.dumps(message).decode())
    return socket


async def listen(socket: ClientConnection, me: Subscriber, sent_at: dict[int, float]) -> None:
    """Events are told apart by their cursors' transaction ids (the node shows the product
    as it is when the event is delivered, which a later update may already have changed)."""
    async for raw in socket:
        arrived = time.perf_counter()
        message = orjson.loads(raw)
        if message.get("type") != "next":
            continue
        position = position_of(message["payload"]["data"]["productChanged"]["cursor"])
        assert position is not None
        me.received.append(position.xid)
        if position.xid in sent_at:
            me.latencies.append((arrived - sent_at[position.xid]) * 1000)


async def run(
    url: str, db_url: str, product: UUID, pid: int, *, n: int, rate: float, seconds: float
) -> Figures:
    global_id = to_global_id("Product", product)
    sockets: list[ClientConnection] = []
    for start in range(0, n, 100):  # connect a hundred at a time
        sockets += await asyncio.gather(
            *(subscribe(url, global_id) for _ in range(start, min(n, start + 100)))
        )
    subscribers = [Subscriber() for _ in sockets]
    sent_at: dict[int, float] = {}
    listeners = [
        asyncio.create_task(listen(s, me, sent_at))
        for s, me in zip(sockets, subscribers, strict=True)
    ]
    await asyncio.sleep(1.0)  # every subscription registered
    workers = worker_pids(pid)
    cpu_before = cpu_seconds(workers)
    updates = int(rate * seconds)
    async with connect_db(db_url) as conn:
        started = time.perf_counter()
        for number in range(1, updates + 1):
            await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
            sent = time.perf_counter()
            xid = await conn.fetchval(
                "UPDATE products SET stock = $2, rev = rev + 1 WHERE id = $1 "
                "RETURNING pg_current_xact_id()::text::bigint",
                product,
                FIRST_STOCK + number,
            )
            sent_at[xid] = sent
    deadline = time.perf_counter() + 10
    # The listeners' tasks fill `received`.
    while time.perf_counter() < deadline and any(  # noqa: ASYNC110
        len(s.received) < updates for s in subscribers
    ):
        await asyncio.sleep(0.1)
    cpu = cpu_seconds(workers) - cpu_before
    rss = sum(rss_mib(p) for p in workers)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    latencies = sorted(ms for s in subscribers for ms in s.latencies)
    ours = set(sent_at)
    received = sum(sum(x in ours for x in s.received) for s in subscribers)
    unique = sum(len(ours.intersection(s.received)) for s in subscribers)
    unordered = sum(s.received != sorted(s.received) for s in subscribers)
    delivered = max(1, received)
    return Figures(
        subscribers=n,
        updates=updates,
        p50_ms=statistics.median(latencies) if latencies else float("nan"),
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
        lost=n * updates - unique,
        duplicated=received - unique,
        unordered=unordered,
        cpu_us_per_event=cpu / delivered * 1e6,
        rss_mib=rss,
    )


def report(f: Figures, rate: float) -> None:
    print(
        f"{f.subscribers:>6} subscribers  {rate:g} updates/s x {f.updates}  "
        f"p50 {f.p50_ms:6.1f} ms  p99 {f.p99_ms:6.1f} ms  "
        f"lost {f.lost}  duplicated {f.duplicated}  out of order {f.unordered}  "
        f"server CPU {f.cpu_us_per_event:5.1f} us/event  RSS {f.rss_mib:5.1f} MiB",
        flush=True,
    )


def holds(f: Figures) -> bool:
    return f.p99_ms <= TARGET_P99_MS and f.lost == f.duplicated == f.unordered == 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="updates per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--find-max", action="store_true", help="then double until p99 > 100 ms")
    args = parser.parse_args()
    with database() as db_url:
        asyncio.run(prepare(db_url))
        product = asyncio.run(_product(db_url))
        env = {
            "STOREFRONT_WS_MAX_CONNECTIONS": "100000",
            "STOREFRONT_SUBSCRIBER_QUEUE_SIZE": "1000",
        }
        process, base = serve(db_url, env=env)
        url = base.replace("http://", "ws://") + "/graphql"
        try:
            n = args.subscribers
            while True:
                figures = asyncio.run(
                    run(
                        url, db_url, product, process.pid, n=n, rate=args.rate, seconds=args.seconds
                    )
                )
                report(figures, args.rate)
                if not args.find_max or not holds(figures):
                    break
                n *= 2
            if args.find_max:
                print(
                    f"largest tried that held p99 <= {TARGET_P99_MS:g} ms with nothing lost: "
                    f"{n // 2 if not holds(figures) else n}"
                )
        finally:
            stop(process)


async def _product(db_url: str) -> UUID:
    async with connect_db(db_url) as conn:
        _customer, [product] = await bench_catalogue(conn, products=1)
        return product


if __name__ == "__main__":
    main()
