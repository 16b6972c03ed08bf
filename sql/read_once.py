"""Reads that run at most once per request, failures included.

A query served from a compiled plan may be executed a second time, by graphql-core, when the
plan meets anything but success (a timeout, a resolver error, a null in a non-null field):
graphql-core then builds the errors and partial data the specification asks for. Both runs
read through one `ReadOnce`, so the second one finds every statement the first one ran —
its rows, or the error it ended with — and the database does the work once: a statement
that timed out after five seconds is not sent again to time out once more.

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


class ReadOnce(ReadMethods):
    """The pool's read methods, each statement (text and arguments) run once.

    A cancelled read is not remembered (the request is ending); any other error is, and is
    raised again to whoever runs the same statement later in the request."""

    __slots__ = ("_db", "_done")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._done: dict[_Key, Any] = {}

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        key = (method, query, _hashable(args))
        done = self._done.get(key, self)
        if done is not self:
            await replay_delay()
            if isinstance(done, _Failed):
                raise done.error
            return done
        try:
            result = await getattr(self._db, method)(query, *args)
        except Exception as error:
            self._done[key] = _Failed(error)
            raise
        self._done[key] = result
        return result


def _hashable(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The arguments as a key: lists (of ids, of filter values) become tuples."""
    if list not in map(type, args):  # compared in C: a list of ids is long
        return args
    return tuple(tuple(_hashable(tuple(a))) if isinstance(a, list) else a for a in args)
