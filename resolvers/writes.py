"""How every mutation writes: one transaction, constraint violations as domain errors,
and idempotency keys stored with the write they protect."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, NoReturn, TypeVar
from uuid import UUID

import orjson

from resolvers.context import UnitOfWork
from resolvers.errors import (
    Duplicate,
    IdempotencyKeyReused,
    Invalid,
    NotFound,
    Problem,
    StaleRevision,
)
from sql import idempotency
from sql.errors import ConstraintViolation
from sql.pool import Connection
from sql.transactions import transaction

T = TypeVar("T")


@contextlib.asynccontextmanager
async def write(
    work: UnitOfWork, *, values: Mapping[str, Any] | None = None, path: str = "input"
) -> AsyncIterator[Connection]:
    """A transaction for one mutation. `values` are the written fields by name, so a
    constraint violation can name the field and value that broke it."""
    values = {} if values is None else values
    try:
        async with transaction(work.db, position=work.written) as conn:
            yield conn
        work.loaders.forget_derived()
    except ConstraintViolation as violation:
        guard = violation.guard
        value = values.get(guard.field)
        if guard.kind == "unique":
            shown = "" if value is None else str(value)
            raise Duplicate(guard.field, shown, guard.references) from None
        if guard.kind == "foreign_key":
            raise NotFound(guard.references or guard.table, None, raw_id=str(value or "")) from None
        problem = Problem((path, guard.field), "is not an allowed value", "CHECK")
        raise Invalid([problem]) from None


def request_hash(operation: str, arguments: Any) -> str:
    """The same arguments give the same hash, whatever their key order."""
    canonical = orjson.dumps(
        {"operation": operation, "arguments": arguments},
        option=orjson.OPT_SORT_KEYS,
        default=str,
    )
    return hashlib.sha256(canonical).hexdigest()


async def idempotent(
    work: UnitOfWork,
    conn: Connection,
    *,
    operation: str,
    key: str | None,
    arguments: Any,
    run: Callable[[], Awaitable[T]],
    encode: Callable[[T], Any],
    decode: Callable[[Any], T],
) -> T:
    """Runs `run` once per key: a retry with the same arguments gets the first result back
    (decoded from what was stored), other arguments get `IdempotencyKeyReused`. Racing
    retries wait on the key's row until the first transaction ends. A customer's keys are
    theirs alone, as invisible to others as their rows (staff tokens carry no identity, so
    staff share one space)."""
    if key is None:
        return await run()
    if not 1 <= len(key) <= 200:
        raise Invalid([Problem(("idempotency_key",), "must be 1 to 200 characters", "LENGTH")])
    digest = request_hash(operation, arguments)
    owner = work.viewer.owner
    scope = operation if owner is None else f"{operation}@{owner}"
    claim = await idempotency.claim(
        conn,
        operation=scope,
        key=key,
        request_hash=digest,
        ttl_seconds=work.idempotency_ttl_seconds,
    )
    if not claim.fresh:
        if claim.request_hash != digest:
            raise IdempotencyKeyReused(key)
        return decode(claim.response)
    result = await run()
    await idempotency.store(conn, operation=scope, key=key, response=encode(result))
    return result


def explain_miss(
    current: Any, *, type_name: str, id: UUID, expected_rev: int, deleted: bool = False
) -> NoReturn:
    """Why a conditional write matched no row, given the row as it is now (or None).

    The write wanted a live row (or, when `deleted`, a soft-deleted one: a restore) at
    `expected_rev`. Missing rows are not found, and so are deleted rows for writes to live
    ones (deleted rows do not exist for them); any other row is at another rev: a conflict,
    with the row as it is now.
    """
    if current is None or (current.deleted_at is not None and not deleted):
        raise NotFound(type_name, id)
    raise StaleRevision(type_name, expected=expected_rev, current=current.rev, row=current)


async def explain_miss_after(
    rows: Awaitable[list[Any]], *, type_name: str, id: UUID, expected_rev: int
) -> NoReturn:
    """`explain_miss` for the row a by-ids read (still inside the transaction) finds."""
    found = await rows
    explain_miss(found[0] if found else None, type_name=type_name, id=id, expected_rev=expected_rev)
