"""The small demo catalogue an empty database gets on `storefront serve`."""

from __future__ import annotations

import asyncpg

from sql import seed

DEMO = seed.Scale(customers=8, categories=5, products=40, orders=25)


async def seed_demo_if_empty(url: str) -> bool:
    """Loads the demo data when the database holds no documents; True when it did."""
    conn = await asyncpg.connect(url)
    try:
        if not await seed.is_empty(conn):
            return False
        await seed.load(conn, scale=DEMO, seed=7)
        return True
    finally:
        await conn.close()
