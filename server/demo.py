"""The small demo catalogue an empty database gets on `storefront serve`."""

from __future__ import annotations

from sql import seed
from sql.pool import connect

DEMO = seed.Scale(customers=8, categories=5, products=40, orders=25)


async def seed_demo_if_empty(url: str) -> bool:
    """Loads the demo data when the database holds no documents; True when it did."""
    async with connect(url) as conn:
        if not await seed.is_empty(conn):
            return False
        await seed.load(conn, scale=DEMO, seed=7)
        return True
