"""Subscriptions under load: N subscribers on one worker, each receiving every update of one
product at a steady rate, over WebSocket or Server-Sent Events.

    .venv/bin/python bench/subscriptions.py [--subscribers 1000] [--rate 20] [--seconds 10]
                                           [--transport ws|sse|both] [--find-max | --resume]

Uses DATABASE_URL when set, else the embedded PostgreSQL of `make bench`. Starts a real
`storefront serve` (one worker); client processes open one connection per subscriber (a
graphql-transport-ws socket through `bench/lean_ws.py`, one asyncio protocol each, or a
GraphQL-over-SSE stream in distinct connections mode, read for its SSE `id:` lines), each
keeping only each event's cursor and arrival time, each subscribed to
`productChanged(id:)` selecting five fields; this process updates the product `rate` times
a second, stamping each update with its number (the new stock). `both` measures the two
transports one after the other on one server.
Latency runs from just before the update is sent (so it includes the write itself) to the
moment a client has the event; lost, duplicated and reordered deliveries are counted per
subscriber from the cursors, and any other message (an error, a complete) fails the run;
server CPU is the worker's own over the run, divided by the events it delivered, and the
clients' CPU is theirs while they listened. RSS is the worker's at the end, and per
subscriber above what it was before they connected; the load average is the machine's.
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
import dataclasses
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import uvloop

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
from bench.subscribers import Load, Share, client_share, start_clients
from sql.pool import connect as connect_db

TARGET_P99_MS = 100.0
FIRST_STOCK = 1_000_000  # updates set stock to FIRST_STOCK + n, n = 1, 2, ...


@dataclass(frozen=True)
class Figures:
    transport: str
    subscribers: int
    updates: int
    p50_ms: float
    p99_ms: float
    lost: int
    duplicated: int
    unordered: int  # subscribers that saw events out of commit order
    failures: int  # messages other than events: errors (SUBSCRIBER_TOO_SLOW), closes
    cpu_us_per_event: float
    client_cpu_us_per_event: float  # the load generator's, on the same cores
    rss_mib: float
    rss_before_mib: float  # before the subscribers connected
    load: float  # the machine's load average over the last minute, at the end


def client_process(
    transport: str,
    url: str,
    product: str,
    count: int,
    updates: int,
    ready: Any,
    limit: float,
    results: Any,
) -> None:
    results.put(uvloop.run(client_share(transport, url, product, count, updates, ready, limit)))


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


def run(transport: str, load: Load) -> Figures:
    """Subscribers spread over the load's client processes."""
    updates, limit, n = load.updates, load.limit, load.n
    workers = worker_pids(load.pid)
    rss_before = sum(rss_mib(p) for p in workers)
    clients, results = start_clients(
        client_process,
        n,
        load.processes,
        lambda _, share, ready: (transport, load.url, load.global_id, share, updates, ready, limit),
    )
    cpu_before = cpu_seconds(workers)
    sent_at = asyncio.run(write(load.db_url, load.product, rate=load.rate, updates=updates))
    shares_back: list[Share] = [results.get(timeout=limit + 30) for _ in clients]
    received = [mine for share in shares_back for mine in share.received]
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
        transport=transport,
        subscribers=n,
        updates=updates,
        p50_ms=statistics.median(latencies) if latencies else float("nan"),
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
        lost=n * updates - unique,
        duplicated=got - unique,
        unordered=unordered,
        failures=sum(len(share.failures) for share in shares_back),
        cpu_us_per_event=cpu / max(1, got) * 1e6,
        client_cpu_us_per_event=sum(s.cpu_seconds for s in shares_back) / max(1, got) * 1e6,
        rss_mib=rss,
        rss_before_mib=rss_before,
        load=os.getloadavg()[0],
    )


def report(f: Figures, rate: float) -> None:
    print(
        f"{f.transport:>3} {f.subscribers:>6} subscribers  {rate:g} updates/s x {f.updates}  "
        f"p50 {f.p50_ms:6.1f} ms  p99 {f.p99_ms:6.1f} ms  "
        f"lost {f.lost}  duplicated {f.duplicated}  out of order {f.unordered}  "
        f"other messages {f.failures}  CPU us/event: server {f.cpu_us_per_event:4.1f} "
        f"clients {f.client_cpu_us_per_event:4.1f}  RSS {f.rss_mib:5.1f} MiB "
        f"({(f.rss_mib - f.rss_before_mib) * 1024 / f.subscribers:4.1f} KiB per subscriber "
        f"above {f.rss_before_mib:5.1f})  load {f.load:4.1f}",
        flush=True,
    )


def holds(f: Figures) -> bool:
    return f.p99_ms <= TARGET_P99_MS and f.lost == f.duplicated == f.unordered == f.failures == 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="updates per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--client-processes", type=int, default=1, help="load generators")
    parser.add_argument("--transport", choices=["ws", "sse", "both"], default="ws")
    parser.add_argument("--find-max", action="store_true", help="then double until p99 > 100 ms")
    parser.add_argument("--resume", action="store_true", help="each subscriber drops, resumes")
    args = parser.parse_args()
    with database() as db_url:
        asyncio.run(prepare(db_url))
        product = asyncio.run(_product(db_url))
        env = {
            "STOREFRONT_WS_MAX_CONNECTIONS": "100000",
            "STOREFRONT_SUBSCRIBER_QUEUE_SIZE": "1000",
            "STOREFRONT_STREAM_MAX_OPEN": "100000",
        }
        process, base = serve(db_url, env=env)
        urls = {"ws": base.replace("http://", "ws://") + "/graphql", "sse": base}
        transports = ["ws", "sse"] if args.transport == "both" else [args.transport]
        try:
            if args.resume:  # over WebSocket
                _resume_run(_load(urls["ws"], db_url, product, process.pid, args))
                return
            for transport in transports:
                load = _load(urls[transport], db_url, product, process.pid, args)
                _measure(transport, load, args)
        finally:
            stop(process)


def _load(url: str, db_url: str, product: UUID, pid: int, args: argparse.Namespace) -> Load:
    n, rate, seconds = args.subscribers, args.rate, args.seconds
    return Load(url, db_url, product, pid, n, rate, seconds, args.client_processes)


def _measure(transport: str, load: Load, args: argparse.Namespace) -> None:
    n = load.n
    held = None  # the largest count tried that met the target
    while True:
        figures = run(transport, dataclasses.replace(load, n=n))
        report(figures, args.rate)
        if not args.find_max or not holds(figures):
            break
        held = n
        n *= 2
    if args.find_max:
        print(
            f"{transport}: largest tried that held p99 <= {TARGET_P99_MS:g} ms with nothing lost: "
            f"{held if held is not None else f'none (from {args.subscribers})'}"
        )


def _resume_run(load: Load) -> None:
    from bench import subscription_resume  # it builds on this module

    subscription_resume.report(subscription_resume.run(load), load.rate)


async def _product(db_url: str) -> UUID:
    async with connect_db(db_url) as conn:
        _customer, [product] = await bench_catalogue(conn, products=1)
        return product


if __name__ == "__main__":
    main()
