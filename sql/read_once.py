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
started it, as a remembered read does (`REPLAY_TURNS`): on a path without this memo that
read would be a statement of its own, finishing later.

Only reads go through it, and only for one request: nothing here survives the request, and
writes never see it (a mutation reads and writes through its transaction's connection).

A read runs in a task of its own, so that no one waiter's cancellation stops it for the
others, unless its reader's task is one no waiter can cancel (`reads_here`: a loader's
batch, whose waiters hold futures of their own, or the one field of a request): a task
per statement cost more than the rest of a one-row read's path. Its joiners then wait on
a future it settles.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from functools import partial
from typing import Any

from sql.errors import transient
from sql.pool import Database, Executor
from sql.read_methods import ReadMethods

_Key = tuple[str, str, tuple[Any, ...]]

REPLAY_TURNS = 8
"""Turns of the event loop a remembered read takes to answer, as a real read takes many.
Which errors an answer lists no longer depends on which sibling finishes first where
siblings are gathered (`engine.settled_execution` lets them all settle). It still does where
a field fails before any sibling is awaited (a resolver that raises at once, a null
attribute in a non-null field): graphql-core then settles the siblings already made in the
background and spreads the failure without them, and a sibling's error is listed only if
it comes before the null reaches a field that can take it. Answered at once, a remembered
read would fail first in graphql-core's run after an abandoned plan and add an error the
same query's plain run does not list."""


async def replay_delay() -> None:
    for _ in range(REPLAY_TURNS):
        await asyncio.sleep(0)


reads_here: ContextVar[bool] = ContextVar("reads_here", default=False)
"""Set by a task that no waiter's cancellation reaches (see the module's text): its reads
run in it, without a task of their own."""


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


class _Running:
    """A statement in flight, run by a task of its own so that no one waiter's cancellation
    stops it for the others (or by a reader that cannot be cancelled so, `reads_here`: its
    `task` is then a future it settles, and it counts as a waiter); how many wait for it."""

    __slots__ = ("task", "waiting")

    def __init__(self, task: asyncio.Future[Any], waiting: int = 0) -> None:
        self.task = task
        self.waiting = waiting


class ReadOnce(ReadMethods):
    """The pool's read methods, each statement (text and arguments) run once.

    A read whose every waiter is cancelled is cancelled and not remembered (the request is
    ending); any other error is, and is raised again to whoever runs the same statement
    later in the request."""

    __slots__ = ("_db", "_done", "_running")

    def __init__(self, db: Database) -> None:
        self._db = db
        self._done: dict[_Key, Any] = {}
        self._running: dict[_Key, _Running] = {}

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        # Lists (of ids, of filter values) made tuples; most reads have none (found in C).
        key = (method, query, args if list not in map(type, args) else _hashable(args))
        done = self._done.get(key, self)
        if done is not self:
            await replay_delay()
            if isinstance(done, _Failed):
                raise done.error
            return done
        running = self._running.get(key)
        follower = running is not None
        if running is None and reads_here.get():
            return await self._read_here(key, method, query, args)
        if running is None:
            running = _Running(asyncio.ensure_future(self._read(key, method, query, args)))
            self._running[key] = running
            running.task.add_done_callback(partial(self._ended, key, running))
        running.waiting += 1
        before = _cancelling()
        try:
            result = await asyncio.shield(running.task)
        except asyncio.CancelledError:
            if running.waiting == 1:  # no one else waits for it: stopped, and forgotten now
                self._ended(key, running)
                running.task.cancel()
            elif running.task.cancelled() and _cancelling() <= before:
                # Its reader (`reads_here`) was stopped, not this waiter: read it again.
                return await self._run(method, query, args)
            raise
        except Exception:
            if follower:
                await replay_delay()
            raise
        finally:
            running.waiting -= 1
        if follower:
            await replay_delay()
        return result

    async def _read_here(self, key: _Key, method: str, query: str, args: tuple[Any, ...]) -> Any:
        """The statement run in the reader's own task; whoever asks for it meanwhile
        waits on `running.task`, a future, as on a task."""
        running = _Running(asyncio.get_running_loop().create_future(), waiting=1)
        self._running[key] = running
        outcome = running.task
        try:
            result = await self._read(key, method, query, args)
        except Exception as error:
            outcome.set_exception(error)
            outcome.exception()  # raised here; a joiner may take it or not
            raise
        except BaseException:  # stopped (or closed): not remembered, a joiner reads it again
            outcome.cancel()
            raise
        else:
            outcome.set_result(result)
            return result
        finally:
            # Still its own: a joiner adds none while it runs, nor cancels its future.
            del self._running[key]

    async def _read(self, key: _Key, method: str, query: str, args: tuple[Any, ...]) -> Any:
        """The statement's outcome, remembered for the rest of the request: its rows, or
        the error it ended with (not a cancellation, which nobody's read ran to the end)."""
        try:
            result = await self._db._run(method, query, args)
        except Exception as error:
            self._done[key] = _Failed(error)
            raise
        self._done[key] = result
        return result

    def _ended(self, key: _Key, running: _Running, *_: object) -> None:
        if self._running.get(key) is running:
            del self._running[key]
        task = running.task
        if task.done() and not task.cancelled():
            task.exception()  # retrieved here: its waiters may all have left


async def fetch_narrowed(
    executor: Executor, query: str, whole: str | Callable[[], str], *args: Any
) -> list[Any]:
    """`executor.fetch(query, *args)`, a read that leaves columns out, whose failure is also
    that of `whole` with the same arguments, the read of whole rows it stands for (its
    text, or what makes it when needed: see `whole_read_failed`)."""
    try:
        records: list[Any] = await executor.fetch(query, *args)
    except Exception as error:
        whole_read_failed(executor, error, whole if isinstance(whole, str) else whole(), *args)
        raise
    return records


def whole_read_failed(
    executor: object, error: Exception, query: str, *args: Any, method: str = "fetch"
) -> None:
    """A read that stands for another failed with `error`: one that left columns out
    (`sql.rows.leaving_out`) for the read of whole rows, or one that did another's work
    among its own (a rendered page with its count, for the count). When that was a timeout
    (`sql.errors.transient`) and `executor` is a request's `ReadOnce`, the read it stands
    for, `method(query, *args)`, is remembered as failed with it: it would wait as long, so
    a later read of the same statement in the request does not wait for it again. A lost
    connection says nothing of the next one: that read then runs. Nor does a read already
    under way get a second outcome."""
    if isinstance(executor, ReadOnce) and transient(error) == "timeout":
        key = (method, query, _hashable(args))
        if key not in executor._running:
            executor._done.setdefault(key, _Failed(error))


def _cancelling() -> int:
    """How many cancellations of the current task are pending (compared before and after
    a wait: a task that once swallowed one keeps counting it)."""
    task = asyncio.current_task()
    return 0 if task is None else task.cancelling()


def _hashable(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The arguments as a key: lists (of ids, of filter values) become tuples."""
    if list not in map(type, args):  # compared in C: a list of ids is long
        return args
    return tuple(tuple(_hashable(tuple(a))) if isinstance(a, list) else a for a in args)
