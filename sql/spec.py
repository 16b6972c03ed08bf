"""One declaration per entity, and the standard statements made from it.

A `Spec` names the table, its row type, what clients may filter, sort, group and measure
(the read whitelist, `sql.entity.Entity`), which columns a create and a patch write, the
owner column, and what its constraints protect. From it come the statements every entity
needs and no entity should write again: rows by ids, the row lock, insert, the rev-checked
patch, soft delete and restore. Bespoke statements stay in the entity's own module.

Constraint names follow the migrations' rule (`<table>_<column>_key` for a uniqueness,
`_check` for a check, `_fkey` for a foreign key), so declaring the column declares the name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, Generic, TypeVar
from uuid import UUID

import orjson

from sql.builder import patch_statement
from sql.entity import Column, Entity, Relation, SortKey
from sql.errors import Guard, register
from sql.pool import Connection, Executor
from sql.rows import ByIds, columns, to_rows

RowT = TypeVar("RowT")

MAX_BATCH = 1000
"""Items of one batch write: enough for any screen, few enough for one statement."""

SPECS: dict[str, Spec[Any]] = {}
"""Every declared entity by its table: what generic readers of any table (the change
feed) look up."""


@dataclass(frozen=True)
class Spec(Generic[RowT]):
    table: str
    row: type[RowT]
    filterable: Mapping[str, Column | Relation]
    sortable: Mapping[str, SortKey]
    name: str = ""
    """What errors call one row; unless given, the row class's name without "Row"
    ("Category" for CategoryRow)."""
    insertable: tuple[str, ...] = ()
    """Columns a create sets, in the order `insert` takes them."""
    writable: frozenset[str] = frozenset()
    """Columns a patch may set; unless given, every insertable column."""
    owner: str | None = None
    """The column naming the owning customer, for customer-owned rows: reads by id and
    pages are then held to the viewer's owner scope."""
    unique: tuple[str, ...] = ()
    folded: frozenset[str] = frozenset()
    """Unique texts compared without case, as their unique index compares them."""
    """Columns unique among live rows: a second is a duplicate, not a fault."""
    checked: tuple[str, ...] = ()
    """Columns with a check constraint: a value it refuses is an invalid value."""
    references: Mapping[str, str] = field(default_factory=dict)
    """Foreign-key columns and the name of the entity each points at."""
    groupable: Mapping[str, Column] = field(default_factory=dict)
    measures: Mapping[str, Column] = field(default_factory=dict)
    lock_clause: str = "FOR UPDATE"
    """FOR UPDATE, not the weaker lock an UPDATE takes: it conflicts with the key-share
    lock an insert of a referencing row holds (a product joining its category), so no row
    comes to point at one being deleted."""
    entity: Entity = field(init=False)
    by_ids: Callable[..., Awaitable[list[RowT]]] = field(init=False)
    by_ids_statement: ByIds = field(init=False)
    _lookups: dict[str, str] = field(init=False, default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.row.__name__.removesuffix("Row"))
        if not self.writable:
            object.__setattr__(self, "writable", frozenset(self.insertable))
        entity = Entity(
            table=self.table,
            row_type=self.row,  # type: ignore[arg-type]  # row types are dataclasses
            filterable=self.filterable,
            sortable=self.sortable,
            writable=self.writable,
            owner=None if self.owner is None else "{t}." + self.owner,
            groupable=self.groupable,
            measures=self.measures,
        )
        object.__setattr__(self, "entity", entity)
        object.__setattr__(self, "by_ids", self._by_ids_function())
        register(self.guards())
        SPECS[self.table] = self

    @cached_property
    def columns(self) -> str:
        return columns(self.row)  # type: ignore[arg-type]

    def guards(self) -> dict[str, Guard]:
        """The constraint names this table's writes may break, and what each protects."""
        found = {
            f"{self.table}_{c}_key": Guard("unique", self.table, c, self.references.get(c))
            for c in self.unique
        }
        found |= {f"{self.table}_{c}_check": Guard("check", self.table, c) for c in self.checked}
        for column, target in self.references.items():
            found[f"{self.table}_{column}_fkey"] = Guard(
                "foreign_key", self.table, column, references=target
            )
        return found

    def _by_ids_function(self) -> Callable[..., Awaitable[list[RowT]]]:
        """`<table>_by_ids(executor, *, ids[, owner][, omit])`: rows with these ids,
        soft-deleted ones included (callers decide visibility), within the owner scope if
        the rows have owners (None sees every row), without the fields in `omit` (see
        `sql.rows.leavable`). Named after the table: traces show the name."""
        scope = "" if self.owner is None else f" AND ($2::uuid IS NULL OR {self.owner} = $2)"
        row, owned, table = self.row, self.owner is not None, self.table

        def statement_for(omit: frozenset[str], whole: ByIds | None = None) -> ByIds:
            selected = columns(row, omit=omit)  # type: ignore[arg-type]
            return ByIds(f"SELECT {selected} FROM {table} WHERE id = ANY($1::uuid[]){scope}", whole)

        statement = statement_for(frozenset())
        object.__setattr__(self, "by_ids_statement", statement)
        narrow: dict[frozenset[str], ByIds] = {}

        async def by_ids(
            executor: Executor,
            *,
            ids: Sequence[UUID],
            owner: UUID | None = None,
            omit: frozenset[str] = frozenset(),
        ) -> list[RowT]:
            args = (owner,) if owned else ()
            if not omit:
                return to_rows(row, await statement.fetch(executor, ids, *args))  # type: ignore[type-var]
            found = narrow.get(omit)
            if found is None:
                found = narrow[omit] = statement_for(omit, statement)
            return to_rows(row, await found.fetch(executor, ids, *args), omit)  # type: ignore[type-var]

        by_ids.__name__ = by_ids.__qualname__ = f"{self.table}_by_ids"
        return by_ids

    def _one(self, record: Any) -> RowT | None:
        return None if record is None else self.row(*record)

    async def fetch_one(self, executor: Executor, statement: str, *args: Any) -> RowT | None:
        """The row a bespoke statement selecting this table's `columns` finds, if any."""
        return self._one(await executor.fetchrow(statement, *args))

    async def live_by(
        self, executor: Executor, key: str, value: Any, *, owner: UUID | None = None
    ) -> RowT | None:
        """The live row whose column `key` holds `value` (a unique column, or one a sequence
        fills), within the owner scope if the rows have owners."""
        args = (value,) if self.owner is None else (value, owner)
        return await self.fetch_one(executor, self._live_by(key), *args)

    def _live_by(self, key: str) -> str:
        made = self._lookups.get(key)
        if made is not None:
            return made
        if key not in {f.name for f in fields(self.row)}:  # type: ignore[arg-type]
            raise ValueError(f"{self.table} has no column {key!r}")
        found = f"lower({key}) = lower($1)" if key in self.folded else f"{key} = $1"
        scope = "" if self.owner is None else f" AND ($2::uuid IS NULL OR {self.owner} = $2)"
        where = f"{found} AND deleted_at IS NULL{scope}"
        made = self._lookups[key] = f"SELECT {self.columns} FROM {self.table} WHERE {where}"
        return made

    async def fetch_rows(self, executor: Executor, statement: str, *args: Any) -> list[RowT]:
        """The rows a bespoke statement selecting this table's `columns` finds."""
        return to_rows(self.row, await executor.fetch(statement, *args))  # type: ignore[type-var]

    @cached_property
    def _insert(self) -> str:
        names = ", ".join(self.insertable)
        slots = ", ".join(f"${i}" for i in range(1, len(self.insertable) + 1))
        return f"INSERT INTO {self.table} ({names}) VALUES ({slots}) RETURNING {self.columns}"

    async def insert(self, conn: Connection, values: Mapping[str, Any]) -> RowT:
        """A new row from `values` by column (every `insertable` column; absent ones are
        null); returns it at rev 1."""
        args = [values.get(name) for name in self.insertable]
        record = await conn.fetchrow(self._insert, *args)
        assert record is not None  # INSERT ... RETURNING always returns the row
        return self.row(*record)

    async def lock(self, conn: Connection, *, id: UUID) -> RowT | None:
        """The row as it is, locked until the transaction ends (deleted or not)."""
        return self._one(await conn.fetchrow(self._lock, id))

    @cached_property
    def _lock(self) -> str:
        return f"SELECT {self.columns} FROM {self.table} WHERE id = $1 {self.lock_clause}"

    async def lock_live(self, conn: Connection, *, ids: Sequence[UUID]) -> set[UUID]:
        """The ids among `ids` of live rows, key-share locked until the transaction ends
        (in id order, so writers locking several queue instead of deadlocking): a row that
        points at them is written only while they are live (see `lock_clause`)."""
        return {r[0] for r in await conn.fetch(self._lock_live, list(ids))}

    @cached_property
    def _lock_live(self) -> str:
        return (
            f"SELECT id FROM {self.table} WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL "
            "ORDER BY id FOR KEY SHARE"
        )

    async def patch(
        self, conn: Connection, *, id: UUID, rev: int, changes: Mapping[str, Any]
    ) -> RowT | None:
        """The updated row, or None when it is missing, deleted or at another rev."""
        statement = patch_statement(self.entity, changes)
        return self._one(await conn.fetchrow(statement.text, id, rev, *statement.args[2:]))

    async def lock_many(self, conn: Connection, *, ids: Sequence[UUID]) -> list[RowT]:
        """The rows with these ids as they are, locked in id order (concurrent batches
        queue instead of deadlocking), deleted or not."""
        return to_rows(self.row, await conn.fetch(self._lock_many, list(ids)))  # type: ignore[type-var]

    @cached_property
    def _lock_many(self) -> str:
        return (
            f"SELECT {self.columns} FROM {self.table} WHERE id = ANY($1::uuid[]) "
            f"ORDER BY id {self.lock_clause}"
        )

    async def patch_many(
        self, conn: Connection, items: Sequence[tuple[UUID, int, Mapping[str, Any]]]
    ) -> list[RowT]:
        """One statement for the whole batch: each item (id, rev, changes) updates its live
        row at that rev; the rows updated come back (in no particular order). Values travel
        as one JSON array read as rows of the table, so each is typed as its column."""
        for _, _, changes in items:
            if unknown := set(changes) - self.writable:
                raise ValueError(f"{self.table} cannot set {sorted(unknown)}")
        docs = [{**changes, "id": id, "rev": rev} for id, rev, changes in items]
        text = orjson.dumps(docs, default=str).decode()
        return to_rows(self.row, await conn.fetch(self._patch_many, text))  # type: ignore[type-var]

    @cached_property
    def _patch_many(self) -> str:
        sets = [
            f"{c} = CASE WHEN i.doc ? '{c}' THEN (i.r).{c} ELSE t.{c} END"
            for c in sorted(self.writable)
        ]
        returned = columns(self.row, prefix="t.")  # type: ignore[arg-type]
        return (
            f"UPDATE {self.table} AS t SET {', '.join(sets)}, rev = t.rev + 1, updated_at = now() "
            f"FROM (SELECT doc, jsonb_populate_record(NULL::{self.table}, doc) AS r "
            "FROM jsonb_array_elements($1::jsonb) AS doc) AS i "
            "WHERE t.id = (i.r).id AND t.rev = (i.r).rev AND t.deleted_at IS NULL "
            f"RETURNING {returned}"
        )

    async def delete_many(self, conn: Connection, items: Sequence[tuple[UUID, int]]) -> list[RowT]:
        """One statement for the whole batch: each live row at its rev is soft-deleted."""
        ids, revs = [id for id, _ in items], [rev for _, rev in items]
        return to_rows(self.row, await conn.fetch(self._delete_many, ids, revs))  # type: ignore[type-var]

    @cached_property
    def _delete_many(self) -> str:
        returned = columns(self.row, prefix="t.")  # type: ignore[arg-type]
        return (
            f"UPDATE {self.table} AS t SET deleted_at = now(), rev = t.rev + 1, "
            "updated_at = now() FROM unnest($1::uuid[], $2::integer[]) AS i(id, rev) "
            "WHERE t.id = i.id AND t.rev = i.rev AND t.deleted_at IS NULL "
            f"RETURNING {returned}"
        )

    async def soft_delete(self, conn: Connection, *, id: UUID, rev: int) -> RowT | None:
        """The deleted row, or None when it is missing, deleted or at another rev. Rows
        pointing at it keep doing so: history stays intact."""
        return self._one(await conn.fetchrow(self._soft_delete, id, rev))

    async def restore(self, conn: Connection, *, id: UUID, rev: int) -> RowT | None:
        """The live row again, or None when it is missing, live or at another rev."""
        return self._one(await conn.fetchrow(self._restore, id, rev))

    @cached_property
    def _soft_delete(self) -> str:
        return self._flip("now()", "IS NULL")

    @cached_property
    def _restore(self) -> str:
        return self._flip("NULL", "IS NOT NULL")

    def _flip(self, deleted_at: str, was: str) -> str:
        return (
            f"UPDATE {self.table} SET deleted_at = {deleted_at}, rev = rev + 1, "
            f"updated_at = now() WHERE id = $1 AND rev = $2 AND deleted_at {was} "
            f"RETURNING {self.columns}"
        )
