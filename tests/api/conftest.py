"""Operations through the real app (schema, HTTP handler, pool, loaders), in process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.settings import Settings


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(self, body: Any, **headers: str) -> httpx.Response:
        return await self.http.post("/graphql", json=body, headers=headers)

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The response body of a request that must succeed at the HTTP level."""
        response = await self.post({"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """`data` of a request that must have no errors."""
        body = await self.query(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
async def client(database_url: str, db: object) -> AsyncIterator[GraphQLClient]:
    app = create_app(Settings(database_url=database_url, pool_min_size=1, pool_max_size=5))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http)
