"""Which database a command talks to: `DATABASE_URL`, or an embedded one under the data dir."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from server.embedded import EmbeddedPostgres
from server.settings import Settings
from sql import migrate
from sql.pool import Database, QueryLogger, connect, create_pool

log = logging.getLogger("storefront")


@contextlib.contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """The configured URL, or an embedded PostgreSQL started (or found running, when
    another command started it on the same data dir) for as long as the block runs. Every
    command that needs a database gets it here, and says which one it uses."""
    if settings.database_url:
        log.info("database: %s", redacted(settings.database_url))
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    try:
        url = embedded.start()
        log.info("database: %s (embedded; DATABASE_URL=%s reaches it from other tools)", url, url)
        yield url
    finally:
        embedded.stop()


def redacted(url: str) -> str:
    """The URL without its password (and without query parameters, which may hold one)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}{':***' if ':' in user else ''}@{host}"
    return urlunsplit(parts._replace(netloc=netloc, query="", fragment=""))


def direct_url(settings: Settings, url: str) -> str:
    """The URL of connections that hold session state (the feed's LISTEN)."""
    return url


async def open_pool(
    settings: Settings,
    url: str,
    *,
    application_name: str = "storefront",
    query_logger: QueryLogger | None = None,
) -> Database:
    """The pool with the settings' size and timeouts."""
    return await create_pool(
        url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        statement_timeout_ms=settings.statement_timeout_ms,
        lock_timeout_ms=settings.lock_timeout_ms,
        idle_in_transaction_timeout_ms=settings.idle_in_transaction_timeout_ms,
        acquire_timeout=settings.pool_acquire_timeout,
        application_name=application_name,
        query_logger=query_logger,
    )


async def apply_migrations(url: str) -> list[migrate.Migration]:
    async with connect(url) as conn:
        return await migrate.migrate(conn)
