"""The one place that builds dynamic SQL: keyset pages over a whitelisted ordering.

Identifiers come only from `SortColumn` whitelists declared next to each entity's queries;
every value enters as a `$n` parameter. Pages are keyset-based (never OFFSET): the page after a
row is "rows strictly past it in the ordering", with `id` as the final tiebreaker so the order
is total and a row can never be skipped or repeated between pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True, slots=True)
class SortColumn:
    """A column a connection may be ordered by: its SQL expression and its value type."""

    sql: str
    kind: type


@dataclass(frozen=True, slots=True)
class SortKey:
    column: SortColumn
    descending: bool = False


ID_COLUMN = SortColumn("id", UUID)


@dataclass(frozen=True, slots=True)
class PageQuery:
    text: str
    args: list[Any]


@dataclass(frozen=True, slots=True)
class KeysetPage:
    """Rows in the requested direction's order, plus whether rows lie on either side."""

    records: list[Any]
    more_ahead: bool
    any_behind: bool


def with_tiebreak(order: Sequence[SortKey]) -> tuple[SortKey, ...]:
    """The ordering made total: `id` last unless it is already there.

    The tiebreaker runs the way the last key runs, so a one-key ordering stays uniform: one
    row comparison that a (key, id) index can serve in either direction.
    """
    if any(key.column.sql == ID_COLUMN.sql for key in order):
        return tuple(order)
    descending = order[-1].descending if order else False
    return (*order, SortKey(ID_COLUMN, descending=descending))


def keyset_page(
    *,
    columns: str,
    source: str,
    where: Sequence[str] = (),
    args: Sequence[Any] = (),
    order: Sequence[SortKey],
    after: Sequence[Any] | None,
    backward: bool,
    limit: int,
) -> PageQuery:
    """One statement for a page of `columns` from `source`: the rows past `after` in `order`
    (before it, when `backward`).

    `order` must already end in the tiebreaker; `after` holds one value per key. The page is
    read in its own direction (reversed for backward pages: see `split_page`). It fetches
    `limit + 1` rows so the next page's existence is exact, and, when `after` is given, probes
    for one row on the other side of it so the previous page's existence is exact too. Each
    row gets a trailing boolean: true for that probe row.
    """
    params = list(args)

    def param(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    def part(extra: list[str], *, reverse: bool, limit_param: str, probe: bool) -> str:
        clauses = [*where, *extra]
        sql = f"SELECT {columns}, {str(probe).lower()} AS behind FROM {source}"
        if clauses:
            sql += " WHERE " + " AND ".join(f"({c})" for c in clauses)
        directions = [
            f"{key.column.sql} {'DESC' if key.descending != (backward != reverse) else 'ASC'}"
            for key in order
        ]
        return sql + " ORDER BY " + ", ".join(directions) + f" LIMIT {limit_param}"

    if after is None:
        text = part([], reverse=False, limit_param=param(limit + 1), probe=False)
        return PageQuery(text=text, args=params)
    past = _past(order, after, backward=backward, param=param)
    ahead = part([past], reverse=False, limit_param=param(limit + 1), probe=False)
    behind = part([f"NOT ({past})"], reverse=True, limit_param="1", probe=True)
    return PageQuery(text=f"({ahead}) UNION ALL ({behind})", args=params)


def split_page(records: Sequence[Any], *, limit: int) -> KeysetPage:
    """Separates the probe row and the look-ahead row from a `keyset_page` result; each
    record keeps its columns minus the trailing marker."""
    ahead = [r[:-1] for r in records if not r[-1]]
    return KeysetPage(
        records=ahead[:limit],
        more_ahead=len(ahead) > limit,
        any_behind=any(r[-1] for r in records),
    )


def _past(order: Sequence[SortKey], values: Sequence[Any], *, backward: bool, param: Any) -> str:
    """Rows strictly after `values` in `order` (before, when backward)."""
    if len({key.descending for key in order}) == 1:
        # A row comparison when every key runs the same way: one predicate an index can use.
        op = ">" if order[0].descending == backward else "<"
        cols = ", ".join(key.column.sql for key in order)
        vals = ", ".join(param(v) for v in values)
        return f"({cols}) {op} ({vals})"
    # Mixed directions: (a past) OR (a equal AND b past) OR ...
    alternatives = []
    for i, key in enumerate(order):
        op = ">" if key.descending == backward else "<"
        equal = [f"{k.column.sql} = {param(v)}" for k, v in zip(order[:i], values[:i], strict=True)]
        alternatives.append(" AND ".join([*equal, f"{key.column.sql} {op} {param(values[i])}"]))
    return " OR ".join(f"({a})" for a in alternatives)
