"""Which database a command talks to: `DATABASE_URL`, or an embedded one under the data dir."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from server.embedded import EmbeddedPostgres
from server.settings import Settings
from sql import migrate
from sql.pool import connect


@contextlib.contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """The configured URL, or an embedded PostgreSQL started for as long as the block runs."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    try:
        yield embedded.start()
    finally:
        embedded.stop()


async def apply_migrations(url: str) -> list[migrate.Migration]:
    async with connect(url) as conn:
        return await migrate.migrate(conn)
