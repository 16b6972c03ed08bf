"""Database errors as facts the callers can act on: by constraint name, or as transient.

Only constraint names and exception classes are read, never message text. Each named
constraint maps to what it protects; anything not in the table is not an expected failure
and is re-raised as is. `transient` tells timeouts and an unavailable database apart from
faults, so the edge can answer them as retryable: this is the one place that knows which
driver exceptions mean that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import asyncpg
from asyncpg.exceptions._base import DataError as ArgumentDataError

Kind = Literal["unique", "check", "foreign_key"]


@dataclass(frozen=True, slots=True)
class Guard:
    kind: Kind
    table: str
    field: str
    """The column it protects."""
    references: str | None = None
    """The name of the entity the column points at, if it does (a foreign key, or a
    unique column that is one)."""


CONSTRAINTS: dict[str, Guard] = {}
"""Every constraint a write may expect to break, by name: each entity's declaration
(`sql.spec.Spec`) registers its own."""


def register(guards: Mapping[str, Guard]) -> None:
    CONSTRAINTS.update(guards)


class ConstraintViolation(Exception):
    """A write broke a known constraint; `guard` says which and what it protects."""

    def __init__(self, guard: Guard, constraint: str) -> None:
        super().__init__(f"{constraint} ({guard.kind} on {guard.table}.{guard.field})")
        self.guard = guard
        self.constraint = constraint


def translate(error: asyncpg.PostgresError) -> ConstraintViolation | None:
    """The violation a driver error stands for, when its constraint is one we know."""
    name = getattr(error, "constraint_name", None)
    guard = CONSTRAINTS.get(name or "")
    return None if guard is None else ConstraintViolation(guard, name or "")


Transient = Literal["timeout", "unavailable"]
"""A failure that says nothing about the request: the same request may succeed when retried.
`timeout`: a statement or a lock wait ran over its limit. `unavailable`: no connection could
be had, or the one in use was lost."""


class StatementTimedOut(Exception):
    """A statement ran over the timeout the client set for it (behind a transaction pooler,
    where the server's `statement_timeout` cannot be set for a lone statement); the client
    cancelled it on the server."""


_TIMEOUTS: tuple[type[BaseException], ...] = (
    StatementTimedOut,
    asyncpg.QueryCanceledError,  # statement_timeout (57014)
    asyncpg.LockNotAvailableError,  # lock_timeout (55P03)
    asyncpg.IdleInTransactionSessionTimeoutError,  # idle_in_transaction_session_timeout (25P03)
)

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    # The pool had no free connection within its acquire timeout, or connecting timed out
    # (TimeoutError is itself an OSError; named for the reader).
    TimeoutError,
    # Refused, reset, unreachable, name not resolved.
    OSError,
    asyncpg.PostgresConnectionError,  # class 08: lost or never established
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01: the server ends sessions as it stops
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300
    # Used after the connection or the pool closed; asyncpg raises this class client-side.
    asyncpg.InterfaceError,
)


def transient(error: BaseException) -> Transient | None:
    """Whether `error` (or what it was raised from) is a timeout or an unavailable database,
    by exception class only; None for anything else."""
    seen: BaseException | None = error
    for _ in range(8):  # chains are short; a bound keeps a cycle from looping
        if seen is None:
            return None
        if isinstance(seen, _TIMEOUTS):
            return "timeout"
        if isinstance(seen, _UNAVAILABLE):
            return "unavailable"
        seen = seen.__cause__ or seen.__context__
    return None


def bad_client_value(error: BaseException) -> bool:
    """Whether a value the client sent is one the database cannot take: refused while
    encoding the argument (a number or a time out of range), or by the server as data
    (class 22: a NUL character, an overflow). Our statements are fixed text, so the fault
    is the value's, not the server's."""
    return isinstance(error, asyncpg.DataError | ArgumentDataError)


def too_large_for_database(error: BaseException) -> bool:
    """Whether the server refused a statement for a limit of its own (class 54: a query
    tree deeper than its stack, too many arguments). Our statements are fixed text, so
    what made it too large is what the client sent; the bounds on arguments
    (`sql.builder`, `sql.products.MAX_SEARCH_CHARS`) keep known cases from getting here."""
    return isinstance(error, asyncpg.ProgramLimitExceededError)
