"""asyncpg's read methods on an executor that routes each statement somewhere."""

from __future__ import annotations

from typing import Any

import asyncpg


class ReadMethods:
    """`fetch`, `fetchrow` and `fetchval`, each one call of `_run` with the method's name:
    an executor that routes statements (to a pooled connection of their own, a replica, a
    request's memo of reads) says how once."""

    __slots__ = ()

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        raise NotImplementedError

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        records: list[asyncpg.Record] = await self._run("fetch", query, args)
        return records

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        record: asyncpg.Record | None = await self._run("fetchrow", query, args)
        return record

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self._run("fetchval", query, args)
