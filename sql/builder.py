"""The one place that builds dynamic SQL: filters, orderings and keyset pages.

Identifiers come only from each entity's declared whitelist (`Entity`); every value enters
as a `$n` parameter, and list values as one array parameter, so the text of a statement
depends only on the shape of the request, never on its values or their number. Pages are
keyset-based (never OFFSET): a page holds the rows strictly past a cursor in a total order
(`id` breaks ties), so no row is skipped or repeated between pages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

MAX_FILTER_DEPTH = 16
MAX_FILTER_CONDITIONS = 200
"""Conditions (operators, relations, `and`/`or`/`not` items) one filter may hold: variables
can carry a filter of any size, which the document's token limit never sees."""
MAX_FILTER_VALUES = 1_000
"""Values of one `in` or `nin`."""
MAX_FILTER_TEXT = 10_000
"""Characters of one text value, as many as the longest text a write accepts."""


class FilterError(ValueError):
    """A filter the entity's whitelist does not allow, or one past the bounds above."""


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


class Params:
    """Positional parameters of one statement."""

    def __init__(self, initial: Sequence[Any] = ()) -> None:
        self.values: list[Any] = list(initial)

    def add(self, value: Any, sql_type: str | None = None) -> str:
        self.values.append(value)
        placeholder = f"${len(self.values)}"
        return f"{placeholder}::{sql_type}" if sql_type else placeholder


@dataclass
class Aliases:
    """Table aliases of one filter's subqueries, and the conditions it has so far."""

    count: int = 0
    conditions: int = 0

    def next(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def condition(self) -> None:
        self.conditions += 1
        if self.conditions > MAX_FILTER_CONDITIONS:
            raise FilterError(f"a filter holds at most {MAX_FILTER_CONDITIONS} conditions")


# -- filters -------------------------------------------------------------------------------

_ORDERED = (int, Decimal, datetime, str)


def compile_filter(
    entity: Entity,
    spec: Mapping[str, Any] | None,
    *,
    alias: str,
    params: Params,
    aliases: Aliases | None = None,
    depth: int = 0,
) -> str:
    """The SQL condition for a filter over `alias`; fields of one object are ANDed."""
    if not spec:
        return "TRUE"
    if depth > MAX_FILTER_DEPTH:
        raise FilterError(f"filters nest at most {MAX_FILTER_DEPTH} levels deep")
    aliases = aliases or Aliases()
    parts: list[str] = []
    for name, value in spec.items():
        if value is None:
            continue
        aliases.condition()
        if name in ("and", "or"):
            inner = [
                compile_filter(
                    entity, item, alias=alias, params=params, aliases=aliases, depth=depth + 1
                )
                for item in value
            ]
            joiner = " AND " if name == "and" else " OR "
            empty = "TRUE" if name == "and" else "FALSE"
            parts.append("(" + joiner.join(inner) + ")" if inner else empty)
        elif name == "not":
            inner_sql = compile_filter(
                entity, value, alias=alias, params=params, aliases=aliases, depth=depth + 1
            )
            # Comparisons with NULL are unknown, and NOT unknown is unknown: a row whose
            # null field fails the inner filter must pass its negation.
            parts.append(f"NOT coalesce({inner_sql}, false)")
        else:
            target = entity.filterable.get(name)
            if target is None:
                raise FilterError(f"{entity.table} cannot be filtered by {name!r}")
            if isinstance(target, Relation):
                parts.append(
                    _relation(target, value, alias, params=params, aliases=aliases, depth=depth)
                )
            else:
                for _ in range(len(value) - 1):  # one condition per operator
                    aliases.condition()
                parts.extend(column_conditions(target, value, f"{alias}.{target.name}", params))
    return " AND ".join(f"({p})" for p in parts) if parts else "TRUE"


def _relation(
    relation: Relation,
    spec: Mapping[str, Any],
    outer: str,
    *,
    params: Params,
    aliases: Aliases,
    depth: int,
) -> str:
    entity = relation.target()
    inner = aliases.next()
    condition = compile_filter(
        entity, spec, alias=inner, params=params, aliases=aliases, depth=depth + 1
    )
    join = relation.join.format(outer=outer, inner=inner)
    live = entity.live.format(t=inner)
    return (
        f"EXISTS (SELECT 1 FROM {entity.table} AS {inner} WHERE {join} AND {live} AND {condition})"
    )


def column_conditions(
    column: Column, ops: Mapping[str, Any], ref: str, params: Params
) -> list[str]:
    """One condition per operator. NULL never equals, orders or contains anything: `neq` and
    `nin` hold for NULL, every other comparison fails on it."""
    parts = []
    for op, value in ops.items():
        if value is None:
            continue
        _check_size(op, value)
        if op == "eq":
            parts.append(f"{ref} = {params.add(value, column.sql_type)}")
        elif op == "neq":
            parts.append(f"{ref} IS DISTINCT FROM {params.add(value, column.sql_type)}")
        elif op == "in":
            parts.append(f"{ref} = ANY({params.add(list(value), column.sql_type + '[]')})")
        elif op == "nin":
            placeholder = params.add(list(value), column.sql_type + "[]")
            parts.append(f"({ref} IS NULL OR NOT ({ref} = ANY({placeholder})))")
        elif op in ("lt", "lte", "gt", "gte") and issubclass(column.kind, _ORDERED):
            symbol = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
            parts.append(f"{ref} {symbol} {params.add(value, column.sql_type)}")
        elif op in ("contains", "starts_with", "ends_with") and column.kind is str:
            pattern = _like_escape(value)
            pattern = {
                "contains": f"%{pattern}%",
                "starts_with": f"{pattern}%",
                "ends_with": f"%{pattern}",
            }[op]
            parts.append(f"{ref} ILIKE {params.add(pattern, 'text')}")
        elif op == "is_null":
            parts.append(f"{ref} IS {'' if value else 'NOT '}NULL")
        else:
            raise FilterError(f"operator {op!r} does not apply to {column.name}")
    return parts


def _check_size(op: str, value: Any) -> None:
    values = value if isinstance(value, list | tuple) else [value]
    if len(values) > MAX_FILTER_VALUES:
        raise FilterError(f"`{op}` takes at most {MAX_FILTER_VALUES} values (got {len(values)})")
    longest = max((len(v) for v in values if isinstance(v, str)), default=0)
    if longest > MAX_FILTER_TEXT:
        raise FilterError(
            f"a filter's text is at most {MAX_FILTER_TEXT} characters (got {longest})"
        )


def _like_escape(text: str) -> str:
    """User text matched literally by LIKE: its wildcards and the escape are escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- pages ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageSpec:
    """Everything one keyset page depends on except the parent (for nested pages)."""

    entity: Entity
    order: tuple[SortKey, ...]
    after: tuple[Any, ...] | None
    backward: bool
    limit: int
    filter: Mapping[str, Any] | None = None
    where: tuple[str, ...] = ()
    """Extra static conditions over `{t}`, using `args` as `{a0}`, `{a1}`, ...."""
    args: tuple[Any, ...] = field(default=())
    owner: UUID | None = None
    """The viewer's owner scope for customer-owned entities: None sees every row, a uuid
    only that customer's (the nil uuid: none)."""
    include_deleted: bool = False
    """Soft-deleted rows too (staff asking for them); live rows only otherwise."""
    omit: frozenset[str] = frozenset()
    """Fields the rows leave out (`sql.rows.leavable`)."""
    built: dict[str, Statement] = field(default_factory=dict, init=False, compare=False)
    """Statements built of it, by builder (`sql.pages.built`)."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the page selects."""
        if not self.omit:
            return self.entity.columns
        return tuple(c for c in self.entity.columns if c not in self.omit)


@dataclass(frozen=True, slots=True)
class Statement:
    text: str
    args: list[Any]


@dataclass(frozen=True, slots=True)
class KeysetPage:
    """Rows (as records of the entity's columns) with their sort values, in the order read,
    plus whether rows lie ahead of the page and behind its cursor."""

    records: list[tuple[Any, ...]]
    sort_values: list[tuple[Any, ...]]
    more_ahead: bool
    any_behind: bool


def page_statement(spec: PageSpec) -> Statement:
    """One statement for a page of `spec.entity`'s live rows.

    It reads `limit + 1` rows so the next page's existence is exact and, when there is a
    cursor, probes for one row on the other side of it so the previous page's existence is
    exact too. Each output row is: the entity's columns, the sort values, a `behind` flag.
    """
    params = Params(spec.args)
    body = page_body(spec, alias="t0", params=params, correlate=None)
    return Statement(text=body, args=params.values)


def nested_page_statement(spec: PageSpec, *, parent_key: str) -> Statement:
    """Pages for many parents in one statement: `$1` is the array of parent ids and
    `parent_key` the column pointing at the parent; each output row starts with its
    parent's id."""
    params = Params([None, *spec.args])
    body = page_body(spec, alias="t0", params=params, correlate=f"t0.{parent_key} = parent.id")
    text = (
        "SELECT parent.id, page.* FROM unnest($1::uuid[]) AS parent(id) "
        f"CROSS JOIN LATERAL ({body}) AS page"
    )
    return Statement(text=text, args=params.values)


def page_body(spec: PageSpec, *, alias: str, params: Params, correlate: str | None) -> str:
    entity = spec.entity
    render = _renderer(spec, alias=alias, first_arg=len(params.values) - len(spec.args) + 1)
    selected = ", ".join(f"{alias}.{c}" for c in spec.columns)
    sort_refs = [render(key.expression) for key in spec.order]
    apart = [i for i, at in enumerate(_sort_positions(spec)) if at is None]
    sorts = "".join(f"{sort_refs[i]} AS sort{i}, " for i in apart)
    conditions = [*_live_condition(spec, render), *(render(w) for w in spec.where)]
    conditions += _owner_condition(spec, render, params)
    if correlate:
        conditions.append(correlate)
    condition = compile_filter(entity, spec.filter, alias=alias, params=params)
    if condition != "TRUE":
        conditions.append(condition)

    def part(extra: list[str], *, reverse: bool, limit: str, probe: bool) -> str:
        where = " AND ".join(f"({c})" for c in [*conditions, *extra]) or "TRUE"
        ordering = ", ".join(
            key.sql(ref, reverse=spec.backward != reverse)
            for key, ref in zip(spec.order, sort_refs, strict=True)
        )
        return (
            f"SELECT {selected}, {sorts}{str(probe).lower()} AS behind "
            f"FROM {entity.table} AS {alias} WHERE {where} ORDER BY {ordering} LIMIT {limit}"
        )

    if spec.after is None:
        return part([], reverse=False, limit=params.add(spec.limit + 1), probe=False)
    past = _past(spec.order, sort_refs, spec.after, backward=spec.backward, params=params)
    ahead = part([past], reverse=False, limit=params.add(spec.limit + 1), probe=False)
    behind = part([f"NOT ({past})"], reverse=True, limit="1", probe=True)
    return f"({ahead}) UNION ALL ({behind})"


def _live_condition(spec: PageSpec, render: Callable[[str], str]) -> list[str]:
    return [] if spec.include_deleted else [render(spec.entity.live)]


def _owner_condition(spec: PageSpec, render: Callable[[str], str], params: Params) -> list[str]:
    if spec.entity.owner is None or spec.owner is None:
        return []
    return [f"{render(spec.entity.owner)} = {params.add(spec.owner, 'uuid')}"]


def _renderer(spec: PageSpec, *, alias: str, first_arg: int) -> Callable[[str], str]:
    """Fills a template's `{t}` with the alias and `{aN}` with the page's argument N."""
    refs = {f"a{i}": f"${first_arg + i}" for i in range(len(spec.args))}
    return lambda template: template.format(t=alias, **refs)


def _past(
    order: Sequence[SortKey],
    refs: Sequence[str],
    values: Sequence[Any],
    *,
    backward: bool,
    params: Params,
) -> str:
    """Rows strictly after `values` in `order` (before, when backward). Sort keys are never
    NULL (every sortable column is NOT NULL), so plain comparisons are exact."""
    if len({key.descending for key in order}) == 1:
        # A row comparison when every key runs the same way: one predicate an index can use.
        op = ">" if order[0].descending == backward else "<"
        placeholders = ", ".join(params.add(v) for v in values)
        return f"({', '.join(refs)}) {op} ({placeholders})"
    # Mixed directions: (a past) OR (a equal AND b past) OR ...
    alternatives = []
    for i, key in enumerate(order):
        op = ">" if key.descending == backward else "<"
        equal = [f"{refs[j]} = {params.add(values[j])}" for j in range(i)]
        alternatives.append(" AND ".join([*equal, f"{refs[i]} {op} {params.add(values[i])}"]))
    return " OR ".join(f"({a})" for a in alternatives)


def _sort_positions(spec: PageSpec) -> list[int | None]:
    """For each sort key that is one of the selected columns, its position among them: its
    values are read off the rows, not selected again (a price decoded twice); None for the
    others, selected after the columns."""
    positions = {f"{{t}}.{column}": i for i, column in enumerate(spec.columns)}
    return [positions.get(key.expression) for key in spec.order]


def split_page(records: Sequence[Sequence[Any]], *, spec: PageSpec) -> KeysetPage:
    """Separates a page statement's rows into records, sort values and the two flags."""
    width = len(spec.columns)
    apart = iter(range(width, width + len(spec.order)))
    sources = [next(apart) if at is None else at for at in _sort_positions(spec)]
    ahead = [r for r in records if not r[-1]]
    kept = ahead[: spec.limit]
    # itemgetter's loops run in C (a record's slice is a tuple); one key gives no tuple.
    sort_values = itemgetter(*sources) if len(sources) > 1 else lambda r: (r[sources[0]],)
    return KeysetPage(
        records=list(map(itemgetter(slice(0, width)), kept)),
        sort_values=list(map(sort_values, kept)),
        more_ahead=len(ahead) > spec.limit,
        any_behind=any(r[-1] for r in records),
    )


def count_statement(spec: PageSpec) -> Statement:
    """How many live rows match the page's filter (its cursor and size do not matter)."""
    params = Params(spec.args)
    where = set_conditions(spec, params)
    return Statement(
        text=f"SELECT count(*) FROM {spec.entity.table} AS t0 WHERE {where}", args=params.values
    )


def nested_count_statement(spec: PageSpec, *, parent_key: str) -> Statement:
    """Counts for many parents at once; `$1` is the array of parent ids."""
    params = Params([None, *spec.args])
    where = set_conditions(spec, params)
    text = (
        "SELECT parent.id, (SELECT count(*) FROM "
        f"{spec.entity.table} AS t0 WHERE t0.{parent_key} = parent.id AND {where}) "
        "FROM unnest($1::uuid[]) AS parent(id)"
    )
    return Statement(text=text, args=params.values)


def set_conditions(spec: PageSpec, params: Params) -> str:
    """The condition over `t0` of every row a page is cut from: liveness, static
    conditions, the owner scope and the filter (not the cursor, not the size)."""
    render = _renderer(spec, alias="t0", first_arg=len(params.values) - len(spec.args) + 1)
    conditions = [*_live_condition(spec, render), *(render(w) for w in spec.where)]
    conditions += _owner_condition(spec, render, params)
    condition = compile_filter(spec.entity, spec.filter, alias="t0", params=params)
    return " AND ".join(f"({c})" for c in [*conditions, condition])


# -- writes --------------------------------------------------------------------------------


def patch_statement(entity: Entity, changes: Mapping[str, Any]) -> Statement:
    """`UPDATE` of a live row at an expected revision: `$1` is the id, `$2` the rev.

    Only the columns in `changes` are set (each must be writable); the revision and
    `updated_at` move in the same statement. No row back means stale or missing.
    """
    unknown = set(changes) - entity.writable
    if unknown:
        raise ValueError(f"{entity.table} cannot set {sorted(unknown)}")
    params = Params([None, None])
    sets = [f"{column} = {params.add(value)}" for column, value in changes.items()]
    sets += ["rev = rev + 1", "updated_at = now()"]
    text = (
        f"UPDATE {entity.table} SET {', '.join(sets)} "
        "WHERE id = $1 AND rev = $2 AND deleted_at IS NULL "
        f"RETURNING {', '.join(entity.columns)}"
    )
    return Statement(text=text, args=params.values)
