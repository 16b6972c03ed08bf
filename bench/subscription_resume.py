"""The resume run of `bench/subscriptions.py --resume`: every subscriber drops its socket
once, at a random point of the run, stays away a random while (up to `AWAY_S`), then
subscribes again on a new socket with `after` = the last cursor it holds.

Counted over the whole run: events lost, duplicated, out of order. Latency, as in the live
run, from just before the write to the client, for events that were written while their
subscriber was subscribed (live ones); events written while it was away, or in flight when
it dropped, reach it by replay, and the run reports instead how long a resume took: from
the new `subscribe` to the arrival of the last event written before it (catch-up).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

import orjson
import uvloop
from websockets.asyncio.client import ClientConnection, connect

from bench.common import cpu_seconds, worker_pids
from bench.subscribers import Load, start_clients
from bench.subscriptions import TARGET_P99_MS, write
from resolvers.changes import position_of

SELECTION = (
    "subscription($id: ID, $after: String) { productChanged(id: $id, after: $after) "
    "{ cursor kind product { name price stock } } }"
)
AWAY_S = 0.5


@dataclass(frozen=True)
class Figures:
    subscribers: int
    updates: int
    lost: int
    duplicated: int
    unordered: int
    p50_ms: float  # live events
    p99_ms: float
    catch_up_p50_ms: float
    catch_up_p99_ms: float
    cpu_us_per_event: float
    load: tuple[float, float]  # load average (1 min) before and after


@dataclass
class Subscriber:
    arrivals: list[tuple[int, float]]  # (xid, arrival), in arrival order
    dropped_at: float
    resumed_at: float


async def subscribe(url: str, product: str, after: str | None) -> ClientConnection:
    socket = await connect(  # a generous handshake bound: the machine may be busy
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        max_queue=None,
        open_timeout=60,
    )
    await socket.send(orjson.dumps({"type": "connection_init", "payload": {}}).decode())
    ack = orjson.loads(await socket.recv())
    assert ack["type"] == "connection_ack", ack
    payload = {"query": SELECTION, "variables": {"id": product, "after": after}}
    await socket.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode())
    return socket


async def _receive(socket: ClientConnection, into: list[tuple[bytes, float]], until: int) -> None:
    while len(into) < until:
        raw = await socket.recv(decode=False)
        arrived = time.perf_counter()
        start = raw.find(b'"cursor":"')
        if start < 0:
            raise SystemExit(f"not an event: {raw[:300]!r}")
        start += len(b'"cursor":"')
        into.append((raw[start : raw.index(b'"', start)], arrived))


async def one(
    socket: ClientConnection, url: str, product: str, updates: int, rng: random.Random
) -> Subscriber:
    """Receives some events, drops, stays away, resumes, and receives until it has them all
    (or until the run's limit cancels it)."""
    got: list[tuple[bytes, float]] = []
    await _receive(socket, got, rng.randint(1, int(updates * 0.7)))
    await socket.close()
    dropped = time.perf_counter()
    await asyncio.sleep(rng.random() * AWAY_S)
    resumed = time.perf_counter()
    socket = await subscribe(url, product, got[-1][0].decode())
    try:
        await _receive(socket, got, updates)
    finally:
        await socket.close()
        arrivals = [(_xid(cursor), at) for cursor, at in got]
    return Subscriber(arrivals, dropped, resumed)


async def client_share(
    url: str, product: str, count: int, updates: int, ready: Any, limit: float, seed: int
) -> list[Subscriber]:
    rng = random.Random(seed)  # noqa: S311 - a benchmark's schedule, not a secret
    sockets: list[ClientConnection] = []
    for start in range(0, count, 100):  # connect a hundred at a time
        batch = min(count, start + 100) - start
        sockets += await asyncio.gather(*(subscribe(url, product, None) for _ in range(batch)))
    ready.set()
    tasks = [
        asyncio.create_task(one(socket, url, product, updates, random.Random(rng.random())))  # noqa: S311
        for socket in sockets
    ]
    await asyncio.wait(tasks, timeout=limit)
    for task in tasks:
        task.cancel()
    done = [task for task in tasks if task.done() and not task.cancelled()]
    failed = [task.exception() for task in done if task.exception() is not None]
    if failed:
        print(f"{len(failed)} subscribers failed, the first with {failed[0]!r}", flush=True)
    return [task.result() for task in done if task.exception() is None]


def _xid(cursor: bytes) -> int:
    position = position_of(cursor.decode())
    assert position is not None
    return position.xid


def client_process(*args: Any) -> None:
    *share, results = args
    results.put(uvloop.run(client_share(*share)))


def run(load: Load) -> Figures:
    updates, limit = load.updates, load.limit
    clients, results = start_clients(
        client_process,
        load.n,
        load.processes,
        lambda seed, share, ready: (load.url, load.global_id, share, updates, ready, limit, seed),
    )
    load_before = os.getloadavg()[0]
    workers = worker_pids(load.pid)
    cpu_before = cpu_seconds(workers)
    sent_at = asyncio.run(write(load.db_url, load.product, rate=load.rate, updates=updates))
    subscribers: list[Subscriber] = []
    for _ in clients:
        subscribers += results.get(timeout=limit + 60)
    cpu = cpu_seconds(workers) - cpu_before
    for process in clients:
        process.join()
    load_after = os.getloadavg()[0]
    return _figures(subscribers, sent_at, load.n, updates, cpu, (load_before, load_after))


def _figures(
    subscribers: list[Subscriber],
    sent_at: dict[int, float],
    n: int,
    updates: int,
    cpu: float,
    load: tuple[float, float],
) -> Figures:
    ours = set(sent_at)
    live: list[float] = []
    catch_up: list[float] = []
    got = unique = unordered = 0
    for sub in subscribers:
        xids = [xid for xid, _ in sub.arrivals if xid in ours]
        got += len(xids)
        unique += len(set(xids))
        unordered += xids != sorted(xids)
        missed_until = 0.0
        for xid, at in sub.arrivals:
            if xid not in ours:
                continue
            sent = sent_at[xid]
            if sent < sub.dropped_at or sent >= sub.resumed_at:
                live.append((at - sent) * 1000)
            if sent < sub.resumed_at and at >= sub.resumed_at:
                missed_until = max(missed_until, at)  # reached it by replay
        if missed_until:
            catch_up.append((missed_until - sub.resumed_at) * 1000)
    live.sort()
    catch_up.sort()
    return Figures(
        subscribers=n,
        updates=updates,
        lost=n * updates - unique,
        duplicated=got - unique,
        unordered=unordered,
        p50_ms=_quantile(live, 0.5),
        p99_ms=_quantile(live, 0.99),
        catch_up_p50_ms=_quantile(catch_up, 0.5),
        catch_up_p99_ms=_quantile(catch_up, 0.99),
        cpu_us_per_event=cpu / max(1, got) * 1e6,
        load=load,
    )


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.median(values) if q == 0.5 else values[max(0, int(len(values) * q) - 1)]


def report(f: Figures, rate: float) -> None:
    print(
        f"{f.subscribers:>6} subscribers, each dropping and resuming once, {rate:g} updates/s "
        f"x {f.updates}: lost {f.lost}  duplicated {f.duplicated}  out of order {f.unordered}  "
        f"live p50 {f.p50_ms:6.1f} ms  p99 {f.p99_ms:6.1f} ms (target {TARGET_P99_MS:g})  "
        f"catch-up p50 {f.catch_up_p50_ms:6.1f} ms  p99 {f.catch_up_p99_ms:6.1f} ms  "
        f"server CPU {f.cpu_us_per_event:5.1f} us/event  "
        f"load average {f.load[0]:.1f} -> {f.load[1]:.1f}",
        flush=True,
    )
