"""Throughput and latency of our server against a floor that does the same work without
GraphQL, under wrk: `make bench`.

    make bench [BENCH_ARGS="--only Q1,Q2 --duration 3 --rounds 1"]
    .venv/bin/python bench/run.py [--rounds 5] [--duration 10] [--warmup 2] [--only Q1,Q5]
                                  [--workers 2] [--concurrency 16,64] [--threads 1]

Uses DATABASE_URL when set (migrated, and seeded at the default scale when empty), else an
embedded PostgreSQL under .storefront/bench, kept between runs. Starts the real server
(`storefront serve`, one worker) and the floor (`bench/floor.py`) side by side, checks that
both give the same `data` for every canonical request, then for each request and
concurrency runs wrk against them in turn (ours, floor; floor, ours; ours, floor; ...): a
warm-up, then a timed run, for `--rounds` rounds. Then ours with `--workers` worker
processes against one worker, both started afresh, on Q1 and Q2 at the first concurrency,
with how busy the machine's CPUs were for each: a run with one worker that keeps them a
share b busy can grow at most 1/b times before they are full, however many workers serve
(unless each answer gets cheaper). Prints one table of medians across rounds
and the targets met or missed, and writes the same to bench/results/latest.json. A ratio
is the median of the rounds' ratios (each round's two runs follow each other), so a
stretch in which the machine runs slower weighs on both sides of a pair. A virtual
machine's host may take CPU time from it: a pair in which it took more than 5% from
either run is measured again (at most twice).

The canonical requests (their texts are in bench/floor.py), all as staff:
  Q1  product(id) with 6 fields, the id rotating over 1,000 seeded products
  Q2  orders(first: 50) with customers, lines, products and categories (the contract's
      benchmark query)
  Q3  products(first: 100) filtered by price and category name, by price descending, with
      totalCount and pageInfo
  Q4  updateProduct at the current rev (price set to itself), over 2,000 products: each wrk
      thread owns its own products and sends each one's rev, counting up; successes are
      counted in the database (the sum of the revs), errors = requests - successes (a
      lower bound: writes still in flight when wrk stops count as successes, not requests)
  Q5  placeOrder with 3 lines for the bench customer over 300 products of the bench's own,
      restocked before every run; successes are the orders it added
  Q6  orders groupBy month of placedAt and status (100 groups at most), with count and sum
      of totals over every order: monthly revenue by status

req/s counts answers without errors (Q4, Q5: writes the database shows); errors are
non-2xx answers, socket errors and timeouts (wrk's, `--timeout`), and for Q4 and Q5 also
the answers that wrote nothing (a ConflictError is a 200). Before every warm-up and every
timed run the harness waits until every server it started is idle: requests wrk stopped
waiting for keep running, and would hold execution slots and connections. wrk runs with
one thread by default (`--threads`): on a 2-core machine that also runs the server and
PostgreSQL, a second wrk thread took CPU from the server under test and lowered what both
servers reached; one thread keeps up with either.

CPU ms/req is the CPU time the server's processes used per answer during the timed run; on
a machine shared with other work it moves less than req/s does. Statements per request are
counted with each app in this process (our `create_app` and the floor's, both with a query
logger on their pool; asyncpg's type introspection left out). Resident memory (VmRSS) of
every server process (each worker, for several) is read after each timed run. Q5 deletes
the orders a previous run left for the bench customer before it starts, so the database
does not grow from run to run; the tables the writes touch are compacted (VACUUM FULL) at
the start and vacuumed before every run of Q4 and Q5, autovacuum or not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime
import difflib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import floor
from bench.common import (
    ROOT,
    StatementLog,
    bench_catalogue,
    count_statements,
    cpu_seconds,
    database,
    in_process,
    our_app,
    place_order_input,
    prepare,
    restock,
    rss_mib,
    serve,
    staff_headers,
    staff_token,
    stop,
    streaming_replica,
    wait_idle,
    worker_pids,
)
from engine.node_ids import to_global_id, uuid_of
from server.pgbouncer import pgbouncer
from sql.pool import connect

RESULTS = ROOT / "bench" / "results"
WRK = shutil.which("wrk")
REQUESTS = ("Q1", "Q2", "Q3", "Q4", "Q5", "Q6")
TITLES = {
    "Q1": "product(id), 6 fields",
    "Q2": "orders(first: 50), nested",
    "Q3": "products(first: 100), filtered",
    "Q4": "updateProduct, rev-checked",
    "Q5": "placeOrder, 3 lines",
    "Q6": "revenue by month and status",
}
RATIO_TARGETS = {"Q1": 0.85, "Q2": 0.6, "Q3": 0.6, "Q4": 0.5, "Q5": 0.5, "Q6": 0.8}
SCALING_TARGET = 1.6
POOLED_TARGET = 0.9  # through PgBouncer, at least this share of the direct rate
REPLICA_REQUESTS = ("Q1", "Q2", "Q3")
TAIL_TARGET = 4.0  # p99 at most this many times p50, at the highest concurrency
RSS_LIMIT_MB = 150.0
STOLEN_LIMIT = 0.05  # a pair is measured again when the host took more CPU time than this
STOLEN_RETRIES = 2
RSS_DRIFT_MB = 10.0  # "flat": how far a server's memory may rise past its earlier high

Q1_PRODUCTS = 1000
Q4_PRODUCTS = 2000
Q5_PRODUCTS = 300
SAMPLE = 20  # Q1 ids checked against the floor before timing


# -- what the requests run over ------------------------------------------------------------


@dataclass
class Plan:
    q1_ids: list[UUID]
    q4_ids: list[UUID]
    category: str
    customer: UUID
    q5_ids: list[UUID]

    def body(self, name: str, k: int = 0) -> dict[str, Any]:
        """The k-th body of a read or placeOrder (Q4's need a rev: see `update_body`)."""
        if name == "Q1":
            id = self.q1_ids[k % len(self.q1_ids)]
            return {"query": floor.Q1, "variables": {"id": to_global_id("Product", id)}}
        if name == "Q2":
            return {"query": floor.Q2}
        if name == "Q3":
            return {"query": floor.Q3, "variables": {"category": self.category}}
        if name == "Q5":
            return {"query": floor.Q5, "variables": {"input": self.order_input(k)}}
        if name == "Q6":
            return {"query": floor.Q6}
        raise ValueError(name)

    def bodies(self, name: str) -> list[dict[str, Any]]:
        count = {"Q1": len(self.q1_ids), "Q5": len(self.q5_ids)}.get(name, 1)
        return [self.body(name, k) for k in range(count)]

    def order_input(self, k: int) -> dict[str, Any]:
        """Three distinct products a third of the catalogue apart: orders next to each other
        in the rotation share no product, so they do not queue on each other's rows."""
        n = len(self.q5_ids)
        step = n // 3
        lines = [(self.q5_ids[(k + i * step) % n], i + 1) for i in range(3)]
        return place_order_input(self.customer, lines)


def update_body(gid: str, rev: int, price: str) -> dict[str, Any]:
    return {"query": floor.Q4, "variables": {"id": gid, "rev": rev, "price": price}}


async def make_plan(url: str) -> Plan:
    async with connect(url) as conn:
        ids = [
            row[0]
            for row in await conn.fetch(
                "SELECT id FROM products WHERE deleted_at IS NULL AND sku NOT LIKE 'BENCH-%'"
                " ORDER BY id LIMIT $1",
                Q1_PRODUCTS + Q4_PRODUCTS,
            )
        ]
        if len(ids) < Q1_PRODUCTS + Q4_PRODUCTS:
            raise SystemExit(f"the bench needs {Q1_PRODUCTS + Q4_PRODUCTS} live seeded products")
        category = await conn.fetchval(
            "SELECT c.name FROM categories AS c JOIN products AS p ON p.category_id = c.id"
            " WHERE c.deleted_at IS NULL AND p.deleted_at IS NULL"
            f" AND p.price BETWEEN {floor.Q3_MIN_PRICE} AND {floor.Q3_MAX_PRICE}"
            " GROUP BY c.name ORDER BY count(*) DESC, c.name LIMIT 1"
        )
        customer, q5_ids = await bench_catalogue(conn, products=Q5_PRODUCTS)
        placed = await conn.fetchval("SELECT count(*) FROM orders WHERE customer_id = $1", customer)
        if placed:
            async with conn.transaction():
                await conn.execute(
                    "DELETE FROM order_lines WHERE order_id IN"
                    " (SELECT id FROM orders WHERE customer_id = $1)",
                    customer,
                )
                await conn.execute("DELETE FROM orders WHERE customer_id = $1", customer)
        # Every run starts from compact tables, whatever earlier runs left behind.
        await conn.execute("VACUUM FULL ANALYZE products, orders, order_lines")
    return Plan(
        q1_ids=ids[:Q1_PRODUCTS],
        q4_ids=ids[Q1_PRODUCTS:],
        category=category,
        customer=customer,
        q5_ids=q5_ids,
    )


async def product_revs(url: str, ids: Sequence[UUID]) -> list[tuple[UUID, int, str]]:
    async with connect(url) as conn:
        rows = await conn.fetch(
            "SELECT id, rev, price FROM products WHERE id = ANY($1::uuid[])", list(ids)
        )
    by_id = {row[0]: (row[0], row[1], str(row[2])) for row in rows}
    return [by_id[id] for id in ids]


async def fetch_value(url: str, query: str, *args: Any) -> Any:
    async with connect(url) as conn:
        return await conn.fetchval(query, *args)


async def fetch_row(url: str, query: str, *args: Any) -> Any:
    async with connect(url) as conn:
        return await conn.fetchrow(query, *args)


async def restock_products(url: str, ids: Sequence[UUID]) -> None:
    async with connect(url) as conn:
        await restock(conn, ids)


async def vacuum(url: str) -> None:
    """What the writes left dead cleared away (autovacuum may be off, or late), so every
    run of Q4 and Q5 starts from the same tables."""
    async with connect(url) as conn:
        await conn.execute("VACUUM ANALYZE products, orders, order_lines")


def process_ticks() -> dict[int, tuple[int, int, bytes]]:
    """CPU ticks so far, parent and command line of every process on the machine."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                cmdline = (entry / "cmdline").read_bytes()
                found[int(entry.name)] = (
                    int(fields[11]) + int(fields[12]),
                    int(fields[1]),
                    cmdline,
                )
    return found


def others_cores(
    before: dict[int, tuple[int, int, bytes]],
    after: dict[int, tuple[int, int, bytes]],
    *,
    ours: set[int],
    database: str,
    seconds: float,
) -> tuple[float, list[tuple[float, str]]]:
    """CPUs used meanwhile by processes that are not part of the measurement: neither the
    servers, this process and its children (wrk), PostgreSQL (its sessions with our
    database and its background processes) nor the kernel's threads (loopback traffic is
    partly theirs). Anything much above 0 made that run slower. Also the three busiest."""
    me = os.getpid()
    per_second = os.sysconf("SC_CLK_TCK") * max(seconds, 1e-9)
    used: list[tuple[float, str]] = []
    for pid, (ticks, parent, cmdline) in after.items():
        if pid in ours or pid == me or parent == me or not cmdline:
            continue
        if cmdline.split(b"\0")[0].endswith(b"/postgres"):
            continue  # the postmaster
        if cmdline.startswith(b"postgres:"):
            words = cmdline.decode(errors="replace").split()
            session = any("(" in word for word in words)  # "user db host(port) state"
            if not session or database in words:
                continue
        spent = ticks - before.get(pid, (0, 0, b""))[0]
        if spent > 0:
            command = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()[:80]
            used.append((round(spent / per_second, 3), command))
    used.sort(reverse=True)
    return sum(cores for cores, _ in used), used[:3]


def machine_ticks() -> tuple[int, int, int]:
    """(busy, total, stolen) CPU ticks of the whole machine so far, from /proc/stat;
    stolen: time a virtual machine's CPUs were ready but the host ran something else."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields), fields[7]


def settled(read: Callable[[], Any]) -> Any:
    """A count once it stops moving: requests still in flight when wrk stopped finish."""
    last = read()
    for _ in range(50):
        time.sleep(0.2)
        now = read()
        if now == last:
            return now
        last = now
    return last


# -- comparing ours with the floor ---------------------------------------------------------


def ordered(value: Any) -> Any:
    """JSON with objects as lists of (key, value): equal only in the same key order."""
    if isinstance(value, dict):
        return [(key, ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def check_same(label: str, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Aborts with a diff unless both answered without errors and with the same data."""
    problems = []
    for side, body in (("ours", ours), ("the floor", theirs)):
        if body.get("errors") or "data" not in body:
            problems.append(f"{side} answered with errors: {body.get('errors')}")
    if not problems and ordered(ours["data"]) != ordered(theirs["data"]):
        ours_text = json.dumps(ours["data"], indent=1, ensure_ascii=False).splitlines()
        floor_text = json.dumps(theirs["data"], indent=1, ensure_ascii=False).splitlines()
        diff = difflib.unified_diff(ours_text, floor_text, "ours", "floor", lineterm="", n=2)
        problems.append("data differ (key order counts):\n" + "\n".join(list(diff)[:80]))
    if problems:
        raise SystemExit(
            f"{label}: ours and the floor disagree; nothing was timed.\n" + ("\n".join(problems))
        )


def masked(body: dict[str, Any], path: Sequence[str], keys: Sequence[str]) -> dict[str, Any]:
    """A copy with the values of `keys` in the object at `path` under data replaced; the
    first step of the path is a mutation field, which must have succeeded."""
    outcome = (body.get("data") or {}).get(path[0]) or {}
    if not str(outcome.get("__typename", "")).endswith("Success"):
        raise SystemExit(f"{path[0]} did not succeed, nothing was timed: {body}")
    copy = json.loads(json.dumps(body))
    target = copy["data"]
    for step in path:
        target = target[step]
    for key in keys:
        target[key] = f"<{key}>"
    return copy


def post(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/graphql", json=body)
    if response.status_code != 200:
        raise SystemExit(f"{response.request.url} answered {response.status_code}: {response.text}")
    result: dict[str, Any] = response.json()
    return result


def precheck(url: str, plan: Plan, ours: str, theirs: str, names: Sequence[str]) -> None:
    """Every canonical request, on a sample of its variables, to both servers: same data."""
    headers = staff_headers()
    with (
        httpx.Client(base_url=ours, headers=headers, timeout=60) as a,
        httpx.Client(base_url=theirs, headers=headers, timeout=60) as b,
    ):
        for name in names:
            if name in ("Q1", "Q2", "Q3", "Q6"):
                samples = [plan.body(name, k * 37) for k in range(SAMPLE if name == "Q1" else 1)]
                if name == "Q1":  # an id of no product: null on both sides
                    unknown = to_global_id("Product", UUID(int=7))
                    samples.append({"query": floor.Q1, "variables": {"id": unknown}})
                for body in samples:
                    check_same(f"{name} {body.get('variables', {})}", post(a, body), post(b, body))
            elif name == "Q4":
                precheck_update(url, plan, a, b)
            elif name == "Q5":
                precheck_order(url, plan, a, b)
            print(f"  {name}: ours and the floor give the same data", file=sys.stderr)


def precheck_update(url: str, plan: Plan, a: httpx.Client, b: httpx.Client) -> None:
    """A stale rev must give the same ConflictError; a current one the same success, but for
    what two writes in a row must change (rev, updatedAt), each checked with the database."""
    for id, rev, price in asyncio.run(product_revs(url, plan.q4_ids[:3])):
        gid = to_global_id("Product", id)
        stale = update_body(gid, rev + 7, price)
        check_same("Q4 at a stale rev", post(a, stale), post(b, stale))
        first = post(a, update_body(gid, rev, price))
        second = post(b, update_body(gid, rev + 1, price))
        path, keys = ("updateProduct", "product"), ("rev", "updatedAt")
        check_same("Q4 at the current rev", masked(first, path, keys), masked(second, path, keys))
        now = asyncio.run(fetch_row(url, "SELECT rev, updated_at FROM products WHERE id = $1", id))
        for body, expected_rev in ((first, rev + 1), (second, rev + 2)):
            product = body["data"]["updateProduct"]["product"]
            stamp = product["updatedAt"]
            if (
                product["rev"] != expected_rev
                or datetime.datetime.fromisoformat(stamp).isoformat() != stamp
            ):
                raise SystemExit(f"Q4: unexpected rev or updatedAt in {body}")
        if second["data"]["updateProduct"]["product"]["updatedAt"] != now[1].isoformat():
            raise SystemExit(f"Q4: the floor's updatedAt is not the database's {now[1]}")
        if now[0] != rev + 2:
            raise SystemExit(f"Q4: two writes took the rev from {rev} to {now[0]}")


def precheck_order(url: str, plan: Plan, a: httpx.Client, b: httpx.Client) -> None:
    """The same order placed on each side: the same data but for the new order's id and
    number, each checked with the database."""
    for k in range(3):
        body = plan.body("Q5", k)
        first, second = post(a, body), post(b, body)
        path, keys = ("placeOrder", "order"), ("id", "number")
        check_same("Q5", masked(first, path, keys), masked(second, path, keys))
        for placed in (first, second):
            order = placed["data"]["placeOrder"]["order"]
            number = asyncio.run(
                fetch_value(
                    url,
                    "SELECT number FROM orders WHERE id = $1 AND customer_id = $2",
                    uuid_of(order["id"], type_name="Order"),
                    plan.customer,
                )
            )
            if number != order["number"]:
                raise SystemExit(f"Q5: order {order} is not in the database as answered")


# -- statements per request ----------------------------------------------------------------


async def statements(url: str, plan: Plan, names: Sequence[str]) -> dict[str, dict[str, int]]:
    """Statements each request runs, for ours and for the floor, both apps in process."""
    counts: dict[str, dict[str, int]] = {name: {} for name in names}
    apps: dict[str, Callable[[StatementLog], Any]] = {
        "ours": lambda log: our_app(url, log),
        "floor": lambda log: floor.create_app(url, query_logger=log),
    }
    for side, make in apps.items():
        log = StatementLog()
        async with in_process(make(log)) as client:
            for name in names:
                if name == "Q4":
                    id, rev, price = (await product_revs(url, plan.q4_ids[-1:]))[0]
                    gid = to_global_id("Product", id)
                    await client.post("/graphql", json=update_body(gid, rev, price))
                    body = update_body(gid, rev + 1, price)
                else:
                    body = plan.body(name)
                    await client.post("/graphql", json=body)
                count, response = await count_statements(client, log, body, warm=False)
                data = response.get("data") or {}
                outcome = str(next(iter(data.values()), None))
                failed = name in ("Q4", "Q5") and "Success" not in outcome
                if response.get("errors") or not data or failed:
                    raise SystemExit(f"{name} failed in process ({side}): {response}")
                counts[name][side] = count
    return counts


# -- wrk -----------------------------------------------------------------------------------

LUA_COMMON = """
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, " ..
    "\\"p99_us\\": %%d, \\"mean_us\\": %%.1f, \\"max_us\\": %%d, \\"connect\\": %%d, " ..
    "\\"read\\": %%d, \\"write\\": %%d, \\"status\\": %%d, \\"timeout\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""

# Reads and placeOrder: each thread cycles through prepared requests; placeOrder's are
# split between threads so that no two threads order the same products at once.
LUA_BODIES = """
local bodies = {
%(bodies)s
}
local partition = %(partition)s
local nthreads = %(threads)d
local requests = {}
local i = 0
function init(args)
  for k = 1, #bodies do
    if not partition or (k - 1) %% nthreads == tid then
      requests[#requests + 1] = wrk.format("POST", "/graphql", headers, bodies[k])
    end
  end
  i = partition and 0 or (tid * 7919) %% #requests
end
function request()
  i = i %% #requests + 1
  return requests[i]
end
"""

# updateProduct: each thread owns every nthreads-th product and sends its current rev,
# counting its own copy up as it goes. Before the run wrk asks the first thread's script for
# one request, to check it, and never sends it: that one must not count a rev up.
LUA_UPDATES = """
local products = {
%(products)s
}
local nthreads = %(threads)d
local mine = {}
local i = 0
local checking = false
function init(args)
  for k = 1, #products do
    if (k - 1) %% nthreads == tid then mine[#mine + 1] = products[k] end
  end
  checking = tid == 0
end
function request()
  local next = i %% #mine + 1
  local p = mine[next]
  local body = [==[%(head)s]==] .. p[1] .. [==[%(after_id)s]==] .. p[2] ..
    [==[%(after_rev)s]==] .. p[3] .. [==[%(tail)s]==]
  if checking then
    checking = false
  else
    i = next
    p[2] = p[2] + 1
  end
  return wrk.format("POST", "/graphql", headers, body)
end
"""


def long_string(text: str) -> str:
    if "]==]" in text:
        raise ValueError("a body that Lua's long brackets cannot hold")
    return f"[==[{text}]==]"


def body_script(bodies: Sequence[dict[str, Any]], *, threads: int, partition: bool) -> str:
    return (LUA_COMMON + LUA_BODIES) % {
        "token": staff_token(),
        "bodies": ",\n".join(long_string(json.dumps(body)) for body in bodies),
        "partition": "true" if partition else "false",
        "threads": threads,
    }


def update_script(products: Sequence[tuple[UUID, int, str]], *, threads: int) -> str:
    # The body as JSON around three holes, which the script fills for each request.
    text = json.dumps(update_body("@ID@", 987654321, "@PRICE@"))
    head, rest = text.split("@ID@")
    after_id, rest = rest.split("987654321")
    after_rev, tail = rest.split("@PRICE@")
    rows = ",\n".join(
        f'{{"{to_global_id("Product", id)}", {rev}, "{price}"}}' for id, rev, price in products
    )
    return (LUA_COMMON + LUA_UPDATES) % {
        "token": staff_token(),
        "products": rows,
        "threads": threads,
        "head": head,
        "after_id": after_id,
        "after_rev": after_rev,
        "tail": tail,
    }


def wrk(
    base: str, script: Path, *, connections: int, threads: int, seconds: float, timeout: float
) -> dict[str, Any]:
    command = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        f"--timeout={timeout:g}s",
        "-s",
        str(script),
        base + "/graphql",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("WRK_RESULT "))
            return result
    raise SystemExit(f"wrk gave no result ({done.returncode}):\n{done.stdout}\n{done.stderr}")


# -- one measured run ----------------------------------------------------------------------


@dataclass
class Server:
    label: str
    base: str
    process: subprocess.Popen[bytes]

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

    def script(self, name: str) -> Path:
        """The wrk script for a request; Q4's is written anew from the current revs."""
        threads = self.args.threads
        if name == "Q4":
            revs = asyncio.run(product_revs(self.url, self.plan.q4_ids))
            text = update_script(revs, threads=threads)
        elif name in self.scripts:
            return self.scripts[name]
        else:
            bodies = self.plan.bodies(name)
            text = body_script(bodies, threads=threads, partition=name == "Q5")
        path = self.scratch / f"{name}.lua"
        path.write_text(text)
        if name != "Q4":
            self.scripts[name] = path
        return path

    def successes(self, name: str) -> int:
        """What the database counts of the writes: Q4's revs summed, Q5's orders."""
        if name == "Q4":
            query, arg = (
                "SELECT sum(rev) FROM products WHERE id = ANY($1::uuid[])",
                self.plan.q4_ids,
            )
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
        pids = server.pids()
        everyone = process_ticks()
        cpu_before, machine_before = cpu_seconds(pids), machine_ticks()
        result = wrk(
            server.base,
            self.script(name),
            connections=connections,
            threads=self.args.threads,
            seconds=seconds,
            timeout=self.args.timeout,
        )
        cpu = cpu_seconds(pids) - cpu_before
        machine_after = machine_ticks()
        others, busiest = others_cores(
            everyone,
            process_ticks(),
            ours={pid for each in self.servers for pid in each.pids()},
            database=self.database,
            seconds=result["duration_us"] / 1e6,
        )
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
            machine_busy=round(busy / max(1, total), 3),
            machine_stolen=round(stolen / max(1, total), 3),
            others_cores=round(others, 3),
            others_busiest=busiest,
            successes=successes,
            wrk=result,
        )

    def rounds(
        self, name: str, servers: tuple[Server, Server], connections: int
    ) -> dict[str, list[Run]]:
        """Every round's run of each server, by label (see `pair`)."""
        runs: dict[str, list[Run]] = {server.label: [] for server in servers}
        for turn in range(self.args.rounds):
            for label, run in self.pair(name, servers, connections, turn):
                runs[label].append(run)
        return runs

    def pair(
        self, name: str, servers: tuple[Server, Server], connections: int, turn: int
    ) -> list[tuple[str, Run]]:
        """One round's two runs, in this round's order. Measured again (at most
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
            f"  {name} c={connections:<3} {server.label:<10} {run.rps:9.1f} req/s  "
            f"p50 {run.p50_ms:8.2f} ms  p99 {run.p99_ms:8.2f} ms  errors {run.errors}  "
            f"RSS {'/'.join(f'{mb:.0f}' for mb in run.rss_mb)} MB  "
            f"(idle after {waited:.1f} s; others used {run.others_cores:.2f} CPUs)",
            file=sys.stderr,
        )
        return run


# -- the report ----------------------------------------------------------------------------


def median(runs: Sequence[Run], attribute: str) -> float:
    return float(statistics.median(getattr(run, attribute) for run in runs))


def in_turn(servers: tuple[Server, Server], turn: int) -> tuple[Server, Server]:
    """Who runs first alternates by round (A B, B A, A B, ...): going first or second
    brings its own conditions (what the previous run left in PostgreSQL, a machine that
    speeds up or slows down over the pair), and alternating spreads them over both sides."""
    return servers if turn % 2 == 0 else (servers[1], servers[0])


def round_ratios(ours: Sequence[Run], theirs: Sequence[Run]) -> list[float]:
    """Each round's ratio of the two sides' rates."""
    return [round(a.rps / b.rps, 3) for a, b in zip(ours, theirs, strict=True) if b.rps > 0]


def paired_ratio(ours: Sequence[Run], theirs: Sequence[Run]) -> float:
    """The median over rounds of one round's ratio: each round's two runs follow each
    other, so a machine that is slower for a while slows both sides of a pair, where the
    ratio of the two sides' medians could take them from different stretches."""
    ratios = round_ratios(ours, theirs)
    return round(float(statistics.median(ratios)), 3) if ratios else 0.0


def summarize(runs: Sequence[Run]) -> dict[str, Any]:
    return {
        "rps": round(median(runs, "rps"), 1),
        "p50_ms": round(median(runs, "p50_ms"), 2),
        "p99_ms": round(median(runs, "p99_ms"), 2),
        "errors": sum(run.errors for run in runs),
        "cpu_ms_per_request": round(median(runs, "cpu_ms_per_request"), 3),
        "machine_busy": round(median(runs, "machine_busy"), 3),
        "others_cores_max": max(run.others_cores for run in runs),
        "rss_mb_by_round": [run.rss_mb for run in runs],
    }


def rounds_text(line: dict[str, Any]) -> str:
    return ", ".join(f"{ratio:.2f}" for ratio in line["rounds"])


def full_machine(runs: dict[str, Any]) -> float:
    """How many times its throughput a run could reach with every CPU busy and each answer
    costing the machine as much CPU as it did: a bound on what more workers can gain."""
    return 1 / max(runs["machine_busy"], 1e-9)


def mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def rss_flat(readings: Sequence[Sequence[float]]) -> bool:
    """No growth over a server's life: memory rises to the high-water mark of its heaviest
    requests and stays there, where a leak keeps rising. `readings` are in the order they
    were taken (one per worker each time); no worker's later half may rise more than
    RSS_DRIFT_MB above the highest of its earlier half."""
    for worker in zip(*readings, strict=False):
        half = len(worker) // 2
        if half and max(worker[half:]) - max(worker[:half]) > RSS_DRIFT_MB:
            return False
    return True


def evaluate(report: dict[str, Any], concurrencies: Sequence[int]) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []
    low, high = min(concurrencies), max(concurrencies)
    rows = report["rows"]
    for row in rows:
        if row["concurrency"] == low and row["request"] in RATIO_TARGETS:
            target = RATIO_TARGETS[row["request"]]
            checks.append(
                {
                    "target": f"{row['request']} ours/floor at c={low} >= {target}",
                    "value": f"{row['ratio']} (rounds: {rounds_text(row)})",
                    "pass": row["ratio"] >= target,
                }
            )
    for row in rows:
        if row["concurrency"] == high:
            ours = row["ours"]
            tail = ours["p99_ms"] / ours["p50_ms"] if ours["p50_ms"] else float("inf")
            checks.append(
                {
                    "target": f"{row['request']} at c={high}: p99 <= {TAIL_TARGET:g} x p50, "
                    "no errors",
                    "value": f"p99/p50 {tail:.1f}, {ours['errors']} errors",
                    "pass": tail <= TAIL_TARGET and ours["errors"] == 0,
                }
            )
    for line in report["scaling"]:
        checks.append(
            {
                "target": f"{line['request']} {line['workers']} workers >= "
                f"{SCALING_TARGET:g} x 1 worker (c={line['concurrency']})",
                "value": f"{line['ratio']} (rounds: {rounds_text(line)}; every CPU busy "
                f"at one worker's CPU per answer: {full_machine(line['one']):.2f})",
                "pass": line["ratio"] >= SCALING_TARGET,
            }
        )
    for line in report.get("paths", []):
        if line["path"] == "PgBouncer":
            checks.append(
                {
                    "target": f"{line['request']} via PgBouncer >= {POOLED_TARGET:g} x direct "
                    f"(c={line['concurrency']})",
                    "value": f"{line['ratio']} (rounds: {rounds_text(line)})",
                    "pass": line["ratio"] >= POOLED_TARGET,
                }
            )
    readings = [row["ours"]["rss_mb_by_round"] for row in rows]
    readings += [line["many"]["rss_mb_by_round"] for line in report["scaling"]]
    largest = max((mb for rounds in readings for run in rounds for mb in run), default=0.0)
    checks.append(
        {
            "target": f"ours RSS <= {RSS_LIMIT_MB:g} MB per worker",
            "value": f"largest {largest:.1f} MB",
            "pass": largest <= RSS_LIMIT_MB,
        }
    )
    # The first server serves every row; the scaling servers their lines.
    lives = [[run for row in rows for run in row["ours"]["rss_mb_by_round"]]]
    lives.append([run for line in report["scaling"] for run in line["many"]["rss_mb_by_round"]])
    flat = all(rss_flat(life) for life in lives)
    checks.append(
        {
            "target": "ours RSS flat across rounds (no worker's later half of the run above "
            f"its earlier high by more than {RSS_DRIFT_MB:g} MB)",
            "value": "flat" if flat else "grows",
            "pass": flat,
        }
    )
    return checks


def render(report: dict[str, Any]) -> str:
    def rss(rounds: Sequence[Sequence[float]]) -> str:
        return " ".join("/".join(f"{mb:.0f}" for mb in run) for run in rounds)

    header = (
        f"{'request':<34} {'c':>3} {'ours r/s':>9} {'floor r/s':>9} {'ratio':>6} "
        f"{'ours p50/p99 ms':>17} {'floor p50/p99 ms':>17} {'errors o/f':>11} "
        f"{'SQL/req o/f':>11} {'CPU ms/req o/f':>14}  ours RSS MB by round"
    )
    lines = [header, "-" * len(header)]
    for row in report["rows"]:
        ours, theirs = row["ours"], row["floor"]
        sql = row["statements"]
        lines.append(
            f"{row['request'] + ' ' + TITLES[row['request']]:<34} {row['concurrency']:>3} "
            f"{ours['rps']:>9.1f} {theirs['rps']:>9.1f} {row['ratio']:>6.2f} "
            f"{ours['p50_ms']:>8.1f}/{ours['p99_ms']:<8.1f} "
            f"{theirs['p50_ms']:>8.1f}/{theirs['p99_ms']:<8.1f} "
            f"{ours['errors']:>5}/{theirs['errors']:<5} "
            f"{sql.get('ours', '-'):>5}/{sql.get('floor', '-')!s:<5} "
            f"{ours['cpu_ms_per_request']:>6.2f}/{theirs['cpu_ms_per_request']:<6.2f}  "
            f"{rss(ours['rss_mb_by_round'])}"
        )

    def side_by_side(label: str, line: dict[str, Any], a: dict[str, Any], b: dict[str, Any]) -> str:
        """A line of two runs of ours (a: first columns, b: the floor's columns)."""
        return (
            f"{label:<34} {line['concurrency']:>3} {a['rps']:>9.1f} {b['rps']:>9.1f} "
            f"{line['ratio']:>6.2f} {a['p50_ms']:>8.1f}/{a['p99_ms']:<8.1f} "
            f"{b['p50_ms']:>8.1f}/{b['p99_ms']:<8.1f} "
            f"{a['errors']:>5}/{b['errors']:<5} {'':>11} "
            f"{a['cpu_ms_per_request']:>6.2f}/{b['cpu_ms_per_request']:<6.2f}  "
            f"{rss(a['rss_mb_by_round'])}"
        )

    for line in report["scaling"]:
        label = f"{line['request']} ours x{line['workers']} workers vs x1"
        lines.append(side_by_side(label, line, line["many"], line["one"]))
    for line in report["scaling"]:
        lines.append(
            f"{line['request']} with {line['workers']} workers: {line['ratio']:.2f}x (rounds: "
            f"{rounds_text(line)}); the machine's CPUs were "
            f"{line['one']['machine_busy']:.0%} busy with one worker and "
            f"{line['many']['machine_busy']:.0%} with {line['workers']} (the servers, "
            "PostgreSQL and wrk share them): with every CPU busy and each answer costing "
            f"what it did with one worker, at most {full_machine(line['one']):.2f}x"
        )
    for line in report.get("paths", []):
        label = f"{line['request']} ours via {line['path']} vs direct"
        lines.append(side_by_side(label, line, line["other"], line["direct"]))
    lines.append("")
    config = report["config"]
    lines.append(
        f"medians of {config['rounds']} round(s) of {config['duration']:g} s (after "
        f"{config['warmup']:g} s of warm-up), wrk -t{config['threads']}; ratio: the median "
        "of each round's ours/floor; scaling lines: ours with N workers (first columns) "
        "against 1 worker (floor columns); via lines: ours through PgBouncer or reading a "
        "replica (first columns) against ours direct (floor columns)"
    )
    lines.append(
        "the floor's Q2 and Q3 run "
        + (
            "one hand-written statement each"
            if config.get("floor_sql") == "minimum"
            else "the statements ours runs (--floor-sql minimum: one each)"
        )
    )
    busy = [row[side]["machine_busy"] for row in report["rows"] for side in ("ours", "floor")]
    if busy:
        lines.append(
            f"the machine's CPUs were {statistics.median(busy):.0%} busy during the timed runs "
            "(median; the servers, wrk, PostgreSQL and anything else running)"
        )
    timed = [run for sides in report["runs"].values() for runs in sides.values() for run in runs]
    stolen = [run["machine_stolen"] for run in timed]
    if stolen:
        lines.append(
            f"the host took {statistics.median(stolen):.1%} of the CPU time (median of the "
            f"timed runs kept; at most {max(stolen):.1%}); pairs measured again because it "
            f"took more than {STOLEN_LIMIT:.0%}: {len(report.get('remeasured', []))}"
        )
    others = [run["others_cores"] for run in timed]
    if others:
        lines.append(
            f"processes outside the measurement used {statistics.median(others):.2f} CPUs "
            f"(median of the timed runs; at most {max(others):.2f}) of {os.cpu_count()}"
        )
        if statistics.median(others) > 0.25:
            lines.append(
                "  that is other work on this machine (runs.*.others_busiest in the JSON names "
                "it): it slowed the servers down; compare on a quiet machine"
            )
    git = report.get("git") or {}
    if git:
        changed = " with uncommitted changes" if git.get("changed") else ""
        lines.append(f"measured at commit {git.get('commit', '?')[:12]}{changed}")
    lines.append("targets:")
    for check in report["targets"]:
        lines.append(f"  [{mark(check['pass'])}] {check['target']}: {check['value']}")
    return "\n".join(lines)


# -- the whole run -------------------------------------------------------------------------


@contextlib.contextmanager
def running(bench: Bench, label: str, url: str | None = None, **kwargs: Any) -> Iterator[Server]:
    process, base = serve(url or bench.url, **kwargs)
    server = Server(label, base, process)
    bench.servers.append(server)
    try:
        yield server
    finally:
        bench.servers.remove(server)
        stop(process)


def other_paths(bench: Bench, ours: Server, floor_base: str) -> list[dict[str, Any]]:
    """Ours through PgBouncer in transaction mode (every request) and ours reading from a
    streaming replica of the bench database (Q1-Q3, embedded database only), each in pairs
    with ours on the direct path, at the first concurrency."""
    args, lines = bench.args, []
    connections = args.concurrencies[0]

    def compare(label: str, names: Sequence[str], other: Server) -> None:
        precheck(bench.url, bench.plan, other.base, floor_base, names)
        for name in names:
            pair = bench.rounds(name, (ours, other), connections)
            direct, path = summarize(pair[ours.label]), summarize(pair[other.label])
            lines.append(
                {
                    "request": name,
                    "path": label,
                    "concurrency": connections,
                    "direct": direct,
                    "other": path,
                    "ratio": paired_ratio(pair[other.label], pair[ours.label]),
                    "rounds": round_ratios(pair[other.label], pair[ours.label]),
                }
            )

    pooled_env = {"STOREFRONT_POOLER_MODE": "transaction", "DATABASE_DIRECT_URL": bench.url}
    print("ours through PgBouncer (transaction mode) against direct ...", file=sys.stderr)
    with (
        pgbouncer(bench.url, bench.scratch / "pgbouncer") as pooled_url,
        running(bench, "pgbouncer", url=pooled_url, env=pooled_env) as pooled,
    ):
        compare("PgBouncer", args.names, pooled)
    names = [name for name in args.names if name in REPLICA_REQUESTS]
    with streaming_replica(bench.url, bench.scratch / "replica") as replica_url:
        if replica_url is None or not names:
            print("no replica lines: they need the embedded database", file=sys.stderr)
            return lines
        print("ours reading from a streaming replica against direct ...", file=sys.stderr)
        env = {"DATABASE_REPLICA_URL": replica_url}
        with running(bench, "replica", env=env) as replicated:
            compare("replica", names, replicated)
    return lines


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed runs per server (5)")
    parser.add_argument(
        "--duration",
        type=int,
        default=10,
        help="whole seconds per timed run (10; wrk takes no fractions)",
    )
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up (2)")
    parser.add_argument("--only", default=",".join(REQUESTS), help="requests, e.g. Q1,Q2")
    parser.add_argument(
        "--workers", type=int, default=2, help="workers of the scaling run; 1 skips it (2)"
    )
    parser.add_argument("--concurrency", default="16,64", help="wrk connections (16,64)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--timeout", type=float, default=10, help="wrk's request timeout (10)")
    parser.add_argument(
        "--floor-sql",
        choices=("ours", "minimum"),
        default="ours",
        help="the floor's SQL for Q2 and Q3: the statements our server runs, or one "
        "hand-written statement each (ours)",
    )
    parser.add_argument(
        "--no-paths",
        dest="paths",
        action="store_false",
        help="skip ours through PgBouncer and from a replica against ours direct",
    )
    args = parser.parse_args()
    os.environ["FLOOR_SQL"] = args.floor_sql  # the floor reads it, in process and out
    args.names = [name.strip().upper() for name in args.only.split(",") if name.strip()]
    unknown = set(args.names) - set(REQUESTS)
    if unknown or not args.names:
        parser.error(f"--only takes some of {', '.join(REQUESTS)}")
    args.concurrencies = [int(c) for c in args.concurrency.split(",")]
    if args.rounds < 1 or args.duration <= 0 or min(args.concurrencies) < args.threads:
        parser.error("need rounds >= 1, duration > 0 and concurrency >= threads")
    return args


def git_state() -> dict[str, Any]:
    """The commit measured, and whether the work tree held changes on top of it."""
    program = shutil.which("git")
    if program is None:
        return {}

    def git(*args: str) -> str:
        done = subprocess.run(
            [program, *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "changed": git("status", "--porcelain")[:2000]}


def main() -> None:
    args = parse_args()
    if WRK is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian package)")
    started = time.monotonic()
    git = git_state()  # the code the servers start with
    RESULTS.mkdir(parents=True, exist_ok=True)
    with database() as url, tempfile.TemporaryDirectory(prefix="storefront-bench-") as scratch:
        print("preparing the database ...", file=sys.stderr)
        asyncio.run(prepare(url))
        plan = asyncio.run(make_plan(url))
        print("counting statements per request ...", file=sys.stderr)
        counts = asyncio.run(statements(url, plan, args.names))
        bench = Bench(url, plan, args, Path(scratch))
        rows: list[dict[str, Any]] = []
        scaling: list[dict[str, Any]] = []
        raw: dict[str, Any] = {}
        with (
            running(bench, "ours") as ours,
            running(bench, "floor", command=[sys.executable, "-m", "bench.floor"]) as theirs,
        ):
            print("comparing ours with the floor ...", file=sys.stderr)
            precheck(url, plan, ours.base, theirs.base, args.names)
            print("timing ...", file=sys.stderr)
            for name in args.names:
                for connections in args.concurrencies:
                    runs = bench.rounds(name, (ours, theirs), connections)
                    ours_sum, floor_sum = summarize(runs["ours"]), summarize(runs["floor"])
                    rows.append(
                        {
                            "request": name,
                            "title": TITLES[name],
                            "concurrency": connections,
                            "ours": ours_sum,
                            "floor": floor_sum,
                            "ratio": paired_ratio(runs["ours"], runs["floor"]),
                            "rounds": round_ratios(runs["ours"], runs["floor"]),
                            "statements": counts[name],
                        }
                    )
                    raw[f"{name} c={connections}"] = {
                        side: [dataclasses.asdict(run) for run in side_runs]
                        for side, side_runs in runs.items()
                    }
            scaled = [name for name in ("Q1", "Q2") if name in args.names]
            if args.workers > 1 and scaled:
                print(f"ours with {args.workers} workers against 1 ...", file=sys.stderr)
                many_label = f"ours x{args.workers}"
                # Both sides start afresh: the first server has served every request above.
                with (
                    running(bench, "ours x1") as single,
                    running(bench, many_label, workers=args.workers) as many,
                ):
                    precheck(url, plan, many.base, theirs.base, scaled)
                    precheck(url, plan, single.base, theirs.base, scaled)
                    connections = args.concurrencies[0]
                    for name in scaled:
                        pair = bench.rounds(name, (single, many), connections)
                        one, more = summarize(pair[single.label]), summarize(pair[many_label])
                        scaling.append(
                            {
                                "request": name,
                                "concurrency": connections,
                                "workers": args.workers,
                                "one": one,
                                "many": more,
                                "ratio": paired_ratio(pair[many_label], pair[single.label]),
                                "rounds": round_ratios(pair[many_label], pair[single.label]),
                            }
                        )
                        raw[f"{name} c={connections} scaling"] = {
                            side: [dataclasses.asdict(run) for run in side_runs]
                            for side, side_runs in pair.items()
                        }
            paths = other_paths(bench, ours, theirs.base) if args.paths else []
    report: dict[str, Any] = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "config": {
            "floor_sql": args.floor_sql,
            "rounds": args.rounds,
            "duration": args.duration,
            "warmup": args.warmup,
            "concurrency": args.concurrencies,
            "threads": args.threads,
            "workers": args.workers,
            "requests": args.names,
            "database": "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded",
            "q3_category": plan.category,
        },
        "git": git,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "wrk": subprocess.run(
                [WRK, "-v"], capture_output=True, text=True, check=False
            ).stdout.splitlines()[:1],
        },
        "queries": {name: getattr(floor, name) for name in REQUESTS},
        "rows": rows,
        "scaling": scaling,
        "paths": paths,
        "remeasured": bench.remeasured,
        "runs": raw,
    }
    report["targets"] = evaluate(report, args.concurrencies)
    report["wall_seconds"] = round(time.monotonic() - started, 1)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(render(report))
    print(f"\n{report['wall_seconds']:.0f} s in all; written to bench/results/latest.json")


if __name__ == "__main__":
    main()
