"""`storefront serve` hands a developer working tokens at start-up, and production none."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import RunningServer, storefront_serve

pytestmark = pytest.mark.e2e

TOKEN = re.compile(r"Authorization: Bearer (\S+)$")


def _token_lines(server: RunningServer) -> list[str]:
    messages = [json.loads(line)["message"] for line in server.log().splitlines() if line]
    return [m for m in messages if "development token" in m]


def _data(server: RunningServer, token: str, query: str) -> dict[str, object]:
    response = httpx.post(
        server.graphql_url,
        json={"query": query},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, object] = body["data"]
    return data


@pytest.mark.parametrize("live_server", ["demo"], indirect=True)
def test_development_logs_a_staff_and_a_customer_token_that_work(
    live_server: RunningServer,
) -> None:
    staff_line, customer_line = _token_lines(live_server)
    staff = TOKEN.search(staff_line)
    customer = TOKEN.search(customer_line)
    assert staff is not None
    assert customer is not None
    everyone = _data(live_server, staff.group(1), "{ customers { totalCount } }")
    assert everyone == {"customers": {"totalCount": 8}}
    mine = _data(live_server, customer.group(1), "{ customers { nodes { email orderCount } } }")
    [me] = mine["customers"]["nodes"]  # type: ignore[index]
    assert f"<{me['email']}> with {me['orderCount']} orders" in customer_line


def test_production_mints_no_token(tmp_path: Path, database_url: str, db: object) -> None:
    settings = {"STOREFRONT_SEED_DEMO": "true", "STOREFRONT_ENV": "production"}
    with storefront_serve(tmp_path, database_url=database_url, extra_env=settings) as server:
        page = httpx.get(server.graphql_url, headers={"Accept": "text/html"}, timeout=10)
        assert not page.headers["content-type"].startswith("text/html")
    assert _token_lines(server) == []
    assert "eyJ" not in server.log()
