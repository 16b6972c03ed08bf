"""Statements per request: each app run in this process with a query logger on its pool,
so the harness counts what one request sends to PostgreSQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import httpx

from bench import floor
from bench.common import staff_headers
from bench.plan import Plan, product_revs, update_body
from engine.node_ids import to_global_id


class StatementLog:
    """A query logger for asyncpg that keeps the statements a request ran, leaving out
    asyncpg's own type introspection."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, logged: Any) -> None:
        query = logged.query
        if "pg_catalog.pg_type" not in query and "set_config('jit'" not in query:
            self.statements.append(query)

    def clear(self) -> None:
        self.statements.clear()


@contextlib.asynccontextmanager
async def in_process(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An ASGI app running in this process (its lifespan included), and a staff client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=staff_headers(), timeout=60
        ) as client:
            yield client


def our_app(url: str, log: StatementLog) -> Any:
    """Our app with every statement its pool runs going to `log`."""
    from server.app import create_app
    from server.settings import Settings

    return create_app(Settings(database_url=url), query_logger=log)


async def count_statements(
    client: httpx.AsyncClient, log: StatementLog, body: Mapping[str, Any], *, warm: bool = True
) -> tuple[int, dict[str, Any]]:
    """Statements one request runs, and its response. With `warm`, it is sent once first,
    so types are introspected and statements prepared before the one that is counted."""
    if warm:
        await client.post("/graphql", json=body)
    log.clear()
    response = await client.post("/graphql", json=body)
    return len(log.statements), response.json()


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
