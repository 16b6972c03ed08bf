"""A read that fails costs the database once, and answers exactly as graphql-core does.

A query served from a compiled plan goes to graphql-core when anything but success happens
there (a statement times out, a resolver raises, a non-null field fails), and graphql-core
builds the errors and partial data. Two apps over one database, one with compiled reads and
one without, get the same failing requests: the answers must be byte for byte the same, and
the compiled app must have sent each statement once — every one the other app sent, and a
timed-out one not twice.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from engine.http import GraphQLEndpoint
from engine.node_ids import to_global_id
from server.app import create_app
from server.settings import Settings
from sql.pool import Database
from tests import factories
from tests.api.conftest import StatementRecorder
from tests.conftest import tables_locked, token

TIMEOUT_MS = 300


class Recorder(StatementRecorder):
    """The statements, and those that failed."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: set[str] = set()

    def __call__(self, logged: Any) -> None:
        super().__call__(logged)
        if logged.exception is not None:
            self.failed.add(logged.query)

    def clear(self) -> None:
        super().clear()
        self.failed.clear()


@dataclass
class Side:
    http: httpx.AsyncClient
    endpoint: GraphQLEndpoint
    recorder: Recorder


@contextlib.asynccontextmanager
async def _side(database_url: str, *, compiled: bool, **overrides: Any) -> AsyncIterator[Side]:
    recorder = Recorder()
    settings = Settings(
        **{
            "pool_min_size": 1,
            "pool_max_size": 1,  # fields finish in the order they start, on both sides
            "statement_timeout_ms": TIMEOUT_MS,
            "lock_timeout_ms": 0,
            **overrides,
        },
        database_url=database_url,
        compiled_reads=compiled,
    )
    app = create_app(settings, query_logger=recorder)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Side(http, app.state.graphql, recorder)


async def _send(side: Side, document: str, viewer: str) -> tuple[int, bytes, Counter[str], int]:
    side.recorder.clear()
    before = side.endpoint.abandoned
    response = await side.http.post(
        "/graphql",
        json={"query": document},
        headers={"Authorization": f"Bearer {viewer}", "X-Request-ID": "failing-read-0001"},
    )
    return (
        response.status_code,
        response.content,
        Counter(side.recorder.statements),
        side.endpoint.abandoned - before,
    )


async def _seed(db: Database) -> str:
    """The catalogue the requests read; the global id of one of its products."""
    lighting = await factories.category(db, name="Lighting")
    desks = await factories.category(db, name="Desks")
    lamps = []
    for n in range(3):
        lamps.append(await factories.product(db, lighting, name=f"Lamp {n}", sku=f"LAMP-{n}"))
        await factories.product(db, desks, name=f"Desk {n}", sku=f"DESK-{n}")
    return to_global_id("Product", lamps[0])


FAILING = [
    # A root count that times out.
    pytest.param(("products",), "{ products(first: 1) { totalCount } }", id="root-timeout"),
    # A batch under a non-null field times out: nulls propagate up to `data`.
    pytest.param(
        ("categories",),
        "{ products(first: 6) { nodes { name category { name } } } }",
        id="nested-non-null-timeout",
    ),
    # A nullable lookup times out beside a connection that answers: partial data.
    pytest.param(
        ("customers",),
        '{ c: customerByEmail(email: "ada@example.com") { name }'
        " products(first: 2) { nodes { sku category { name } } } }",
        id="partial-data-timeout",
    ),
    # A resolver raises after its siblings read: their statements are not sent again.
    pytest.param(
        (),
        "{ a: products(first: 3) { totalCount nodes { name category { name } } }"
        ' b: products(after: "garbage") { totalCount } c: categoryByName(name: "Desks") { name } }',
        id="resolver-error",
    ),
    # Reads that leave columns out time out: a root page, children's pages, rows by id (a
    # category read elsewhere in the plan is not rendered).
    pytest.param(("products",), "{ products(first: 2) { nodes { name } } }", id="narrow-page"),
    # A page the database renders with its count: the count fails with it, and the page,
    # read again, times out again (a page rendered alone: `narrow-page`).
    pytest.param(
        ("products",),
        "{ products(first: 2) { totalCount nodes { id name } } }",
        id="rendered-page-and-count",
    ),
    pytest.param(
        ("products",),
        "{ categories(first: 2) { nodes { name products(first: 2) { nodes { name } } } } }",
        id="narrow-nested-pages",
    ),
    pytest.param(
        ("categories",),
        "{ products(first: 6) { nodes { name category { name } } }"
        " categories(first: 1) { nodes { name } } }",
        id="narrow-by-ids",
    ),
    # A failing non-null field beside siblings that read.
    pytest.param(
        (),
        "{ categories(first: 2) { nodes { name products(first: 2) { nodes { name } } } }"
        ' products(search: "a\\u0000b") { totalCount } }',
        id="non-null-failure",
    ),
]


@pytest.mark.parametrize(("tables", "document"), FAILING)
async def test_a_failing_read_runs_its_statements_once_and_answers_as_graphql_core(
    database_url: str,
    db: Database,
    tables: tuple[str, ...],
    document: str,
    request: pytest.FixtureRequest,
) -> None:
    await _seed(db)
    async with (
        _side(database_url, compiled=True) as fast,
        _side(database_url, compiled=False) as plain,
    ):
        # The compiled app's pool reads the catalogue once first, so both sides have
        # asyncpg's type introspection behind them and count only the request's own reads.
        warm = "{ products(first: 1) { nodes { category { name } } } }"
        for side in (fast, plain):
            await _send(side, warm, token("staff"))
        async with tables_locked(database_url, *tables):
            status, body, statements, abandoned = await _send(fast, document, token("staff"))
        async with tables_locked(database_url, *tables):
            plain_status, plain_body, plain_statements, _ = await _send(
                plain, document, token("staff")
            )
    assert abandoned == 1, "the compiled run must have met the failure"
    assert (status, body) == (plain_status, plain_body)
    # graphql-core alone may stop reading siblings once a non-null field failed; the
    # compiled run read them before it gave up, once each, and nothing more. What timed out
    # leaving columns out is not sent again whole.
    assert plain_statements.keys() - plain.recorder.failed <= statements.keys()
    assert all(count == 1 for count in statements.values()), statements
    if "narrow" in request.node.callspec.id:
        assert statements.keys().isdisjoint(plain.recorder.failed), "a failed read sent whole"
    if tables:
        assert b'"TIMEOUT"' in body


@pytest.mark.parametrize(
    ("table", "document"),
    [
        pytest.param("products", "{ products(first: 1) { totalCount } }", id="count"),
        # Reads that leave columns out, read whole by graphql-core afterwards.
        pytest.param("products", "{ products(first: 2) { nodes { name } } }", id="page"),
        pytest.param("products", '{ product(id: "{lamp}") { name } }', id="by-id"),
        pytest.param(
            "products",
            "{ categories(first: 2) { nodes { products(first: 2) { nodes { name } } } } }",
            id="nested-pages",
        ),
    ],
)
async def test_a_timed_out_read_answers_after_one_statement_timeout(
    database_url: str, db: Database, table: str, document: str
) -> None:
    """TIMEOUT after one statement timeout, not after the statement ran twice (nor after
    the whole rows' statement of a read that left columns out ran once more)."""
    lamp = await _seed(db)
    timeout_ms = 1500
    async with (
        _side(database_url, compiled=True, statement_timeout_ms=timeout_ms) as fast,
        tables_locked(database_url, table),
    ):
        started = time.monotonic()
        _, body, statements, abandoned = await _send(
            fast, document.replace("{lamp}", lamp), token("staff")
        )
        elapsed = time.monotonic() - started
    assert abandoned == 1
    assert b'"TIMEOUT"' in body
    assert len(fast.recorder.failed) == 1, statements
    assert timeout_ms / 1000 <= elapsed < 2 * timeout_ms / 1000, elapsed


async def test_an_exhausted_pool_is_waited_for_once(database_url: str, db: Database) -> None:
    """A read that found no connection within the acquire timeout is not queued again."""
    await _seed(db)
    wait = 1.0
    async with _side(database_url, compiled=True, pool_acquire_timeout=wait) as fast:
        started = time.monotonic()
        async with _held(fast):
            _, body, statements, abandoned = await _send(
                fast, "{ products(first: 1) { totalCount } }", token("staff")
            )
        elapsed = time.monotonic() - started
    assert abandoned == 1
    assert b'"SERVICE_UNAVAILABLE"' in body
    assert statements == Counter()
    assert wait <= elapsed < 2 * wait, elapsed


@contextlib.asynccontextmanager
async def _held(side: Side) -> AsyncIterator[None]:
    """The app's only pooled connection held for the block."""
    transport = side.http._transport
    assert isinstance(transport, httpx.ASGITransport)
    pool: Database = transport.app.state.pool  # type: ignore[attr-defined]
    async with pool.acquire():
        yield
