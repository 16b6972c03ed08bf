"""Subscriptions under load: N WebSocket subscribers on one worker, each receiving every
update of one product at a steady rate.

    .venv/bin/python bench/subscriptions.py [--subscribers 1000] [--rate 20] [--seconds 10]
                                           [--find-max | --resume]

Uses DATABASE_URL when set, else the embedded PostgreSQL of `make bench`. Starts a real
`storefront serve` (one worker); this process opens one graphql-transport-ws connection per
subscriber, each subscribed to `productChanged(id:)` selecting five fields, and updates the
product `rate` times a second, stamping each update with its number (the new stock).
Latency runs from just before the update is sent (so it includes the write itself) to the
moment a client has the event; lost and duplicated deliveries are counted per subscriber;
server CPU is the worker's own over the run, divided by the events it delivered.
`--find-max` then doubles the subscribers until p99 exceeds 100 ms or events are lost
(start low: the first count that misses the target ends the search).
`--resume` runs `bench/subscription_resume.py` instead: each subscriber drops and resumes
once during the run.
The load generator shares the machine with the server: on a busy or small machine the
figures are upper bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import uvloop
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
from engine.node_ids import to_global_id
from resolvers.changes import position_of
from sql.pool import connect as connect_db

SELECTION = (
    "subscription($id: ID) { productChanged(id: $id) { cursor kind product { name price stock } } }"
)
TARGET_P99_MS = 100.0
FIRST_STOCK = 1_000_000  # updates set stock to FIRST_STOCK + n, n = 1, 2, ...


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
    variables = {"id": product}
    message = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": SELECTION, "variables": variables},
    }
    await socket.send(orjson.dumps(message).decode())
    return socket


Arrivals = list[tuple[int, float]]
"""What one subscriber received: (the event's xid, when it arrived), in arrival order."""


async def listen(
    socket: ClientConnection, arrivals: list[tuple[bytes, float]], updates: int
) -> None:
    """Keeps each event's cursor and arrival time, parsing no more than the cursor: the load
    generator shares the machine with the server, and must cost it as little as it can."""
    while len(arrivals) < updates:
        raw = await socket.recv(decode=False)
        arrived = time.perf_counter()
        start = raw.find(b'"cursor":"')
        if start >= 0:
            start += len(b'"cursor":"')
            arrivals.append((raw[start : raw.index(b'"', start)], arrived))


async def client_share(
    url: str, product: str, count: int, updates: int, ready: Any, limit: float
) -> list[Arrivals]:
    sockets: list[ClientConnection] = []
    for start in range(0, count, 100):  # connect a hundred at a time
        batch = min(count, start + 100) - start
        sockets += await asyncio.gather(*(subscribe(url, product) for _ in range(batch)))
    ready.set()
    arrivals: list[list[tuple[bytes, float]]] = [[] for _ in sockets]
    tasks = [
        asyncio.create_task(listen(s, a, updates)) for s, a in zip(sockets, arrivals, strict=True)
    ]
    await asyncio.wait(tasks, timeout=limit)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return [[(_xid(cursor), at) for cursor, at in mine] for mine in arrivals]


def _xid(cursor: bytes) -> int:
    position = position_of(cursor.decode())
    assert position is not None
    return position.xid


def client_process(
    url: str, product: str, count: int, updates: int, ready: Any, limit: float, results: Any
) -> None:
    results.put(uvloop.run(client_share(url, product, count, updates, ready, limit)))


async def write(db_url: str, product: UUID, *, rate: float, updates: int) -> dict[int, float]:
    """Updates the product `rate` times a second; returns each update's xid and send time."""
    sent_at: dict[int, float] = {}
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
    return sent_at


def run(
    url: str,
    db_url: str,
    product: UUID,
    pid: int,
    *,
    n: int,
    rate: float,
    seconds: float,
    processes: int,
) -> Figures:
    """Subscribers spread over `processes` client processes (perf_counter is the system's
    monotonic clock, so their arrival times compare with this process's send times)."""
    context = multiprocessing.get_context("fork")
    updates = int(rate * seconds)
    limit = seconds + 30
    global_id = to_global_id("Product", product)
    results = context.Queue()
    shares = [n // processes + (i < n % processes) for i in range(processes)]
    readies = [context.Event() for _ in shares]
    clients = [
        context.Process(
            target=client_process, args=(url, global_id, share, updates, ready, limit, results)
        )
        for share, ready in zip(shares, readies, strict=True)
    ]
    for process in clients:
        process.start()
    for ready in readies:
        if not ready.wait(120):
            raise SystemExit("the subscribers did not connect within 2 minutes")
    time.sleep(1.0)  # every subscription registered
    workers = worker_pids(pid)
    cpu_before = cpu_seconds(workers)
    sent_at = asyncio.run(write(db_url, product, rate=rate, updates=updates))
    received: list[Arrivals] = []
    for _ in clients:
        received += results.get(timeout=limit + 30)
    cpu = cpu_seconds(workers) - cpu_before
    rss = sum(rss_mib(p) for p in workers)
    for process in clients:
        process.join()
    ours = set(sent_at)
    latencies = sorted(
        (at - sent_at[xid]) * 1000 for mine in received for xid, at in mine if xid in ours
    )
    got = sum(sum(xid in ours for xid, _ in mine) for mine in received)
    unique = sum(len(ours.intersection(xid for xid, _ in mine)) for mine in received)
    unordered = sum([x for x, _ in mine] != sorted(x for x, _ in mine) for mine in received)
    return Figures(
        subscribers=n,
        updates=updates,
        p50_ms=statistics.median(latencies) if latencies else float("nan"),
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
        lost=n * updates - unique,
        duplicated=got - unique,
        unordered=unordered,
        cpu_us_per_event=cpu / max(1, got) * 1e6,
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
    parser.add_argument("--client-processes", type=int, default=2, help="load generators")
    parser.add_argument("--find-max", action="store_true", help="then double until p99 > 100 ms")
    parser.add_argument("--resume", action="store_true", help="each subscriber drops, resumes")
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
            if args.resume:
                _resume_run(url, db_url, product, process.pid, args)
                return
            n = args.subscribers
            held = None  # the largest count tried that met the target
            while True:
                figures = run(
                    url,
                    db_url,
                    product,
                    process.pid,
                    n=n,
                    rate=args.rate,
                    seconds=args.seconds,
                    processes=args.client_processes,
                )
                report(figures, args.rate)
                if not args.find_max or not holds(figures):
                    break
                held = n
                n *= 2
            if args.find_max:
                print(
                    f"largest tried that held p99 <= {TARGET_P99_MS:g} ms with nothing lost: "
                    f"{held if held is not None else f'none (from {args.subscribers})'}"
                )
        finally:
            stop(process)


def _resume_run(url: str, db_url: str, product: UUID, pid: int, args: Any) -> None:
    from bench import subscription_resume  # it builds on this module

    figures = subscription_resume.run(
        url,
        db_url,
        product,
        pid,
        n=args.subscribers,
        rate=args.rate,
        seconds=args.seconds,
        processes=args.client_processes,
    )
    subscription_resume.report(figures, args.rate)


async def _product(db_url: str) -> UUID:
    async with connect_db(db_url) as conn:
        _customer, [product] = await bench_catalogue(conn, products=1)
        return product


if __name__ == "__main__":
    main()
