"""What the tests of failing requests share: the app as staff over the test database with
some settings changed, and the checks that an answer is one clean error that shows none of
the internals (no SQL, driver, host or Python text)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from server.app import create_app
from server.settings import Settings
from tests.conftest import token

COUNT = "{ products(first: 1) { totalCount } }"

LEAKS = (
    "Traceback",
    'File "',
    "asyncpg",
    "psycopg",
    "SELECT",
    "UPDATE",
    "postgres",
    "127.0.0.1",
    "localhost",
    "canceling statement",
    "lock timeout",
    "Error:",
)


def assert_no_leak(response: httpx.Response) -> None:
    for text in LEAKS:
        assert text not in response.text, (text, response.text)


@contextlib.asynccontextmanager
async def app_client(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app with `overrides` on top of test settings, as staff."""
    settings = Settings(
        **{"pool_min_size": 1, "pool_max_size": 3, **overrides}, database_url=database_url
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://test",
            headers={"Authorization": f"Bearer {token('staff')}"},
        ) as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


def only_error(response: httpx.Response) -> dict[str, Any]:
    [error] = response.json()["errors"]
    assert isinstance(error, dict)
    return error
