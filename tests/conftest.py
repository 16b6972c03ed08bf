"""The one place that knows how to get a database for tests.

`TEST_DATABASE_URL` (any database on the server to use; we create our own databases there)
or, when unset, an embedded PostgreSQL started once for the session. The suite runs on one
migrated database; each test that asks for `db` starts from empty tables.

With `TEST_POOLER=pgbouncer`, `database_url` is a PgBouncer in transaction mode in front of
that database, and every app the tests build uses it as `STOREFRONT_POOLER_MODE=transaction`
would (`direct_database_url` stays the database itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg
import pytest
from hypothesis import HealthCheck, Phase, settings

from server import pgbouncer
from server.embedded import EmbeddedPostgres
from sql import migrate
from sql.pool import Database

TEST_SECRET = "test-secret-for-bearer-tokens-0123456789"


def token(role: str = "staff", customer: UUID | str | None = None) -> str:
    """A bearer token the test app accepts."""
    from engine.auth import mint

    subject = None if customer is None else str(customer)
    return mint(secret=TEST_SECRET, role=role, customer=subject, ttl_seconds=3600, now=time.time())


class Fetches(Protocol):
    async def fetchval(self, query: str, *args: Any) -> Any: ...


async def lock_waiters(conn: Fetches, count: int = 1, *, seconds: float = 5) -> None:
    """Returns once `count` sessions on this database wait on a lock: the writes a test holds
    up have reached it."""
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    for _ in range(int(seconds / 0.01)):
        if await conn.fetchval(query) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} writer(s) should be waiting on a lock")


@contextlib.asynccontextmanager
async def tables_locked(database_url: str, *tables: str) -> AsyncIterator[None]:
    """`tables` locked against every reader by another session for the block (none: the
    block runs as it is)."""
    if not tables:
        yield
        return
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def token_secret() -> Iterator[None]:
    """Every app the tests build in process verifies tokens with `TEST_SECRET`."""
    before = os.environ.get("STOREFRONT_JWT_SECRET")
    os.environ["STOREFRONT_JWT_SECRET"] = TEST_SECRET
    yield
    if before is None:
        os.environ.pop("STOREFRONT_JWT_SECRET", None)
    else:
        os.environ["STOREFRONT_JWT_SECRET"] = before


# CI replays the same examples every run (a red build is then reproducible); people running
# the suite get fresh examples, which is how the property tests keep finding bugs. CI does
# not shrink (against the app every step is requests and reads: minutes before anything is
# printed); it reports the first failing example as found, with the blob that replays it
# (`@reproduce_failure`), to shrink at a desk.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    print_blob=True,
)
settings.load_profile("ci" if os.environ.get("CI") else "default")


def over_the_app(examples: int, seconds: float | None = None, **more: Any) -> settings:
    """Hypothesis settings for a property run against the real app and database: `examples`
    examples, each within `seconds` (None: no deadline). The test's fixtures (the app, its
    rows) serve every example, and generated documents may be large and slow to draw."""
    return settings(
        max_examples=examples,
        deadline=None if seconds is None else timedelta(seconds=seconds),
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
        **more,
    )


# The change feed's own tables stay: a listener of a running app holds positions in them.
FEED_TABLES = frozenset({"change_events", "change_events_pruned"})
CREATED_TABLE = re.compile(
    r"\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r'(?:(?:\w+|"[^"]+")\.)?(?:(\w+)|"([^"]+)")',
    re.IGNORECASE,
)
"""`CREATE TABLE [IF NOT EXISTS] [schema.]name`, however it is spelled; the name unquoted
is folded to lower case, as PostgreSQL does."""


def tables_created(sql: str) -> list[str]:
    return [plain.lower() if plain else quoted for plain, quoted in CREATED_TABLE.findall(sql)]


DOMAIN_TABLES = tuple(
    table
    for migration in migrate.load_migrations()
    for table in tables_created(migration.sql)
    if table not in FEED_TABLES
)
"""Every table the migrations create but the feed's: what each test starts without, and what
a snapshot compares. A new entity's table joins by its migration alone."""


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL of the PostgreSQL server under test (its maintenance database)."""
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("pg"), durable=False)
    embedded.start()
    try:
        yield embedded.admin_url()
    finally:
        embedded.stop()


@contextlib.asynccontextmanager
async def scratch_database(server_url: str, *, prefix: str = "sf_test") -> AsyncIterator[str]:
    """A new empty database for the block, dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield with_database(server_url, name)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def direct_database_url(server_url: str) -> AsyncIterator[str]:
    """The migrated database the suite shares (tables are emptied per test by `db`)."""
    async with scratch_database(server_url) as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate.migrate(conn)
        finally:
            await conn.close()
        yield url


def through_pooler() -> bool:
    """Whether this run talks to the database through PgBouncer (`TEST_POOLER=pgbouncer`)."""
    return os.environ.get("TEST_POOLER") == "pgbouncer"


@pytest.fixture(scope="session")
def pooler(
    direct_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[pgbouncer.PgBouncer]:
    """A PgBouncer in transaction mode in front of the suite's database (`PGBOUNCER` names
    the program; one that keeps prepared statements is started to keep them)."""
    if pgbouncer.executable() is None:
        pytest.skip("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    with pgbouncer.pgbouncer(direct_database_url, tmp_path_factory.mktemp("pgbouncer")) as running:
        yield running


@pytest.fixture(scope="session")
def pgbouncer_url(pooler: pgbouncer.PgBouncer) -> str:
    return pooler.url


@pytest.fixture(scope="session")
def database_url(direct_database_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """The database the apps under test use: the suite's own, or PgBouncer in front of it."""
    if not through_pooler():
        yield direct_database_url
        return
    running: pgbouncer.PgBouncer = request.getfixturevalue("pooler")
    with pytest.MonkeyPatch.context() as env:
        for name, value in running.env().items():
            env.setenv(name, value)
        env.setenv("DATABASE_DIRECT_URL", direct_database_url)
        yield running.url


@pytest.fixture(scope="session")
async def pool(database_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    from sql.pool import create_pool

    pooled = through_pooler()
    pool = await create_pool(
        database_url,
        min_size=1,
        max_size=10,
        statement_timeout_ms=30000,
        transaction_pooler=pooled,
        prepared_statements=pooled and request.getfixturevalue("pooler").named,
    )
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def db(pool: Database) -> Database:
    """The shared database with every domain table empty and order numbers restarted."""
    await pool.execute(f"TRUNCATE {', '.join(DOMAIN_TABLES)} RESTART IDENTITY CASCADE")
    return pool


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
