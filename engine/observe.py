"""What one request did, written down as it happens, for metrics, traces and the slow log.

The HTTP handler notes the operation, each phase it went through and how it ended; the
database notes each statement (`sql.observe`). Nothing here measures or exports: whoever
set `current` reads the record when the response is done. With nobody observing,
`current` is None and the handler skips all of it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import partial
from time import perf_counter_ns
from typing import Any, NamedTuple, cast

from graphql import GraphQLResolveInfo, GraphQLSchema, default_field_resolver
from graphql.pyutils import is_awaitable

from sql.observe import Batch, current_batch, current_waiter, sink
from sql.observe import Waiter as Waiter  # for the compiled path, which reaches no sql/

OK = "ok"
COMPILED = "compiled"
GRAPHQL_CORE = "graphql-core"


class Statement(NamedTuple):
    query: str
    started: int
    ended: int
    rows: int
    error: BaseException | None
    batch: Batch | None  # the loader's batch it ran for, when traced


_statement = partial(tuple.__new__, Statement)
"""A `Statement` from a tuple of its fields: its `__new__` is a Python call, one per
statement of every observed request."""


class Observation:
    """One request. Times are `perf_counter_ns`.

    `phases` are (name, started, ended): parse, validate, cost, execute, serialise, each
    when it ran (a document found in the cache is neither parsed nor validated again).
    `outcome` is `ok`, a mutation's error code (a union error, which is data) or the code
    of the first top-level error."""

    __slots__ = (
        "batches",
        "document",
        "engine",
        "failed",
        "operation_name",
        "operation_type",
        "outcome",
        "phases",
        "started",
        "statements",
        "traced",
        "waits",
    )

    def __init__(self) -> None:
        self.started = perf_counter_ns()
        self.phases: list[tuple[str, int, int]] = []
        self.statements: list[Statement] = []
        self.waits: list[float] | None = None  # rare: made on the first wait
        self.traced = False  # loaders' batches are noted only for traces
        self.batches: list[Batch] = []
        self.operation_type: str | None = None
        self.operation_name: str | None = None
        self.document: str | None = None
        self.engine: str | None = None
        self.outcome: str | None = None
        self.failed = False  # a top-level error, not a union error

    def phase(self, name: str, started: int) -> int:
        """Notes a phase from `started` to now; returns now, where the next one starts. A
        phase that goes on where the same phase ended is one phase (validating the
        document, then the variables)."""
        now = perf_counter_ns()
        phases = self.phases
        if phases and phases[-1][0] == name:
            phases[-1] = (name, phases[-1][1], now)
        else:
            phases.append((name, started, now))
        return now

    def fail(self, code: str) -> None:
        """The request ends with a top-level error of this code (the first one counts)."""
        if not self.failed:
            self.outcome = code
            self.failed = True

    def statement(
        self, query: str, started: int, ended: int, rows: int, error: BaseException | None
    ) -> None:
        batch = current_batch.get() if self.traced else None
        self.statements.append(_statement((query, started, ended, rows, error, batch)))

    def batch(self, name: Callable[[], str], keys: int) -> Batch | None:
        if not self.traced:
            return None
        made = Batch(name(), keys)
        self.batches.append(made)
        return made

    def waited(self, seconds: float) -> None:
        if self.waits is None:
            self.waits = []
        self.waits.append(seconds)


# The request's observation is the statement sink `sql.observe` writes to: one context
# variable set and reset per request rather than two.
current = cast("ContextVar[Observation | None]", sink)


def note_mutation_outcomes(schema: GraphQLSchema) -> None:
    """Wraps each root mutation field's resolver, once per schema: a field that returns an
    error type of its union (anything with an `ErrorCode` as `code`) sets the observed
    request's outcome to that code, whatever the client selected of it. Done here rather
    than as graphql-core middleware, which wraps every field of every response anew on
    each request."""
    mutation = schema.mutation_type
    if mutation is None:
        return
    for field in mutation.fields.values():
        resolve = field.resolve or default_field_resolver
        if not getattr(resolve, "notes_outcome", False):
            field.resolve = _noting(resolve)


def _noting(resolve: Any) -> Any:
    def noted(root: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
        value = resolve(root, info, **args)
        observation = current.get()
        return value if observation is None else _note(observation, value)

    noted.notes_outcome = True  # type: ignore[attr-defined]
    return noted


async def _note(observation: Observation, value: Any) -> Any:
    if hasattr(value, "__await__"):
        value = await value
    code = getattr(value, "code", None)
    name = getattr(code, "value", None)
    if isinstance(name, str) and observation.outcome in (None, OK):
        observation.outcome = name
    return value


class FieldWaits:
    """graphql-core middleware for traced requests: each field runs as a `Waiter`, so the
    loader batches it waits on can link their spans to it (`server.tracing`)."""

    def resolve(self, next_: Any, root: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
        waiter = Waiter(f"{info.parent_type.name}.{info.field_name}", info.path)
        token = current_waiter.set(waiter)
        try:
            value = next_(root, info, **args)
        finally:
            current_waiter.reset(token)
        if is_awaitable(value):
            return waited(waiter, value)
        waiter.ended = perf_counter_ns()
        return value


async def waited(waiter: Waiter, value: Any) -> Any:
    """`value` awaited as `waiter`'s work: the loads it makes meanwhile are the waiter's."""
    token = current_waiter.set(waiter)
    try:
        return await value
    finally:
        current_waiter.reset(token)
        waiter.ended = perf_counter_ns()
