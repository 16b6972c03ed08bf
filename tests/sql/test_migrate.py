"""The migration runner against real databases."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from sql import migrate
from tests.conftest import scratch_database, with_database


def write_migrations(directory: Path, *bodies: str) -> list[migrate.Migration]:
    directory.mkdir(exist_ok=True)
    for number, body in enumerate(bodies, start=1):
        (directory / f"{number:04d}_step_{number}.sql").write_text(body)
    return migrate.load_migrations(directory)


async def test_applies_the_real_migrations_once(server_url: str) -> None:
    async with scratch_database(server_url) as url:
        conn = await asyncpg.connect(url)
        try:
            before = await migrate.status(conn)
            assert before.applied == []
            assert [m.filename for m in before.pending] == [
                m.filename for m in migrate.load_migrations()
            ]
            applied = await migrate.migrate(conn)
            assert applied == migrate.load_migrations()
            assert await migrate.migrate(conn) == []
            after = await migrate.status(conn)
            assert after.pending == []
            assert [a.checksum for a in after.applied] == [m.checksum for m in applied]
            tables = {
                r["tablename"]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            }
            assert {"customers", "categories", "products", "orders", "order_lines"} <= tables
        finally:
            await conn.close()


async def test_an_edited_applied_migration_is_refused(server_url: str, tmp_path: Path) -> None:
    first = write_migrations(tmp_path, "CREATE TABLE t (x int);")
    async with scratch_database(server_url) as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate.migrate(conn, migrations=first)
            edited = write_migrations(tmp_path, "CREATE TABLE t (x bigint);")
            with pytest.raises(migrate.MigrationError, match=r"0001_step_1\.sql was edited"):
                await migrate.migrate(conn, migrations=edited)
            with pytest.raises(migrate.MigrationError, match="was edited"):
                await migrate.status(conn, migrations=edited)
        finally:
            await conn.close()


async def test_a_failing_migration_changes_nothing_and_stops(
    server_url: str, tmp_path: Path
) -> None:
    steps = write_migrations(
        tmp_path,
        "CREATE TABLE a (x int);",
        "CREATE TABLE b (x int); SELECT 1/0;",
        "CREATE TABLE c (x int);",
    )
    async with scratch_database(server_url) as url:
        conn = await asyncpg.connect(url)
        try:
            with pytest.raises(asyncpg.DivisionByZeroError):
                await migrate.migrate(conn, migrations=steps)
            current = await migrate.status(conn, migrations=steps)
            assert [a.version for a in current.applied] == [1]
            assert [p.version for p in current.pending] == [2, 3]
            assert await conn.fetchval("SELECT to_regclass('b')") is None
            # The lock was released: a fixed file can be applied by the next run.
            fixed = write_migrations(
                tmp_path,
                "CREATE TABLE a (x int);",
                "CREATE TABLE b (x int);",
                "CREATE TABLE c (x int);",
            )
            assert [m.version for m in await migrate.migrate(conn, migrations=fixed)] == [2, 3]
        finally:
            await conn.close()


def test_badly_named_or_missing_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "0003_third.sql").write_text("SELECT 1;")
    with pytest.raises(migrate.MigrationError, match="out of sequence"):
        migrate.load_migrations(tmp_path)
    (tmp_path / "0003_third.sql").unlink()
    (tmp_path / "2-second.sql").write_text("SELECT 1;")
    with pytest.raises(migrate.MigrationError, match="NNNN_what_it_does"):
        migrate.load_migrations(tmp_path)


async def test_concurrent_migrators_apply_each_migration_once(
    server_url: str, tmp_path: Path
) -> None:
    # Slow steps that would fail if run twice (CREATE TABLE without IF NOT EXISTS), so any
    # overlap between migrators shows up as an error or a duplicate record.
    steps = write_migrations(
        tmp_path,
        *(f"SELECT pg_sleep(0.05); CREATE TABLE t{i} (x int);" for i in range(1, 6)),
    )
    async with scratch_database(server_url) as url:
        conns = [await asyncpg.connect(url) for _ in range(8)]
        try:
            results = await asyncio.gather(*(migrate.migrate(c, migrations=steps) for c in conns))
            applied = sorted(m.version for result in results for m in result)
            assert applied == [1, 2, 3, 4, 5]
            records = await conns[0].fetch("SELECT version FROM schema_migrations")
            assert sorted(r["version"] for r in records) == [1, 2, 3, 4, 5]
        finally:
            for c in conns:
                await c.close()


async def test_processes_starting_together_migrate_once(server_url: str, repo_root: Path) -> None:
    async with scratch_database(server_url) as url:
        await _migrate_together(repo_root, url, {"DATABASE_URL": url})


async def test_behind_pgbouncer_the_migrations_take_the_direct_url(
    server_url: str, repo_root: Path, pgbouncer_url: str
) -> None:
    """Their session lock would not hold through a pooler in transaction mode."""
    async with scratch_database(server_url) as url:
        pooled = with_database(pgbouncer_url, urlsplit(url).path.lstrip("/"))
        env = {
            "DATABASE_URL": pooled,
            "DATABASE_DIRECT_URL": url,
            "STOREFRONT_POOLER_MODE": "transaction",
        }
        await _migrate_together(repo_root, url, env)


async def _migrate_together(repo_root: Path, url: str, settings: dict[str, str]) -> None:
    """Four `storefront migrate` at once: one applies every migration, the others none."""
    env = {**os.environ, **settings}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "server.cli", "migrate"],
            env=env,
            cwd=repo_root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], outputs
    total = len(migrate.load_migrations())
    counts = sorted(int(out.split()[1]) for out, _ in outputs)
    assert counts == [0, 0, 0, total]
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == total
    finally:
        await conn.close()


async def test_migrate_status_cli_lists_applied_and_pending(
    server_url: str, repo_root: Path
) -> None:
    async with scratch_database(server_url) as url:
        env = {**os.environ, "DATABASE_URL": url}

        def status() -> str:
            done = subprocess.run(
                [sys.executable, "-m", "server.cli", "migrate", "--status"],
                env=env,
                cwd=repo_root,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            return done.stdout

        first = migrate.load_migrations()[0].filename
        assert f"pending  {first}" in status()
        subprocess.run(
            [sys.executable, "-m", "server.cli", "migrate"],
            env=env,
            cwd=repo_root,
            check=True,
            capture_output=True,
            timeout=120,
        )
        shown = status()
        assert f"applied  {first.removesuffix('.sql')}" in shown
        assert "pending" not in shown
