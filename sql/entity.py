"""What dynamic SQL may touch in one table: its columns, relations and sort keys.

Identifiers in built statements come only from here (each entity's whitelist, made by its
`sql.spec.Spec`), never from a request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True, slots=True)
class Column:
    """A filterable or sortable column: its name in the table, its value type and the SQL
    type its parameters are cast to (so `= ANY($n::text[])` never varies)."""

    name: str
    kind: type
    sql_type: str
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class Relation:
    """A filter that follows a relation: rows match when a live related row matches.

    `join` correlates the two tables: `{outer}` and `{inner}` stand for their aliases.
    """

    target: Callable[[], Entity]
    join: str


@dataclass(frozen=True, slots=True)
class SortKey:
    """One step of an ordering. `expression` is a column of the entity's table, written
    with `{t}` for its alias, or an expression over it that may use the page's extra
    arguments as `{a0}`, `{a1}`, ...."""

    expression: str
    kind: type
    descending: bool = False
    nulls_first: bool | None = None
    nullable: bool = False
    """Its values may be NULL (groups' keys and measures): cursors may carry None."""

    def sql(self, expression: str, *, reverse: bool) -> str:
        """This step of ORDER BY, for `expression` (the rendered `self.expression`)."""
        descending = self.descending != reverse
        text = f"{expression} {'DESC' if descending else 'ASC'}"
        if self.nulls_first is not None:
            text += " NULLS FIRST" if self.nulls_first != reverse else " NULLS LAST"
        return text


ID_KEY = SortKey("{t}.id", UUID)


def with_tiebreak(order: Sequence[SortKey]) -> tuple[SortKey, ...]:
    """The ordering made total: `id` last unless it is already there.

    The tiebreaker runs the way the last key runs, so a one-key ordering stays uniform: one
    row comparison that a (key, id) index can serve in either direction.
    """
    if any(key.expression == ID_KEY.expression for key in order):
        return tuple(order)
    descending = order[-1].descending if order else False
    return (*order, SortKey(ID_KEY.expression, UUID, descending=descending))


@dataclass(frozen=True, slots=True)
class Entity:
    """What the builder may touch in one table: the row type whose fields are the columns
    every page selects, the filterable fields (by the names clients use) and the sortable
    expressions (by the names of the GraphQL sort enum)."""

    table: str
    row_type: type[DataclassInstance]
    filterable: Mapping[str, Column | Relation]
    sortable: Mapping[str, SortKey]
    writable: frozenset[str] = frozenset()
    """Columns a patch may set."""
    owner: str | None = None
    """For customer-owned rows, the expression naming the owning customer: pages are then
    restricted to the owner scope they are read with."""
    live: str = "{t}.deleted_at IS NULL"
    groupable: Mapping[str, Column] = field(default_factory=dict)
    """Columns rows may be grouped by as they are (timestamp measures are grouped by in
    buckets), by the names clients use."""
    measures: Mapping[str, Column] = field(default_factory=dict)
    """Columns aggregates may read, by the names clients use: numbers (sum, avg, min,
    max) and timestamps (min, max)."""

    @property
    def columns(self) -> tuple[str, ...]:
        return _field_names(self.row_type)


@functools.cache
def _field_names(row_type: type) -> tuple[str, ...]:
    """A row type's fields, by name: read for every page, made once."""
    return tuple(f.name for f in fields(row_type))
