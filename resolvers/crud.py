"""The standard writes of any entity: update, delete and restore over its spec and policy.

Each takes a typed command by snake_case column names (the edge translates the schema's
names) and a unit of work; the transaction is the use-case's own. Rev checks, not-found and
conflicts, duplicates and the policy come from here; what differs from one entity to the
next is a `Rules` hook of a few lines.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from resolvers.connections import SoftDeletable
from resolvers.context import UnitOfWork
from resolvers.errors import Forbidden, NotFound
from resolvers.standard_reads import live
from resolvers.validation import Input, parse, parse_patch
from resolvers.viewer import allow
from resolvers.writes import explain_miss, explain_miss_after, idempotent, write
from sql.pool import Connection
from sql.rows import row_from_json, row_to_json
from sql.spec import Spec

RowT = TypeVar("RowT", bound=SoftDeletable)

Who = Literal["staff", "owner", "staff_or_owner", "customer"]
"""Who may do a write: staff, the row's owner, or either; "customer" creates rows any
customer owns (the owner column is theirs)."""

Hook = Callable[[Connection, Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Policy:
    """Who writes an entity. Who reads it is the spec's (its owner scope); a viewer who may
    not write a row they can see is forbidden, one who cannot see it finds nothing."""

    create: Who = "staff"
    update: Who = "staff"
    delete: Who = "staff"
    restore: Who = "staff"
    owner: str | None = None
    """The column naming the customer who owns a row, for "owner" writes."""
    words: str = "change this"
    """What a refusal says the viewer may not do ("change the catalogue")."""


@dataclass(frozen=True, slots=True)
class Rules(Generic[RowT]):
    """One entity's standard writes: its spec, policy, patch model and bespoke checks."""

    spec: Spec[RowT]
    policy: Policy
    patch_model: type[Input]
    input_model: type[Input] | None = None
    """The rules of a create; None when the entity has no standard create."""
    after_delete: Hook | None = None
    """Given the deleted rows (e.g. nothing live refers to them)."""
    live: Mapping[str, Spec[Any]] = field(default_factory=dict)
    """Columns pointing at rows that must be live whenever the column is written or the
    row restored; they are key-share locked, so their delete waits for this write."""
    lock_to_delete: bool = False
    """Lock the row before deleting it (see `Spec.lock_clause`)."""
    taken: tuple[str, ...] = field(default=())
    """Unique columns a restore may find taken meanwhile: reported by value."""


@dataclass(frozen=True, slots=True)
class Create:
    values: Mapping[str, Any]
    """Values by column name; absent nullable columns are null."""
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    id: UUID
    rev: int
    patch: Mapping[str, Any]
    """New values by column name; null clears a nullable column."""


@dataclass(frozen=True, slots=True)
class Target:
    id: UUID
    rev: int


async def permit(work: UnitOfWork, rules: Rules[Any], who: Who, id: UUID) -> None:
    viewer, spec, owner = work.viewer, rules.spec, rules.policy.owner
    if viewer.is_staff and who != "owner":
        return
    loader = work.loaders.by_id(spec)
    if who != "staff" and viewer.customer_id is not None and owner is not None:
        if owner == "id":  # the row is the customer: nothing to read
            mine = id == viewer.customer_id
        else:
            row = await loader.load(id)
            mine = row is not None and getattr(row, owner) == viewer.customer_id
        if mine:
            return
    visible = await live(loader, id) is not None
    allow(permitted=False, visible=visible, type_name=spec.name, id=id, action=rules.policy.words)


async def require_live(conn: Connection, rules: Rules[Any], values: Mapping[str, Any]) -> None:
    """Each row the written columns point at is live, or not found (by its entity's name)."""
    for column, target in rules.live.items():
        id = values.get(column)
        if id is not None and not await target.lock_live(conn, ids=[id]):
            raise NotFound(target.name, id)


async def create(work: UnitOfWork, rules: Rules[RowT], command: Create) -> RowT:
    """A new row; with an idempotency key, a retry with the same values gets it back."""
    spec, policy, viewer = rules.spec, rules.policy, work.viewer
    assert rules.input_model is not None, f"{spec.name} has no standard create"
    if policy.create == "customer":
        if viewer.customer_id is None:
            raise Forbidden(f"only customers may create {spec.name} rows")
    else:
        viewer.require_staff(policy.words)
    values = parse(rules.input_model, command.values, path=("input",)).model_dump()
    if policy.create == "customer" and policy.owner is not None:
        values[policy.owner] = viewer.customer_id
    async with write(work, values=command.values) as conn:

        async def run() -> RowT:
            await require_live(conn, rules, values)
            return await spec.insert(conn, values)

        def encode(row: RowT) -> Any:
            return row_to_json(row)  # type: ignore[arg-type]  # rows are dataclasses

        def decode(stored: Any) -> RowT:
            return row_from_json(spec.row, stored)  # type: ignore[type-var]

        row = await idempotent(
            work,
            conn,
            operation=f"create{spec.name}",
            key=command.idempotency_key,
            arguments=dict(command.values),
            run=run,
            encode=encode,
            decode=decode,
        )
    work.loaders.by_id(spec).prime_row(row)
    return row


async def update(work: UnitOfWork, rules: Rules[RowT], command: Update) -> RowT:
    spec = rules.spec
    await permit(work, rules, rules.policy.update, command.id)
    changes = parse_patch(rules.patch_model, command.patch, path=("patch",))
    async with write(work, values=command.patch, path="patch") as conn:
        await require_live(conn, rules, changes)
        row = await spec.patch(conn, id=command.id, rev=command.rev, changes=changes)
        if row is None:
            await explain_miss_after(
                spec.by_ids(conn, ids=[command.id], owner=work.viewer.owner),
                type_name=spec.name,
                id=command.id,
                expected_rev=command.rev,
            )
    work.loaders.by_id(spec).prime_row(row)
    return row


async def delete(work: UnitOfWork, rules: Rules[RowT], command: Target) -> RowT:
    """Soft delete: rows pointing at it keep doing so."""
    spec, id, rev = rules.spec, command.id, command.rev
    await permit(work, rules, rules.policy.delete, id)
    async with write(work) as conn:
        current = await spec.lock(conn, id=id) if rules.lock_to_delete else None
        row = await spec.soft_delete(conn, id=id, rev=rev)
        if row is None and rules.lock_to_delete:
            explain_miss(current, type_name=spec.name, id=id, expected_rev=rev)
        if row is None:
            found = spec.by_ids(conn, ids=[id], owner=work.viewer.owner)
            await explain_miss_after(found, type_name=spec.name, id=id, expected_rev=rev)
        if rules.after_delete is not None:
            await rules.after_delete(conn, [row])
    work.loaders.by_id(spec).prime_row(row)
    return row


async def restore(work: UnitOfWork, rules: Rules[RowT], command: Target) -> RowT:
    """Undoes a soft delete; a live row at that rev is returned unchanged (a retry). A
    unique value taken meanwhile, or a bespoke check, leaves it deleted."""
    spec, id, rev = rules.spec, command.id, command.rev
    await permit(work, rules, rules.policy.restore, id)
    taken: dict[str, Any] = {}  # filled in once known, for the AlreadyExists report
    async with write(work, values=taken) as conn:
        current: Any = await spec.lock(conn, id=id)
        if current is not None and current.deleted_at is None and current.rev == rev:
            return current  # type: ignore[no-any-return]
        if current is None or current.deleted_at is None or current.rev != rev:
            explain_miss(current, type_name=spec.name, id=id, expected_rev=rev, deleted=True)
        taken.update({name: getattr(current, name) for name in rules.taken})
        await require_live(conn, rules, {c: getattr(current, c) for c in rules.live})
        row = await spec.restore(conn, id=id, rev=rev)
        assert row is not None  # locked, deleted and at `rev`
    work.loaders.by_id(spec).prime_row(row)
    return row
