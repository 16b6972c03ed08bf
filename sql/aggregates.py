"""Aggregates over the whole set a page is cut from: count, and sum, avg, min and max of the
entity's measure columns.

This extends `sql.builder` under its rules: the set is the builder's (`set_conditions`:
liveness, owner scope, static conditions, filter), columns come only from the entity's
`measures` whitelist, functions only from `FUNCTIONS`, and values enter only as parameters.
One statement answers every measure of a selection; nested sets (each customer's orders)
are answered for every parent in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sql.builder import PageSpec, Statement, set_conditions
from sql.filters import Params
from sql.pages import fetch_for_parents
from sql.pool import Executor

FUNCTIONS = ("count", "sum", "avg", "min", "max")
_NUMBERS = (int, Decimal)
_ORDERED = (int, Decimal, datetime)


@dataclass(frozen=True, slots=True, order=True)
class Measure:
    """One aggregate: `count` of rows (no column), or a function of a measure column."""

    function: str
    column: str | None = None


def measure_sql(spec: PageSpec, measure: Measure, *, alias: str = "t0") -> str:
    """The SQL of one measure over `alias`; refuses what the whitelist does not allow."""
    if measure.function == "count" and measure.column is None:
        return "count(*)"
    column = spec.entity.measures.get(measure.column or "")
    if column is None or measure.function not in FUNCTIONS:
        raise ValueError(f"{spec.entity.table} has no measure {measure}")
    kinds = _NUMBERS if measure.function in ("sum", "avg") else _ORDERED
    if not issubclass(column.kind, kinds):
        raise ValueError(f"{measure.function} does not apply to {column.name}")
    return f"{measure.function}({alias}.{column.name})"


def aggregate_statement(spec: PageSpec, measures: Sequence[Measure]) -> Statement:
    """One row: each measure over the page's whole filtered set, in the order given."""
    params = Params(spec.args)
    where = set_conditions(spec, params)
    selected = ", ".join(measure_sql(spec, m) for m in measures)
    return Statement(
        text=f"SELECT {selected} FROM {spec.entity.table} AS t0 WHERE {where}",
        args=params.values,
    )


def nested_aggregate_statement(
    spec: PageSpec, measures: Sequence[Measure], *, parent_key: str
) -> Statement:
    """The same measures for many parents at once (`$1` is the array of parent ids); each
    row starts with its parent's id. An aggregate without GROUP BY always yields one row,
    so every parent gets one, empty sets included."""
    params = Params([None, *spec.args])
    where = set_conditions(spec, params)
    selected = ", ".join(measure_sql(spec, m) for m in measures)
    text = (
        f"SELECT parent.id, agg.* FROM unnest($1::uuid[]) AS parent(id) CROSS JOIN LATERAL "
        f"(SELECT {selected} FROM {spec.entity.table} AS t0 "
        f"WHERE t0.{parent_key} = parent.id AND {where}) AS agg"
    )
    return Statement(text=text, args=params.values)


Figures = dict[Measure, Any]
"""Each measure's value: counts are ints, sums and averages of money Decimals, sums of
integers ints, averages of integers Decimals, min/max of the column's type (None over an
empty set, except count)."""


async def aggregate_rows(
    executor: Executor, spec: PageSpec, *, measures: Sequence[Measure]
) -> Figures:
    statement = aggregate_statement(spec, measures)
    record = await executor.fetchrow(statement.text, *statement.args)
    assert record is not None  # an aggregate without GROUP BY always has its row
    return dict(zip(measures, tuple(record), strict=True))


async def aggregate_nested_rows(
    executor: Executor,
    spec: PageSpec,
    *,
    measures: Sequence[Measure],
    parent_key: str,
    parent_ids: list[UUID],
) -> dict[UUID, Figures]:
    statement = nested_aggregate_statement(spec, measures, parent_key=parent_key)
    records = await fetch_for_parents(executor, statement, parent_ids)
    return {r[0]: dict(zip(measures, tuple(r)[1:], strict=True)) for r in records}
