"""Keyset pages, their counts and rev-checked patches, built over an entity's whitelist
(`sql.entity`) with its filter (`sql.filters`): the dynamic SQL of reads and writes.

Pages are keyset-based (never OFFSET): a page holds the rows strictly past a cursor in a
total order (`id` breaks ties), so no row is skipped or repeated between pages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import filterfalse
from operator import itemgetter
from typing import Any
from uuid import UUID

from sql.entity import Entity, SortKey
from sql.filters import Params, compile_filter


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


def sort_columns(spec: PageSpec) -> list[str]:
    """The names of the page statement's output columns holding each sort value."""
    positions = _sort_positions(spec)
    return [f"sort{i}" if at is None else spec.columns[at] for i, at in enumerate(positions)]


def split_page(records: Sequence[Sequence[Any]], *, spec: PageSpec) -> KeysetPage:
    """Separates a page statement's rows into records, sort values and the two flags."""
    width = len(spec.columns)
    apart = iter(range(width, width + len(spec.order)))
    sources = [next(apart) if at is None else at for at in _sort_positions(spec)]
    behind = itemgetter(-1)  # each record's last column: whether it lies behind the cursor
    ahead = list(filterfalse(behind, records))
    kept = ahead[: spec.limit]
    # itemgetter's loops run in C (a record's slice is a tuple); one key gives no tuple.
    sort_values = itemgetter(*sources) if len(sources) > 1 else lambda r: (r[sources[0]],)
    return KeysetPage(
        records=list(map(itemgetter(slice(0, width)), kept)),
        sort_values=list(map(sort_values, kept)),
        more_ahead=len(ahead) > spec.limit,
        any_behind=any(map(behind, records)),
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


def set_conditions(spec: PageSpec, params: Params, *, args_at: int | None = None) -> str:
    """The condition over `t0` of every row a page is cut from: liveness, static
    conditions, the owner scope and the filter (not the cursor, not the size). The page's
    own arguments are `params`' last ones, or start at `$args_at`."""
    if args_at is None:
        args_at = len(params.values) - len(spec.args) + 1
    render = _renderer(spec, alias="t0", first_arg=args_at)
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
