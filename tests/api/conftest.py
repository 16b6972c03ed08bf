"""Operations through the real app (schema, HTTP handler, pool, loaders), in process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest

from server.app import create_app
from server.settings import Settings
from tests.conftest import token


class GraphQLClient:
    """Talks to the app as one viewer: staff unless `as_viewer` says otherwise."""

    def __init__(self, http: httpx.AsyncClient, *, bearer: str | None) -> None:
        self.http = http
        self.bearer = bearer

    def as_viewer(self, role: str | None, customer: UUID | None = None) -> GraphQLClient:
        """The same app seen by another viewer (`None`: anonymous)."""
        return GraphQLClient(self.http, bearer=None if role is None else token(role, customer))

    async def post(self, body: Any, **headers: str) -> httpx.Response:
        if self.bearer is not None:
            headers.setdefault("Authorization", f"Bearer {self.bearer}")
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


class StatementRecorder:
    """Records the SQL statements the app's pool runs for requests.

    asyncpg's own type introspection is set apart: it runs once per connection for each
    type it has not seen (an enum, its array), then is cached, so it is no request's cost.
    """

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.introspection: list[str] = []

    def __call__(self, logged: Any) -> None:
        query: str = logged.query
        if "pg_catalog.pg_type" in query or "set_config('jit'" in query:
            self.introspection.append(query)
        else:
            self.statements.append(query)

    def clear(self) -> None:
        self.statements.clear()


@pytest.fixture
def recorder() -> StatementRecorder:
    return StatementRecorder()


@contextlib.asynccontextmanager
async def staff_client(
    database_url: str,
    recorder: StatementRecorder,
    *,
    tracer_provider: Any = None,
    **settings: Any,
) -> AsyncIterator[GraphQLClient]:
    """The app over `database_url`, with these settings, spoken to as staff."""
    configured = Settings(database_url=database_url, pool_min_size=1, pool_max_size=5, **settings)
    app = create_app(configured, query_logger=recorder, tracer_provider=tracer_provider)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http, bearer=token("staff"))


@pytest.fixture
async def client(
    database_url: str, db: object, recorder: StatementRecorder
) -> AsyncIterator[GraphQLClient]:
    async with staff_client(database_url, recorder) as staff:
        yield staff


@pytest.fixture(scope="module")
async def module_client(database_url: str) -> AsyncIterator[GraphQLClient]:
    """One app for a module (it keeps no data between requests; `db` empties the tables for
    each test), so the module's many small requests share a warm pool."""
    async with staff_client(database_url, StatementRecorder()) as staff:
        yield staff
