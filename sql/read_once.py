"""Reads that run at most once per request, failures included.

A query served from a compiled plan may be executed a second time, by graphql-core, when the
plan meets anything but success (a timeout, a resolver error, a null in a non-null field):
graphql-core then builds the errors and partial data the specification asks for. Both runs
read through one `ReadOnce`, so the second one finds every statement the first one ran —
its rows, or the error it ended with — and the database does the work once: a statement
that timed out after five seconds is not sent again to time out once more.

Identical reads in flight share one statement too: a document may ask for the same page or
count under many aliases, and each would otherwise be a round trip and a connection of its
own. Whoever asks while the statement runs gets its outcome a few turns after the one who
started it, as a remembered read (`REPLAY_TURNS`): on a path without this memo that read
would be a statement of its own, finishing later, and graphql-core's answer after a failed
non-null field depends on which sibling finished first.

Only reads go through it, and only for one request: nothing here survives the request, and
writes never see it (a mutation reads and writes through its transaction's connection).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sql.pool import Database
from sql.read_methods import ReadMethods

_Key = tuple[str, str, tuple[Any, ...]]

REPLAY_TURNS = 8
"""Turns of the event loop a remembered read takes to answer. graphql-core's answer depends
on which fields finish first: once a non-null field fails, the response is built from the
errors met so far, without the siblings still running. A real read takes many turns, so a
sibling that fails without reading fails first; answered at once, a remembered read would
finish first and add its error where the first run's answer had none. A few turns are
enough for graphql-core to build the response after such a failure."""


async def replay_delay() -> None:
    for _ in range(REPLAY_TURNS):
        await asyncio.sleep(0)


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


_AGAIN = object()
"""What a waiter hears when the reader it waited for was cancelled: run the read itself."""


class ReadOnce(ReadMethods):
    """The pool's read methods, each statement (text and arguments) run once.

    The first reader of a statement runs it itself, and whoever asks for the same statement
    meanwhile waits for its outcome. A task per statement (so that no waiter's cancellation
    could stop it for the others) cost more than the rest of this memo, for the one reader
    nearly every statement has; without one, the statement stops when the reader running it
    is cancelled, and the first reader still waiting runs it again in its place. A read whose
    every waiter is cancelled is not remembered (the request is ending); any other error
    is, and is raised again to whoever runs the same statement later in the request."""

    __slots__ = ("_db", "_done", "_running")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._done: dict[_Key, Any] = {}
        self._running: dict[_Key, list[asyncio.Future[Any]]] = {}

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        key = (method, query, _hashable(args))
        done = self._done.get(key, self)
        if done is not self:
            await replay_delay()
            if isinstance(done, _Failed):
                raise done.error
            return done
        waiting = self._running.get(key)
        if waiting is not None:
            return await self._follow(waiting, method, query, args)
        waiting = []
        self._running[key] = waiting
        try:
            result = await getattr(self._db, method)(query, *args)
        except Exception as error:
            del self._running[key]
            self._done[key] = _Failed(error)
            _tell(waiting, error, failed=True)
            raise
        except BaseException:  # cancelled (or the coroutine closed): a waiter runs it
            del self._running[key]
            _tell(waiting, _AGAIN)
            raise
        del self._running[key]
        self._done[key] = result
        _tell(waiting, result)
        return result

    async def _follow(
        self, waiting: list[asyncio.Future[Any]], method: str, query: str, args: tuple[Any, ...]
    ) -> Any:
        """The outcome of the statement another reader runs, as a remembered read would
        give it (see `REPLAY_TURNS`); run here when that reader was cancelled."""
        outcome: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        waiting.append(outcome)
        try:
            result = await outcome
        except Exception:
            await replay_delay()
            raise
        if result is _AGAIN:
            return await self._run(method, query, args)
        await replay_delay()
        return result


def _tell(waiting: list[asyncio.Future[Any]], outcome: Any, *, failed: bool = False) -> None:
    for follower in waiting:
        if follower.done():  # cancelled meanwhile
            continue
        if failed:
            follower.set_exception(outcome)
            # Marked read: a waiter cancelled before it resumes never reads it, and asyncio
            # would log the error as never retrieved; one that resumes still raises it.
            follower.exception()
        else:
            follower.set_result(outcome)


def _hashable(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The arguments as a key: lists (of ids, of filter values) become tuples."""
    if list not in map(type, args):  # compared in C: a list of ids is long
        return args
    return tuple(tuple(_hashable(tuple(a))) if isinstance(a, list) else a for a in args)
