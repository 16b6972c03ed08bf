"""asyncpg's read methods on an executor that routes each statement somewhere."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import asyncpg


class ReadMethods:
    """`fetch`, `fetchrow` and `fetchval`, each the coroutine of `_run` with the method's
    name: an executor that routes statements (to a pooled connection of their own, a
    replica, a request's memo of reads) says how once. They hand out `_run`'s coroutine
    rather than await it in one of their own: one coroutine less for every read to pass
    through, and nothing runs before it is awaited, as with asyncpg's own methods."""

    __slots__ = ()

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        raise NotImplementedError

    def fetch(self, query: str, *args: Any) -> Coroutine[Any, Any, list[asyncpg.Record]]:
        return self._run("fetch", query, args)

    def fetchrow(self, query: str, *args: Any) -> Coroutine[Any, Any, asyncpg.Record | None]:
        return self._run("fetchrow", query, args)

    def fetchval(self, query: str, *args: Any) -> Coroutine[Any, Any, Any]:
        return self._run("fetchval", query, args)
