"""Batch writes for any entity with standard rules: many updates, or many deletes, all or
nothing in one transaction, in a fixed number of statements whatever the count.

Every item is checked before anything is written (rules, policy, the row's existence and
rev, the rows it points at); when any fails, the answer lists each failing item's error
with its index and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

from loaders.batching import load_all
from resolvers.connections import SoftDeletable
from resolvers.context import UnitOfWork
from resolvers.crud import Rules, Target, Update, Who
from resolvers.errors import (
    BatchFailed,
    Duplicate,
    Failure,
    Forbidden,
    Invalid,
    NotFound,
    Problem,
    Referenced,
    StaleRevision,
)
from resolvers.validation import parse_patch
from resolvers.writes import write
from sql.pool import Connection
from sql.spec import MAX_BATCH

RowT = TypeVar("RowT", bound=SoftDeletable)


def _bounded(items: Sequence[Any]) -> None:
    if not 1 <= len(items) <= MAX_BATCH:
        raise Invalid([Problem(("items",), f"must hold 1 to {MAX_BATCH} items", "LENGTH")])
    seen: dict[UUID, int] = {}
    for index, item in enumerate(items):
        if seen.setdefault(item.id, index) != index:
            message = f"names the same row as items[{seen[item.id]}]"
            raise Invalid([Problem(("items", str(index), "id"), message, "DUPLICATE")])


async def _refusals(work: UnitOfWork, rules: Rules[Any], who: Who, ids: list[UUID]) -> list[Any]:
    """Per id, None when the viewer may write it, or the error they get (see `crud.permit`:
    forbidden for rows they see, not found for others)."""
    viewer, spec, owner = work.viewer, rules.spec, rules.policy.owner
    if viewer.is_staff and who != "owner":
        return [None] * len(ids)
    if not viewer.is_staff and (who == "staff" or viewer.customer_id is None):
        # Nothing this viewer could name may be written: saying so tells nothing of rows.
        raise Forbidden(f"you may not {rules.policy.words}")
    rows = await load_all(work.loaders.by_id(spec), ids)
    refusals: list[Any] = []
    for id, row in zip(ids, rows, strict=True):
        mine = (
            who != "staff"
            and viewer.customer_id is not None
            and owner is not None
            and row is not None
            and getattr(row, owner) == viewer.customer_id
        )
        if mine:
            refusals.append(None)
        elif row is None or row.deleted_at is not None:
            refusals.append(NotFound(spec.name, id))
        else:
            refusals.append(Forbidden(f"you may not {rules.policy.words}"))
    return refusals


def _misses(rules: Rules[Any], items: Sequence[Any], locked: list[Any]) -> list[Failure]:
    """Items whose row is missing, deleted, or at another rev."""
    current = {row.id: row for row in locked}
    failures: list[Failure] = []
    for index, item in enumerate(items):
        row = current.get(item.id)
        at = ("items", str(index))
        if row is None or row.deleted_at is not None:
            failures.append(Failure((*at, "id"), NotFound(rules.spec.name, item.id)))
        elif row.rev != item.rev:
            stale = StaleRevision(rules.spec.name, expected=item.rev, current=row.rev, row=row)
            failures.append(Failure((*at, "rev"), stale))
    return failures


async def _checked(
    work: UnitOfWork, rules: Rules[Any], who: Who, items: Sequence[Any]
) -> list[Failure]:
    refusals = await _refusals(work, rules, who, [item.id for item in items])
    return [
        Failure(("items", str(index)), refusal)
        for index, refusal in enumerate(refusals)
        if refusal is not None
    ]


async def _live_targets(
    conn: Connection, rules: Rules[Any], changes: Sequence[Mapping[str, Any]]
) -> list[Failure]:
    """Items pointing at rows that are not live: one statement per kind of target."""
    failures: list[Failure] = []
    for column, target in rules.live.items():
        wanted = {c[column] for c in changes if c.get(column) is not None}
        live = await target.lock_live(conn, ids=sorted(wanted)) if wanted else set()
        for index, change in enumerate(changes):
            id = change.get(column)
            if id is not None and id not in live:
                path = ("items", str(index), "patch", column)
                failures.append(Failure(path, NotFound(target.name, id)))
    return failures


async def update_many(work: UnitOfWork, rules: Rules[RowT], items: Sequence[Update]) -> list[RowT]:
    """The updated rows in item order, or `BatchFailed` (or `Invalid`) and nothing written."""
    _bounded(items)
    problems: list[Problem] = []
    changes: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            path = ("items", str(index), "patch")
            changes.append(parse_patch(rules.patch_model, item.patch, path=path))
        except Invalid as failed:
            problems += failed.problems
    if problems:
        raise Invalid(problems)
    if failures := await _checked(work, rules, rules.policy.update, items):
        raise BatchFailed(failures)
    spec = rules.spec
    try:
        async with write(work, path="items") as conn:
            locked = await spec.lock_many(conn, ids=[item.id for item in items])
            failures = _misses(rules, items, locked) + await _live_targets(conn, rules, changes)
            if failures:
                raise BatchFailed(sorted(failures, key=lambda f: int(f.path[1])))
            triples = [(i.id, i.rev, change) for i, change in zip(items, changes, strict=True)]
            rows = {row.id: row for row in await spec.patch_many(conn, triples)}
    except Duplicate as taken:
        # The database names the constraint, not the row: each item setting the column
        # may be the one (a value taken, or repeated within the batch).
        raise BatchFailed(
            [
                Failure(
                    ("items", str(index), "patch", taken.field_name),
                    Duplicate(taken.field_name, str(change[taken.field_name])),
                )
                for index, change in enumerate(changes)
                if taken.field_name in change
            ]
        ) from None
    return _primed(work, rules, [rows[item.id] for item in items])


async def delete_many(work: UnitOfWork, rules: Rules[RowT], items: Sequence[Target]) -> list[RowT]:
    """The soft-deleted rows in item order, or `BatchFailed` and nothing written."""
    _bounded(items)
    if failures := await _checked(work, rules, rules.policy.delete, items):
        raise BatchFailed(failures)
    spec = rules.spec
    async with write(work) as conn:
        locked = await spec.lock_many(conn, ids=[item.id for item in items])
        if failures := _misses(rules, items, locked):
            raise BatchFailed(failures)
        found = {
            row.id: row for row in await spec.delete_many(conn, [(i.id, i.rev) for i in items])
        }
        rows = [found[item.id] for item in items]
        if rules.after_delete is not None:
            try:
                await rules.after_delete(conn, rows)
            except Referenced as held:
                index = [item.id for item in items].index(held.id)
                raise BatchFailed([Failure(("items", str(index), "id"), held)]) from None
    return _primed(work, rules, rows)


def _primed(work: UnitOfWork, rules: Rules[RowT], rows: list[RowT]) -> list[RowT]:
    loader = work.loaders.by_id(rules.spec)
    for row in rows:
        loader.prime_row(row)
    return rows
