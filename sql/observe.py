"""What the database did for the work under way: each statement and each wait for a connection.

Whoever wants to know (the server, per request) sets `sink` for the task doing the work;
statements run by tasks it starts (a loader's batch) inherit it. With no sink set, a
statement costs one context-variable lookup more.
"""

from __future__ import annotations

from contextvars import ContextVar
from time import perf_counter_ns
from typing import Any, Protocol

import asyncpg


class StatementSink(Protocol):
    def statement(
        self, query: str, started: int, ended: int, rows: int, error: BaseException | None
    ) -> None:
        """One statement ran from `started` to `ended` (`perf_counter_ns`) and returned or
        changed `rows` rows, or failed with `error`."""

    def waited(self, seconds: float) -> None:
        """A connection was free only after `seconds` in line."""


sink: ContextVar[StatementSink | None] = ContextVar("statement_sink", default=None)


class ObservedConnection(asyncpg.Connection):
    """A connection that tells the current sink about every statement with parameters
    (`fetch`, `fetchrow`, `fetchval`, `execute` with arguments: every query of `sql/`).
    asyncpg's query loggers say as much but not the rows, and cost a callback per statement
    whether or not anyone listens."""

    async def _execute(
        self,
        query: str,
        args: Any,
        limit: int,
        timeout: Any,  # noqa: ASYNC109 (asyncpg's signature)
        **options: Any,
    ) -> Any:
        run = super()._execute  # type: ignore[misc]
        recorder = sink.get()
        if recorder is None:
            return await run(query, args, limit, timeout, **options)
        started = perf_counter_ns()
        try:
            result = await run(query, args, limit, timeout, **options)
        except BaseException as error:
            recorder.statement(query, started, perf_counter_ns(), 0, error)
            raise
        recorder.statement(query, started, perf_counter_ns(), _rows(result, options), None)
        return result


def _rows(result: Any, options: dict[str, Any]) -> int:
    if not options.get("return_status"):
        return len(result)
    status: bytes | str = result[1]  # b"UPDATE 1", b"INSERT 0 3", b"SELECT 5"
    last = status.rsplit(None, 1)[-1] if status else b""
    return int(last) if last.isdigit() else 0
