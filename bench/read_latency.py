"""Wall time and SQL statements of the contract's benchmark query, over the default seed.

    .venv/bin/python bench/read_latency.py [--runs 20] [--n 50]

Uses DATABASE_URL when set (seeding it when empty), else an embedded PostgreSQL under
.storefront/bench. Starts a real `storefront serve`, warms it up, then times the query
over HTTP and prints the median and spread. Statement counts come from the app run in
process with a query logger on its pool.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.app import create_app  # noqa: E402
from server.database import apply_migrations  # noqa: E402
from server.embedded import EmbeddedPostgres  # noqa: E402
from server.settings import Settings  # noqa: E402
from sql import seed  # noqa: E402

BENCHMARK = """query($n: Int) { orders(first: $n) { edges { node { number status total
  customer { name email }
  lines { quantity unitPrice product { name price category { name } } } } } } }"""
NESTED = """{ customers(first: 50) { nodes {
  orders(first: 5) { nodes { lines { product { name } } } } } } }"""
DEFAULT_SCALE = seed.Scale(customers=2000, categories=50, products=10000, orders=50000)


async def prepare(url: str) -> None:
    await apply_migrations(url)
    conn = await asyncpg.connect(url)
    try:
        if await seed.is_empty(conn):
            print("seeding the default scale ...", file=sys.stderr)
            await seed.load(conn, scale=DEFAULT_SCALE, seed=1)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def statement_counts(url: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    statements: list[str] = []

    def record(logged: Any) -> None:
        if "pg_catalog.pg_type" not in logged.query and "set_config('jit'" not in logged.query:
            statements.append(logged.query)

    app = create_app(Settings(database_url=url), query_logger=record)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=staff_headers()
        ) as client:
            for label, query, variables in [
                ("orders(first: 1)", BENCHMARK, {"n": 1}),
                ("orders(first: 50)", BENCHMARK, {"n": 50}),
                ("orders(first: 100)", BENCHMARK, {"n": 100}),
                ("customers(first: 50) { orders(first: 5) ... }", NESTED, {}),
            ]:
                statements.clear()
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables}
                )
                assert "errors" not in response.json(), response.text
                counts[label] = len(statements)
    return counts


# Requests speak as staff, with a token of this secret; the server is started with it too.
os.environ["STOREFRONT_JWT_SECRET"] = BENCH_SECRET = "bench-secret-0123456789abcdef-0123456789"  # noqa: S105


def staff_headers() -> dict[str, str]:
    from gql.auth import mint

    token = mint(
        secret=BENCH_SECRET, role="staff", customer=None, ttl_seconds=3600, now=time.time()
    )
    return {"Authorization": f"Bearer {token}"}


def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "STOREFRONT_PORT": str(port),
        "STOREFRONT_LOG_LEVEL": "warning",
        "STOREFRONT_SEED_DEMO": "false",
    }
    process = subprocess.Popen([sys.executable, "-m", "server.cli", "serve"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not become ready")


def time_query(base: str, *, n: int, runs: int) -> list[float]:
    body = {"query": BENCHMARK, "variables": {"n": n}}
    with httpx.Client(base_url=base, timeout=30, headers=staff_headers()) as client:
        for _ in range(5):
            client.post("/graphql", json=body).raise_for_status()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.post("/graphql", json=body)
            times.append((time.perf_counter() - started) * 1000)
            assert len(response.json()["data"]["orders"]["edges"]) == n
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()
    embedded = None
    url = os.environ.get("DATABASE_URL")
    if not url:
        embedded = EmbeddedPostgres(ROOT / ".storefront" / "bench")
        url = embedded.start()
    try:
        asyncio.run(prepare(url))
        counts = asyncio.run(statement_counts(url))
        process, base = serve(url)
        try:
            times = time_query(base, n=args.n, runs=args.runs)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
    finally:
        if embedded is not None:
            embedded.stop()
    print("SQL statements per request:")
    for label, count in counts.items():
        print(f"  {label:<48} {count}")
    print(f"benchmark query, orders(first: {args.n}), {args.runs} runs over HTTP:")
    print(
        f"  median {statistics.median(times):.1f} ms   min {min(times):.1f} ms   "
        f"max {max(times):.1f} ms"
    )


if __name__ == "__main__":
    main()
