"""One measured run of one server (`Bench.load`), and rounds of runs of several servers
in alternating order (`Bench.rounds`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import peers
from bench.common import (
    cpu_seconds,
    rss_mib,
    serve,
    staff_token,
    stop,
    wait_idle,
    worker_pids,
)
from bench.machine import database_seconds, machine_ticks, others_cores, process_ticks, settled
from bench.plan import Plan, fetch_value, product_revs, restock_products, vacuum
from bench.wrk import body_script, update_script, wrk

STOLEN_LIMIT = 0.05  # a pair is measured again when the host took more CPU time than this
STOLEN_RETRIES = 2
LABEL_WIDTH = len("PgBouncer 1.25.2 unnamed")  # the longest: the path lines' servers


@dataclass
class Server:
    label: str
    base: str
    process: subprocess.Popen[bytes]
    peer: bool = False
    """Asked in the peer's naming, without a token (bench/peers.py)."""
    pooler: int | None = None
    """The PgBouncer it talks to the database through, whose CPU its answers cost."""

    def rss(self) -> list[float]:
        return [round(rss_mib(pid), 1) for pid in worker_pids(self.process.pid)]

    def pids(self) -> list[int]:
        return sorted({self.process.pid, *worker_pids(self.process.pid)})


@dataclass
class Run:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    rss_mb: list[float]
    cpu_ms_per_request: float
    """CPU time the server's processes spent per answer: steadier than req/s on a busy
    machine."""
    database_cpu_ms_per_request: float
    """CPU time PostgreSQL's sessions with the bench's database spent per answer."""
    pooler_cpu_ms_per_request: float
    """CPU time the server's PgBouncer spent per answer (0 without one)."""
    machine_busy: float
    """Share of all CPUs busy during the run, whoever used it."""
    machine_stolen: float
    """Share of all CPU time the host took from this virtual machine during the run."""
    others_cores: float
    """CPUs used during the run by processes outside the measurement (see others_cores)."""
    others_busiest: list[tuple[float, str]]
    successes: int | None = None
    idle_wait_s: float = 0.0
    wrk: dict[str, Any] = field(default_factory=dict)


class Bench:
    def __init__(self, url: str, plan: Plan, args: argparse.Namespace, scratch: Path) -> None:
        self.url = url
        self.plan = plan
        self.args = args
        self.scratch = scratch
        self.scripts: dict[str, Path] = {}
        self.servers: list[Server] = []
        self.remeasured: list[dict[str, Any]] = []  # pairs measured again (see `pair`)
        self.database = urllib.parse.urlsplit(url).path.lstrip("/") or "postgres"

    def script(self, name: str, server: Server) -> Path:
        """The wrk script for a request; Q4's is written anew from the current revs."""
        threads = self.args.threads
        key = f"{name}-peer" if server.peer else name
        if name == "Q4":
            revs = asyncio.run(product_revs(self.url, self.plan.q4_ids))
            text = update_script(revs, threads=threads, token=staff_token())
        elif key in self.scripts:
            return self.scripts[key]
        elif server.peer:
            text = body_script(
                peers.bodies(self.plan, name), threads=threads, partition=False, token=None
            )
        else:
            bodies = self.plan.bodies(name)
            text = body_script(bodies, threads=threads, partition=name == "Q5", token=staff_token())
        path = self.scratch / f"{key}.lua"
        path.write_text(text)
        if name != "Q4":
            self.scripts[key] = path
        return path

    def successes(self, name: str) -> int:
        """What the database counts of the writes: Q4's revs summed, Q5's orders."""
        if name == "Q4":
            query = "SELECT sum(rev) FROM products WHERE id = ANY($1::uuid[])"
            arg: object = self.plan.q4_ids
        else:
            query, arg = "SELECT count(*) FROM orders WHERE customer_id = $1", self.plan.customer
        return int(settled(lambda: asyncio.run(fetch_value(self.url, query, arg))))

    def load(self, name: str, server: Server, connections: int, seconds: float) -> Run:
        writes = name in ("Q4", "Q5")
        if name == "Q5":
            asyncio.run(restock_products(self.url, self.plan.q5_ids))
        if writes:
            asyncio.run(vacuum(self.url))
        before = self.successes(name) if writes else 0
        pids, pooler = server.pids(), [server.pooler] if server.pooler else []
        everyone = process_ticks()
        cpu_before, machine_before = cpu_seconds(pids), machine_ticks()
        pooler_before = cpu_seconds(pooler)
        result = wrk(
            server.base,
            self.script(name, server),
            connections=connections,
            threads=self.args.threads,
            seconds=seconds,
            timeout=self.args.timeout,
        )
        cpu = cpu_seconds(pids) - cpu_before
        pooler_cpu = cpu_seconds(pooler) - pooler_before
        machine_after = machine_ticks()
        others, busiest = others_cores(
            everyone,
            process_ticks(),
            ours={pid for each in self.servers for pid in each.pids()},
            database=self.database,
            seconds=result["duration_us"] / 1e6,
        )
        database_cpu = database_seconds(everyone, process_ticks(), self.database)
        busy, total, stolen = (machine_after[i] - machine_before[i] for i in (0, 1, 2))
        sockets = sum(result[k] for k in ("connect", "read", "write", "timeout"))
        successes = None
        if writes:
            successes = self.successes(name) - before
            good = min(result["requests"], successes)
        else:
            good = result["requests"] - result["status"]
        elapsed = result["duration_us"] / 1e6
        return Run(
            requests=result["requests"],
            seconds=round(elapsed, 3),
            rps=round(good / elapsed, 1),
            p50_ms=round(result["p50_us"] / 1000, 2),
            p99_ms=round(result["p99_us"] / 1000, 2),
            errors=result["requests"] - good + sockets,
            rss_mb=server.rss(),
            cpu_ms_per_request=round(cpu * 1000 / max(1, result["requests"]), 3),
            database_cpu_ms_per_request=round(database_cpu * 1000 / max(1, result["requests"]), 3),
            pooler_cpu_ms_per_request=round(pooler_cpu * 1000 / max(1, result["requests"]), 3),
            machine_busy=round(busy / max(1, total), 3),
            machine_stolen=round(stolen / max(1, total), 3),
            others_cores=round(others, 3),
            others_busiest=busiest,
            successes=successes,
            wrk=result,
        )

    def rounds(
        self, name: str, servers: Sequence[Server], connections: int
    ) -> dict[str, list[Run]]:
        """Every round's run of each server, by label (see `pair`)."""
        runs: dict[str, list[Run]] = {server.label: [] for server in servers}
        for turn in range(self.args.rounds):
            for label, run in self.pair(name, servers, connections, turn):
                runs[label].append(run)
        return runs

    def pair(
        self, name: str, servers: Sequence[Server], connections: int, turn: int
    ) -> list[tuple[str, Run]]:
        """One round's runs, one per server, in this round's order. Measured again (at most
        STOLEN_RETRIES times) when the host took more than STOLEN_LIMIT of the CPU time
        from either run: such a run measures the host, not the server."""
        retries = 0
        while True:
            runs = [(s.label, self.measure(name, s, connections)) for s in in_turn(servers, turn)]
            stolen = max(run.machine_stolen for _, run in runs)
            if stolen <= STOLEN_LIMIT or retries == STOLEN_RETRIES:
                return runs
            retries += 1
            self.remeasured.append(
                {"request": name, "concurrency": connections, "round": turn, "stolen": stolen}
            )
            print(f"  the host took {stolen:.0%} of the CPU time: again", file=sys.stderr)

    def measure(self, name: str, server: Server, connections: int) -> Run:
        # Requests wrk stopped waiting for may still be running (or a worker starting):
        # every server must be idle before the next one is loaded.
        pids = [pid for each in self.servers for pid in each.pids()]
        waited = wait_idle(pids)
        if self.args.warmup > 0:
            self.load(name, server, connections, self.args.warmup)
            # Not straight on: what the warm-up left running would hold execution slots.
            waited += wait_idle(pids)
        run = self.load(name, server, connections, self.args.duration)
        run.idle_wait_s = round(waited, 2)
        print(
            f"  {name} c={connections:<3} {server.label:<{LABEL_WIDTH}} {run.rps:9.1f} req/s  "
            f"p50 {run.p50_ms:8.2f} ms  p99 {run.p99_ms:8.2f} ms  errors {run.errors}  "
            f"RSS {'/'.join(f'{mb:.0f}' for mb in run.rss_mb)} MB  "
            f"(idle after {waited:.1f} s; others used {run.others_cores:.2f} CPUs)",
            file=sys.stderr,
        )
        return run


def in_turn(servers: Sequence[Server], turn: int) -> list[Server]:
    """Who runs first turns by round (A B, B A, A B, ...; with three, A B C, B C A, C A B):
    going first or later brings its own conditions (what the previous run left in
    PostgreSQL, a machine that speeds up or slows down over the round), and turning spreads
    them over every side."""
    shift = turn % len(servers)
    return [*servers[shift:], *servers[:shift]]


@contextlib.contextmanager
def running(
    bench: Bench,
    label: str,
    url: str | None = None,
    *,
    peer: bool = False,
    pooler: int | None = None,
    **kwargs: Any,
) -> Iterator[Server]:
    process, base = serve(url or bench.url, **kwargs)
    server = Server(label, base, process, peer=peer, pooler=pooler)
    bench.servers.append(server)
    try:
        yield server
    finally:
        bench.servers.remove(server)
        stop(process)
