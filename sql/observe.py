"""What the database did for the work under way: each statement and each wait for a connection.

Whoever wants to know (the server, per request) sets `sink` for the task doing the work;
statements run by tasks it starts (a loader's batch) inherit it. With no sink set, a
statement costs one context-variable lookup more.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from time import monotonic, perf_counter_ns
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

    def batch(self, name: Callable[[], str], keys: int) -> Batch | None:
        """A batch of reads for `keys` keys begins (a loader's); None: nobody asks. `name`
        gives its name, asked for only when someone does."""


class Batch:
    """One batch of reads, for traces: its statements (run in its task) point to it, and
    it holds who waited on it."""

    __slots__ = ("ended", "keys", "name", "started", "waiters")

    def __init__(self, name: str, keys: int) -> None:
        self.name = name
        self.keys = keys
        self.started = perf_counter_ns()
        self.ended = self.started
        self.waiters: list[Waiter] = []


class Waiter:
    """Work that may wait on batches (a GraphQL field, for traces): set as `current_waiter`
    while it runs, it is noted by the batches its loads go into. `where` tells it apart
    from its namesakes (a field's path); `ended` stays 0 until it is done."""

    __slots__ = ("ended", "name", "started", "where")

    def __init__(self, name: str, where: object) -> None:
        self.name = name
        self.where = where
        self.started = perf_counter_ns()
        self.ended = 0


sink: ContextVar[StatementSink | None] = ContextVar("statement_sink", default=None)
current_batch: ContextVar[Batch | None] = ContextVar("current_batch", default=None)
current_waiter: ContextVar[Waiter | None] = ContextVar("current_waiter", default=None)

_GET_STATEMENT = asyncpg.Connection._get_statement  # type: ignore[attr-defined]
_PUBLIC = {"record_class": None}
"""The options asyncpg's `fetch`, `fetchrow` and `fetchval` pass `_execute` by default."""


@contextlib.contextmanager
def batch_of(name: Callable[[], str], keys: int, waiters: Iterable[Waiter] = ()) -> Iterator[None]:
    """The statements run in this block (in this task) are one batch's, named `name()`, for
    `keys` keys, waited on by `waiters` (once each), when someone watches: a loader's batch,
    and a read for many parents that no loader makes (a level's rendered relations)."""
    recorder = sink.get()
    batch = None if recorder is None else recorder.batch(name, keys)
    if batch is None:
        yield
        return
    batch.waiters = list(dict.fromkeys(waiters))
    token = current_batch.set(batch)
    try:
        yield
    finally:
        batch.ended = perf_counter_ns()
        current_batch.reset(token)


class ObservedConnection(asyncpg.Connection):
    """A connection that tells the current sink about every statement it runs. asyncpg's
    query loggers say as much but not the rows, and cost a callback per statement whether
    or not anyone listens. It also hands the notices of a message back to its sender
    (`execute_noting`)."""

    _notes: list[str] | None = None  # the notices' messages while `execute_noting` runs

    async def execute_noting(self, query: str) -> list[str]:
        """`execute(query)` (one message, several statements allowed) and the messages of
        the notices the server raised meanwhile, in order. asyncpg drops the result rows
        of such a message; a notice is the one way back for a value it computes."""
        notes: list[str] = []
        self._notes = notes
        try:
            await self.execute(query)
        finally:
            self._notes = None
        return notes

    # asyncpg's private hook, called as each notice arrives (before the statement returns).
    def _process_log_message(self, fields: Any, last_query: str) -> None:
        if self._notes is not None:
            self._notes.append(fields.get("M", ""))
            return
        super()._process_log_message(fields, last_query)  # type: ignore[misc]

    async def _execute(
        self,
        query: str,
        args: Any,
        limit: int,
        timeout: Any,  # noqa: ASYNC109 (asyncpg's signature)
        **options: Any,
    ) -> Any:
        """asyncpg's `_execute`, noted for the current sink. A statement asyncpg has
        prepared and cached on this connection runs through its protocol here, with the
        steps `Connection._do_execute` takes for one (its exclusive section, its retry
        within what is left of the timeout), without the four coroutines and the
        statement lookup it goes through: a one-row read spent
        more in them than in the protocol. Anything else (options but the read methods'
        defaults, query loggers, a class that prepares statements its own way, a statement
        not cached) goes to asyncpg."""
        recorder = sink.get()
        started = 0 if recorder is None else perf_counter_ns()
        con: Any = self  # asyncpg's private attributes, which its stubs leave out
        statement = None
        if (
            (not options or options == _PUBLIC)
            and not con._query_loggers
            and type(con)._get_statement is _GET_STATEMENT
        ):
            protocol = con._protocol
            statement = con._stmt_cache.get((query, protocol.get_record_class(), False))
        try:
            if statement is None:
                result = await super()._execute(query, args, limit, timeout, **options)  # type: ignore[misc]
            else:
                with con._stmt_exclusive_section:
                    before = monotonic()
                    try:
                        result = await protocol.bind_execute(
                            statement, args, "", limit, False, timeout
                        )
                    except asyncpg.exceptions.OutdatedSchemaCacheError:
                        await self.reload_schema_state()  # as asyncpg does: caches go, it raises
                        raise
                    except asyncpg.exceptions.InvalidCachedStatementError:
                        # As asyncpg does: every connection's statements are prepared again,
                        # and the statement runs once more unless a transaction fails with it.
                        con._drop_global_statement_cache()
                        if protocol.is_in_transaction():
                            raise

                        def again(prepared: Any, budget: Any) -> Any:
                            return protocol.bind_execute(prepared, args, "", limit, False, budget)

                        budget = protocol._get_timeout(timeout)  # what is left of it, as asyncpg
                        if budget is not None:
                            budget -= monotonic() - before
                        result, _ = await con._do_execute(query, again, budget, retry=False)
        except BaseException as error:
            if recorder is not None:
                recorder.statement(query, started, perf_counter_ns(), 0, error)
            raise
        if recorder is not None:
            recorder.statement(query, started, perf_counter_ns(), _rows(result, options), None)
        return result

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109
        """Statements without parameters (BEGIN, COMMIT, ROLLBACK) take asyncpg's simple
        protocol, past `_execute`; the rest go on to `_execute`."""
        recorder = sink.get() if not args else None
        if recorder is None:
            return await super().execute(query, *args, timeout=timeout)
        started = perf_counter_ns()
        try:
            status = await super().execute(query, timeout=timeout)
        except BaseException as error:
            recorder.statement(query, started, perf_counter_ns(), 0, error)
            raise
        recorder.statement(query, started, perf_counter_ns(), _status_rows(status), None)
        return status


def _rows(result: Any, options: dict[str, Any]) -> int:
    if not options.get("return_status"):
        return len(result)
    return _status_rows(result[1])


def _status_rows(status: bytes | str) -> int:
    """The row count of a command tag: "UPDATE 1", "INSERT 0 3", "SELECT 5"; "BEGIN": 0."""
    text = status.decode() if isinstance(status, bytes) else status
    last = text.rsplit(None, 1)[-1] if text else ""
    return int(last) if last.isdigit() else 0
