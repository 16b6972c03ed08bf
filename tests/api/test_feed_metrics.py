"""/metrics counts the change feed: subscribers open, events delivered, stopped ones, lag."""

from __future__ import annotations

import httpx

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.observed import Scrape
from tests.api.test_subscriptions import PRODUCTS, nexts, settled
from tests.api.ws import client, live_server


async def _scrape(ws_url: str) -> Scrape:
    http_url = ws_url.replace("ws://", "http://").removesuffix("/graphql")
    async with httpx.AsyncClient(base_url=http_url) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    return Scrape(response.text)


async def test_subscribers_deliveries_and_lag_are_counted(database_url: str, db: Database) -> None:
    category = await factories.category(db)
    product = await factories.product(db, category, "Lamp")
    async with live_server(database_url, metrics="open") as (url, app):
        await settled(app)
        before = await _scrape(url)
        assert before.value("storefront_feed_subscribers") == 0
        async with client(url) as first, client(url) as second:
            for connection in (first, second):
                await connection.subscribe("1", PRODUCTS, {"id": to_global_id("Product", product)})
            await settled(app)
            during = await _scrape(url)
            assert during.value("storefront_feed_subscribers") == 2
            for price in (12, 13):
                await db.execute(
                    "UPDATE products SET price = $2, rev = rev + 1 WHERE id = $1", product, price
                )
            for connection in (first, second):
                await nexts(connection, 2)
            after = await _scrape(url)
        assert after.value("storefront_feed_events_delivered_total") == 4
        assert after.value("storefront_feed_subscribers_stopped_total") == 0
        assert after.value("storefront_feed_lag_seconds_count") == 2  # once per event
        assert after.value("storefront_feed_lag_seconds_sum") >= 0
        await settled(app)
        gone = await _scrape(url)
        assert gone.value("storefront_feed_subscribers") == 0
