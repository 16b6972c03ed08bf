"""Statements for groups of the set a page is cut from (`sql.group_spec`): keys, measures
per group, `having`, and keyset pages of groups.

This extends `sql.builder` under its rules: the set is the builder's (`set_conditions`),
group keys come only from the entity's `groupable` columns or its timestamp `measures`
(bucketed by a unit from `BUCKETS`, in a time zone passed as a parameter), measures only
through `sql.aggregates.measure_sql`, and every value is a parameter. One statement reads a
page of groups; nested sets (each customer's orders) get a page each in one statement.

Group keys and measures may be NULL (a bucket of `paid_at`, the least `shipped_at`), so the
keyset predicate is written for the cursor's actual values: ascending steps put NULL last
and descending ones first, as PostgreSQL does by default, and a NULL cursor value compares
with `IS NULL` instead of `=`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sql.aggregates import Measure, measure_sql
from sql.builder import PageSpec, Statement, set_conditions
from sql.entity import Column, SortKey
from sql.filters import Params, column_conditions
from sql.group_spec import Group, GroupPage, GroupSpec, group_sort_keys, key_column, measure_kind
from sql.pages import by_parent, fetch_for_parents
from sql.pool import Executor


def group_statement(spec: GroupSpec) -> Statement:
    params = Params(spec.set.args)
    return Statement(text=_body(spec, params, correlate=None), args=params.values)


def nested_group_statement(spec: GroupSpec, *, parent_key: str) -> Statement:
    """Pages of groups for many parents at once: `$1` is the array of parent ids; each row
    starts with its parent's id."""
    params = Params([None, *spec.set.args])
    body = _body(spec, params, correlate=f"t0.{parent_key} = parent.id")
    text = (
        "SELECT parent.id, page.* FROM unnest($1::uuid[]) AS parent(id) "
        f"CROSS JOIN LATERAL ({body}) AS page"
    )
    return Statement(text=text, args=params.values)


def _grouped(spec: GroupSpec, params: Params, correlate: str | None) -> str:
    where = set_conditions(spec.set, params)
    if correlate:
        where = f"{correlate} AND {where}"
    zone = params.add(spec.time_zone, "text") if any(k.bucket for k in spec.keys) else ""
    keys = []
    for i, grouping in enumerate(spec.keys):
        ref = f"t0.{key_column(spec, grouping).name}"
        if grouping.bucket is not None:
            ref = f"date_trunc('{grouping.bucket}', {ref}, {zone})"
        keys.append(f"{ref} AS k{i}")
    measures = [f"{measure_sql(spec.set, m)} AS m{i}" for i, m in enumerate(spec.measures)]
    numbers = ", ".join(str(i + 1) for i in range(len(keys)))
    having = _having(spec, params)
    return (
        f"SELECT {', '.join(keys + measures)} FROM {spec.set.entity.table} AS t0 "
        f"WHERE {where} GROUP BY {numbers} HAVING {having}"
    )


def _having(spec: GroupSpec, params: Params) -> str:
    parts = []
    for function, value in (spec.having or {}).items():
        if value is None:
            continue
        if function == "count":
            count = Column("count", int, "bigint")
            parts += column_conditions(count, value, "count(*)", params)
            continue
        for column, ops in value.items():
            measure = Measure(function, column)
            kind = measure_kind(spec, measure)
            sql_type = {int: "bigint", datetime: "timestamptz"}.get(kind, "numeric")
            ref = measure_sql(spec.set, measure)
            parts += column_conditions(Column(ref, kind, sql_type, nullable=True), ops, ref, params)
    return " AND ".join(f"({p})" for p in parts) if parts else "TRUE"


def _body(spec: GroupSpec, params: Params, correlate: str | None) -> str:
    grouped = _grouped(spec, params, correlate)
    order = group_sort_keys(spec)

    def part(extra: str, *, reverse: bool, limit: str, probe: bool) -> str:
        ordering = ", ".join(
            f"{key.expression} {'DESC' if key.descending != reverse else 'ASC'}" for key in order
        )
        return (
            f"SELECT g.*, {str(probe).lower()} AS behind FROM g WHERE {extra} "
            f"ORDER BY {ordering} LIMIT {limit}"
        )

    flip = spec.backward
    order = tuple(SortKey(k.expression, k.kind, k.descending != flip, nullable=True) for k in order)
    if spec.after is None:
        ahead = part("TRUE", reverse=False, limit=params.add(spec.limit + 1), probe=False)
        return f"WITH g AS ({grouped}) {ahead}"
    past = _past(order, spec.after, params)
    ahead = part(past, reverse=False, limit=params.add(spec.limit + 1), probe=False)
    behind = part(f"NOT {past}", reverse=True, limit="1", probe=True)
    return f"WITH g AS ({grouped}) ({ahead}) UNION ALL ({behind})"


def _past(order: Sequence[SortKey], values: Sequence[Any], params: Params) -> str:
    """Groups strictly after `values` in `order`, NULLs last ascending and first
    descending; never NULL itself."""
    alternatives = []
    for i, key in enumerate(order):
        equal = [_equal(order[j].expression, values[j], params) for j in range(i)]
        alternatives.append(" AND ".join([*equal, _after(key, values[i], params)]))
    return "(" + " OR ".join(f"({a})" for a in alternatives) + ")"


def _equal(ref: str, value: Any, params: Params) -> str:
    return f"{ref} IS NULL" if value is None else f"coalesce({ref} = {params.add(value)}, false)"


def _after(key: SortKey, value: Any, params: Params) -> str:
    ref = key.expression
    if value is None:
        return f"{ref} IS NOT NULL" if key.descending else "FALSE"
    if key.descending:
        return f"coalesce({ref} < {params.add(value)}, false)"
    return f"({ref} IS NULL OR {ref} > {params.add(value)})"


def _groups(spec: GroupSpec, records: Sequence[Any]) -> GroupPage:
    width = len(spec.keys)
    order = group_sort_keys(spec)
    ahead = [r for r in records if not r[-1]]
    kept = ahead[: spec.limit]
    groups = []
    for record in kept:
        keys = tuple(record[:width])
        values = tuple(record[width : width + len(spec.measures)])
        row = {f"g.k{i}": v for i, v in enumerate(keys)}
        row.update({f"g.m{i}": v for i, v in enumerate(values)})
        groups.append(
            Group(
                keys=keys,
                figures=dict(zip(spec.measures, values, strict=True)),
                sort_values=tuple(row[key.expression] for key in order),
            )
        )
    return GroupPage(
        groups=groups, more_ahead=len(ahead) > spec.limit, any_behind=any(r[-1] for r in records)
    )


async def fetch_groups(executor: Executor, spec: GroupSpec) -> GroupPage:
    statement = group_statement(spec)
    return _groups(spec, await executor.fetch(statement.text, *statement.args))


async def fetch_nested_groups(
    executor: Executor,
    spec: PageSpec,
    *,
    groups: GroupSpec,
    parent_key: str,
    parent_ids: list[UUID],
) -> dict[UUID, GroupPage]:
    """`groups` of the set `spec` for every parent, in one statement."""
    statement = nested_group_statement(groups, parent_key=parent_key)
    found = by_parent(await fetch_for_parents(executor, statement, parent_ids))
    return {parent: _groups(groups, found.get(parent, [])) for parent in parent_ids}


def group_count_statement(spec: GroupSpec, *, parent_key: str | None = None) -> Statement:
    """How many groups there are (for many parents at once when `parent_key` is given:
    `$1` is the array of parent ids)."""
    if parent_key is None:
        params = Params(spec.set.args)
        grouped = _grouped(spec, params, correlate=None)
        return Statement(text=f"SELECT count(*) FROM ({grouped}) AS g", args=params.values)
    params = Params([None, *spec.set.args])
    grouped = _grouped(spec, params, correlate=f"t0.{parent_key} = parent.id")
    text = (
        f"SELECT parent.id, (SELECT count(*) FROM ({grouped}) AS g) "
        "FROM unnest($1::uuid[]) AS parent(id)"
    )
    return Statement(text=text, args=params.values)


async def count_groups(executor: Executor, spec: GroupSpec) -> int:
    statement = group_count_statement(spec)
    count: int = await executor.fetchval(statement.text, *statement.args)
    return count


async def count_nested_groups(
    executor: Executor,
    spec: PageSpec,
    *,
    groups: GroupSpec,
    parent_key: str,
    parent_ids: list[UUID],
) -> dict[UUID, int]:
    statement = group_count_statement(groups, parent_key=parent_key)
    records = await fetch_for_parents(executor, statement, parent_ids)
    return {record[0]: record[1] for record in records}
