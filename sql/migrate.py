"""Forward-only migrations: `sql/migrations/NNNN_what_it_does.sql`.

Each file runs in its own transaction and is recorded with a SHA-256 checksum of its text. All
of it happens under one session-level advisory lock, so processes that start together apply
each migration exactly once: the second waits, then finds the work done. An applied file whose
text changed is refused rather than silently diverging from the database.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from sql.pool import Connection

# Any fixed 64-bit key works; this one spells "storefront migrations" for whoever reads pg_locks.
_LOCK_KEY = 0x5F_6D_69_67_72_61_74_65

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
SELECT_APPLIED = (
    "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
)
INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"
TABLE_EXISTS = "SELECT to_regclass('schema_migrations') IS NOT NULL"


class MigrationError(Exception):
    """The migrations on disk and the ones recorded in the database disagree."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def filename(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_at: datetime


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    applied: list[AppliedMigration]
    pending: list[Migration]


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """The migration files in version order; refuses gaps, duplicates and stray names."""
    if directory is None:
        files = [
            (entry.name, entry.read_text(encoding="utf-8"))
            for entry in resources.files("sql").joinpath("migrations").iterdir()
            if entry.name.endswith(".sql")
        ]
    else:
        files = [(p.name, p.read_text(encoding="utf-8")) for p in directory.glob("*.sql")]
    migrations = []
    for filename, text in sorted(files):
        match = _FILE_NAME.match(filename)
        if match is None:
            raise MigrationError(f"migration file {filename!r} is not named NNNN_what_it_does.sql")
        migrations.append(Migration(version=int(match[1]), name=match[2], sql=text))
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migration {migration.filename} is out of sequence: "
                f"expected version {expected:04d}"
            )
    return migrations


async def status(conn: Connection, *, migrations: list[Migration] | None = None) -> MigrationStatus:
    """What is applied and what is pending; checksums are verified."""
    migrations = load_migrations() if migrations is None else migrations
    applied: list[AppliedMigration] = []
    if await conn.fetchval(TABLE_EXISTS):
        applied = [AppliedMigration(**dict(r)) for r in await conn.fetch(SELECT_APPLIED)]
    _verify(applied, migrations)
    done = {a.version for a in applied}
    return MigrationStatus(
        applied=applied, pending=[m for m in migrations if m.version not in done]
    )


async def migrate(
    conn: Connection, *, migrations: list[Migration] | None = None
) -> list[Migration]:
    """Applies every pending migration; returns the ones this call applied."""
    migrations = load_migrations() if migrations is None else migrations
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(CREATE_TABLE)
        current = await status(conn, migrations=migrations)
        for migration in current.pending:
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    INSERT_APPLIED, migration.version, migration.name, migration.checksum
                )
        return current.pending
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


def _verify(applied: list[AppliedMigration], migrations: list[Migration]) -> None:
    on_disk = {m.version: m for m in migrations}
    for record in applied:
        migration = on_disk.get(record.version)
        if migration is None:
            raise MigrationError(
                f"the database has migration {record.version:04d}_{record.name} applied, "
                "but no such file exists: this code is older than the database"
            )
        if migration.checksum != record.checksum:
            raise MigrationError(
                f"migration {migration.filename} was edited after it was applied "
                f"(recorded checksum {record.checksum[:12]}, file now {migration.checksum[:12]}); "
                "applied migrations are never edited: add a new migration instead"
            )
