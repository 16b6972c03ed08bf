"""What the bench scripts share: the database, the seed, staff tokens, server processes
and their CPU and memory readings (statements per request: bench/statements.py).

    from bench.common import database, prepare, serve, staff_headers, ...

Scripts put the repository root on `sys.path` before importing this module (it lives in a
namespace package, `bench`). Importing it sets `STOREFRONT_JWT_SECRET` in the environment,
so every server a script starts verifies the staff tokens `staff_headers()` mints.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from server.database import apply_migrations  # noqa: E402
from server.embedded import EmbeddedPostgres, free_port  # noqa: E402
from sql import seed  # noqa: E402
from sql.pool import connect  # noqa: E402

DEFAULT_SCALE = seed.Scale(customers=2000, categories=50, products=10000, orders=50000)
"""The contract's benchmark scale (what `storefront seed` loads with no sizes)."""

# Requests speak as staff, with a token of this secret; servers are started with it too.
os.environ["STOREFRONT_JWT_SECRET"] = BENCH_SECRET = "bench-secret-0123456789abcdef-0123456789"  # noqa: S105

BENCH_EMAIL = "bench@example.com"
BENCH_CATEGORY = "Bench"
BENCH_STOCK = 1_000_000


# -- the database --------------------------------------------------------------------------


@contextlib.contextmanager
def database() -> Iterator[str]:
    """DATABASE_URL when set, else an embedded PostgreSQL under .storefront/bench (its data
    is kept for the next run); yields the URL."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    embedded = EmbeddedPostgres(BENCH_DATA)
    try:
        yield embedded.start()
    finally:
        embedded.stop()


BENCH_DATA = ROOT / ".storefront" / "bench"


@contextlib.contextmanager
def streaming_replica(url: str, scratch: Path) -> Iterator[str | None]:
    """A streaming replica of the embedded bench database (`pg_basebackup -R`) while the
    block runs, and its URL; None with DATABASE_URL (a server this script does not own)."""
    if os.environ.get("DATABASE_URL"):
        yield None
        return
    primary = EmbeddedPostgres(BENCH_DATA)
    primary.start()  # the cluster `database()` runs: adopted, not started again
    standby = primary.replica(scratch)
    standby.start()
    try:
        yield standby.url
    finally:
        standby.stop()


async def prepare(url: str) -> None:
    """Migrates, seeds the default scale into an empty database, refreshes statistics."""
    await apply_migrations(url)
    async with connect(url) as conn:
        if await seed.is_empty(conn):
            print("seeding the default scale ...", file=sys.stderr)
            await seed.load(conn, scale=DEFAULT_SCALE, seed=1)
        await conn.execute("ANALYZE")


async def bench_catalogue(conn: asyncpg.Connection, *, products: int) -> tuple[UUID, list[UUID]]:
    """A customer and `products` products of the bench's own (BENCH-1, BENCH-2, ... in the
    category "Bench"), created when missing and restocked; returns their ids."""
    async with conn.transaction():
        customer = await conn.fetchval(
            "SELECT id FROM customers WHERE email = $1 AND deleted_at IS NULL", BENCH_EMAIL
        ) or await conn.fetchval(
            "INSERT INTO customers (email, name) VALUES ($1, 'Bench') RETURNING id", BENCH_EMAIL
        )
        category = await conn.fetchval(
            "SELECT id FROM categories WHERE name = $1 AND deleted_at IS NULL", BENCH_CATEGORY
        ) or await conn.fetchval(
            "INSERT INTO categories (name) VALUES ($1) RETURNING id", BENCH_CATEGORY
        )
        skus = [f"BENCH-{n}" for n in range(1, products + 1)]
        await conn.execute(
            "INSERT INTO products (sku, name, price, category_id)"
            " SELECT sku, 'Bench product ' || n, 3.25 * n, $2"
            " FROM unnest($1::text[]) WITH ORDINALITY AS s(sku, n)"
            " ON CONFLICT (sku) WHERE deleted_at IS NULL DO NOTHING",
            skus,
            category,
        )
        rows = await conn.fetch(
            "SELECT id, sku FROM products WHERE sku = ANY($1::text[]) AND deleted_at IS NULL",
            skus,
        )
        by_sku = {row["sku"]: row["id"] for row in rows}
        ids = [by_sku[sku] for sku in skus]
        await restock(conn, ids)
    return customer, ids


async def restock(conn: asyncpg.Connection, ids: Sequence[UUID]) -> None:
    await conn.execute(
        "UPDATE products SET stock = $2 WHERE id = ANY($1::uuid[])", list(ids), BENCH_STOCK
    )


def place_order_input(customer: UUID, lines: Sequence[tuple[UUID, int]]) -> dict[str, Any]:
    """placeOrder's `input` for these (product, quantity) lines."""
    from engine.node_ids import to_global_id

    return {
        "customerId": to_global_id("Customer", customer),
        "lines": [{"productId": to_global_id("Product", p), "quantity": q} for p, q in lines],
    }


# -- tokens --------------------------------------------------------------------------------


def staff_token(ttl_seconds: int = 24 * 3600) -> str:
    from engine.auth import mint

    return mint(
        secret=BENCH_SECRET, role="staff", customer=None, ttl_seconds=ttl_seconds, now=time.time()
    )


def staff_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token()}"}


# -- server processes ----------------------------------------------------------------------


def serve(
    url: str | None = None,
    *,
    workers: int = 1,
    command: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
    ready_timeout: float = 30.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """Starts `storefront serve` (or `command`, given the port as STOREFRONT_PORT) on a free
    port and waits for /readyz; returns the process and its base URL. Without `url` the
    server picks its database itself (an embedded one under STOREFRONT_DATA_DIR)."""
    port = free_port()
    environment = {
        **os.environ,
        "STOREFRONT_PORT": str(port),
        "STOREFRONT_WORKERS": str(workers),
        "STOREFRONT_LOG_LEVEL": "warning",
        "STOREFRONT_SEED_DEMO": "false",
        **(env or {}),
    }
    if url is not None:
        environment["DATABASE_URL"] = url
    program = list(command or [sys.executable, "-m", "server.cli", "serve"])
    process = subprocess.Popen(program, env=environment, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"{' '.join(program[-2:])} exited before it was ready")
        time.sleep(0.1)
    stop(process)
    raise SystemExit(f"{' '.join(program[-2:])} did not become ready")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stops a server this script started, as Ctrl-C would (then harder if it hangs)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def rss_mib(pid: int) -> float:
    """Resident memory of a process (VmRSS), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS: this measures Linux processes")


def worker_pids(pid: int) -> list[int]:
    """The processes serving requests: the server itself when it has no worker children,
    else its children (multiprocessing's helper processes left out)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        if parent == pid and b"resource_tracker" not in cmdline:
            children.append(int(entry.name))
    return sorted(children) or [pid]


def pooler_pids() -> list[int]:
    """The PgBouncers this process started (`server.pgbouncer`), to account for their CPU."""
    found = []
    for pid in worker_pids(os.getpid()):
        with contextlib.suppress(OSError):
            program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            if program.endswith(b"pgbouncer"):
                found.append(pid)
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time (user and system) the processes have used so far, seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def wait_idle(pids: Sequence[int], *, busy: float = 0.1, limit: float = 120.0) -> float:
    """Waits until the processes use less than `busy` of a core (requests a load generator
    gave up on may still be running); returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(pids)
        time.sleep(0.25)
        if cpu_seconds(pids) - before <= busy * 0.25:
            break
    return time.monotonic() - started
