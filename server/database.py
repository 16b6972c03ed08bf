"""Which database a command talks to: `DATABASE_URL`, or an embedded one under the data dir."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from server.embedded import EmbeddedPostgres
from server.settings import PoolerMode, Settings
from sql import migrate
from sql.pool import Database, QueryLogger, connect, create_pool
from sql.replicas import Replica, Replicas

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


async def open_pool(
    settings: Settings,
    url: str,
    *,
    application_name: str = "storefront",
    query_logger: QueryLogger | None = None,
    min_size: int | None = None,
) -> Database:
    """The pool with the settings' size and timeouts."""
    return await create_pool(
        url,
        min_size=settings.pool_min_size if min_size is None else min_size,
        max_size=settings.pool_max_size,
        statement_timeout_ms=settings.statement_timeout_ms,
        lock_timeout_ms=settings.lock_timeout_ms,
        idle_in_transaction_timeout_ms=settings.idle_in_transaction_timeout_ms,
        acquire_timeout=settings.pool_acquire_timeout,
        application_name=application_name,
        query_logger=query_logger,
        transaction_pooler=settings.pooler_mode is PoolerMode.TRANSACTION,
        prepared_statements=settings.pooler_prepared_statements,
    )


async def open_replicas(
    settings: Settings, primary: Database, *, query_logger: QueryLogger | None = None
) -> Replicas | None:
    """A pool per replica of `DATABASE_REPLICA_URL`, none opened yet (a replica that is down
    at start-up only stays out of use), or None without replicas."""
    urls = [u.strip() for u in (settings.database_replica_url or "").split(",") if u.strip()]
    if not urls:
        return None
    members = []
    for url in urls:
        pool = await open_pool(settings, url, min_size=0, query_logger=query_logger)
        host = urlsplit(url)
        members.append(Replica(name=f"{host.hostname}:{host.port or 5432}", db=pool))
    return Replicas(
        primary=primary,
        members=members,
        max_lag_ms=settings.replica_max_lag_ms,
        max_wait_ms=settings.replica_max_wait_ms,
    )


def direct_database_url(settings: Settings, url: str | None = None) -> str:
    """The primary without a pooler, for what needs a session of its own (migrations and
    their advisory lock, LISTEN): `DATABASE_DIRECT_URL`, else `url` (the database a command
    uses, when it started one), else `DATABASE_URL`."""
    direct = settings.database_direct_url or url or settings.database_url
    if direct is None:
        raise RuntimeError("neither DATABASE_DIRECT_URL nor DATABASE_URL is set")
    return direct


async def apply_migrations(url: str) -> list[migrate.Migration]:
    async with connect(url) as conn:
        return await migrate.migrate(conn)
