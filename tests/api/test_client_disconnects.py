"""A client that leaves in the middle of sending its request body is an ordinary client
disconnect, whichever way the request came in (the protocol's direct path or the ASGI app):
a line at info with the request id, 499 in the access line ("client closed request"), and
no fault logged or counted; the server goes on serving."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from sql.pool import Database
from tests.api.observed import Scrape
from tests.api.raw_http import Served, exchange, request, serving

QUERY = "query Gone { categories(first: 1) { nodes { name } } }"


async def _leave_halfway(served: Served, data: bytes) -> None:
    """Sends the head and part of the body, then closes."""
    _, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(data[: len(data) - 10])
    await writer.drain()
    await asyncio.sleep(0.1)  # the server has the head and is waiting for the rest
    writer.close()
    await writer.wait_closed()


async def _logged(caplog: pytest.LogCaptureFixture, name: str) -> logging.LogRecord:
    for _ in range(500):
        if found := [r for r in caplog.records if r.name == name]:
            return found[0]
        await asyncio.sleep(0.01)
    raise AssertionError(f"nothing logged on {name}")


async def _outcomes(served: Served) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served.port}") as http:
        scrape = Scrape((await http.get("/metrics")).text)
    return {
        dict(labels)["outcome"]: value
        for (name, labels), value in scrape.samples.items()
        if name == "storefront_graphql_requests_total"
    }


@pytest.mark.parametrize("direct_http", [True, False], ids=["direct", "asgi"])
async def test_a_client_gone_while_sending_its_body_is_a_disconnect_not_a_fault(
    database_url: str, db: Database, caplog: pytest.LogCaptureFixture, direct_http: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    data = request({"query": QUERY}, headers={"X-Request-ID": "gone-halfway-1"})
    async with serving(database_url, direct_http=direct_http, metrics="open") as served:
        assert (served.app.direct_posts is not None) == direct_http
        await _leave_halfway(served, data)
        access = await _logged(caplog, "storefront.access")
        assert access.__dict__["status"] == 499
        assert access.__dict__["request_id"] == "gone-halfway-1"
        lines = [r for r in caplog.records if r.name == "storefront.errors"]
        assert [(r.levelno, r.exc_info) for r in lines] == [(logging.INFO, None)]
        assert "gone-halfway-1" in lines[0].getMessage()
        assert "disconnect" in lines[0].getMessage()
        ours = ("storefront", "uvicorn")  # others may warn of their own setup once a process
        assert not [
            r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith(ours)
        ]
        outcomes = await _outcomes(served)
        assert outcomes.get("CLIENT_DISCONNECTED") == 1
        assert outcomes.get("INTERNAL_SERVER_ERROR", 0) == 0
        # The server goes on: the same request, sent whole, is answered (the direct way
        # where there is one).
        got, _ = await exchange(served.port, request({"query": QUERY}), answers=1)
        assert got[0].status == b"HTTP/1.1 200 OK"
        assert got[0].json()["data"] == {"categories": {"nodes": []}}
        if direct_http:
            assert served.app.direct_posts.answered == 1
