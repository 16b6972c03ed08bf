"""Which database failures are transient, by exception class (and what they came from)."""

from __future__ import annotations

import asyncpg
import pytest

from sql.errors import transient


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (asyncpg.QueryCanceledError("canceling statement due to statement timeout"), "timeout"),
        (asyncpg.LockNotAvailableError("canceling statement due to lock timeout"), "timeout"),
        (asyncpg.IdleInTransactionSessionTimeoutError("terminating connection"), "timeout"),
        (TimeoutError(), "unavailable"),
        (ConnectionRefusedError(111, "Connect call failed"), "unavailable"),
        (ConnectionResetError(), "unavailable"),
        (OSError(113, "No route to host"), "unavailable"),
        (asyncpg.CannotConnectNowError("the database system is starting up"), "unavailable"),
        (asyncpg.ConnectionDoesNotExistError("connection was closed"), "unavailable"),
        (asyncpg.AdminShutdownError("terminating connection"), "unavailable"),
        (asyncpg.TooManyConnectionsError("too many clients"), "unavailable"),
        (asyncpg.InterfaceError("connection is closed"), "unavailable"),
        (asyncpg.UndefinedTableError('relation "x" does not exist'), None),
        (asyncpg.UniqueViolationError("duplicate key"), None),
        (KeyError("x"), None),
        (ValueError("x"), None),
    ],
)
def test_kinds(error: BaseException, kind: str | None) -> None:
    assert transient(error) == kind


def test_what_an_error_was_raised_from_counts() -> None:
    error = RuntimeError("rollback failed")
    error.__cause__ = asyncpg.ConnectionDoesNotExistError("connection was closed")
    assert transient(error) == "unavailable"
    during = RuntimeError("while handling")
    during.__context__ = asyncpg.LockNotAvailableError("lock timeout")
    assert transient(during) == "timeout"


def test_a_cycle_of_causes_ends() -> None:
    first, second = ValueError("a"), KeyError("b")
    first.__cause__, second.__cause__ = second, first
    assert transient(first) is None
