"""The aggregate statements: the builder's set, whitelisted measures only, values only as
parameters; and what aggregates cost in the estimate."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import pytest

from engine.cost import CostModel
from engine.limits import QueryLimits
from engine.parsing import parse_document
from gql.schema import schema
from sql.aggregates import Measure, aggregate_statement, nested_aggregate_statement
from sql.entity import Column, Entity
from tests.unit.test_builder import THINGS, spec

DATED = Entity(
    table="things",
    row_type=THINGS.row_type,
    filterable=THINGS.filterable,
    sortable=THINGS.sortable,
    owner="{t}.owner_id",
    measures={
        "price": Column("price", Decimal, "numeric"),
        "made_at": Column("made_at", datetime, "timestamptz", nullable=True),
    },
)
PRICE_SUM = Measure("sum", "price")


def test_one_row_of_every_measure_over_the_filtered_set() -> None:
    measures = (Measure("count"), PRICE_SUM, Measure("avg", "price"), Measure("max", "made_at"))
    statement = aggregate_statement(
        spec(entity=DATED, filter={"name": {"eq": "x"}}, owner=None), measures
    )
    assert statement.text == (
        "SELECT count(*), sum(t0.price), avg(t0.price), max(t0.made_at) FROM things AS t0 "
        "WHERE (t0.deleted_at IS NULL) AND ((t0.name = $1::text))"
    )
    assert statement.args == ["x"]


def test_owner_scope_and_parents_are_parameters() -> None:
    owner = UUID(int=7)
    statement = nested_aggregate_statement(
        spec(entity=DATED, owner=owner), (PRICE_SUM,), parent_key="owner_id"
    )
    assert statement.text == (
        "SELECT parent.id, agg.* FROM unnest($1::uuid[]) AS parent(id) CROSS JOIN LATERAL "
        "(SELECT sum(t0.price) FROM things AS t0 WHERE t0.owner_id = parent.id AND "
        "(t0.deleted_at IS NULL) AND (t0.owner_id = $2::uuid) AND (TRUE)) AS agg"
    )
    assert statement.args == [None, owner]


@pytest.mark.parametrize(
    "measure",
    [Measure("sum", "made_at"), Measure("avg", "name"), Measure("median", "price"), Measure("max")],
)
def test_measures_outside_the_whitelist_are_refused(measure: Measure) -> None:
    with pytest.raises(ValueError, match=r"measure|does not apply"):
        aggregate_statement(spec(entity=DATED), (measure,))


def test_an_aggregate_and_each_of_its_parts_count_as_objects() -> None:
    limits = QueryLimits()
    model = CostModel(schema._schema)

    def cost(text: str) -> int:
        return model.plan(parse_document(text, limits)).estimate(None, variables={}, limits=limits)

    assert cost("{ orders(first: 5) { aggregate { count } } }") == 1 + 1
    assert cost("{ orders(first: 5) { aggregate { count sum { total } max { total } } } }") == 4
    nested = "{ customers(first: 10) { nodes { orders { aggregate { sum { total } } } } } }"
    assert cost(nested) == 1 + 10 * (1 + 1 + 1 + 1)


def test_a_group_counts_as_an_object_and_first_bounds_groups() -> None:
    limits = QueryLimits()
    model = CostModel(schema._schema)

    def cost(text: str) -> int:
        return model.plan(parse_document(text, limits)).estimate(None, variables={}, limits=limits)

    group = "{ key { status customer { name } } aggregate { count sum { total } } }"
    # orders, groupBy, and per group: the group, its key, the customer, aggregate, sum
    assert (
        cost(f"{{ orders {{ groupBy(by: [{{field: STATUS}}], first: 5) {{ nodes {group} }} }} }}")
        == 2 + 5 * 5
    )
    assert (
        cost(f"{{ orders {{ groupBy(by: [{{field: STATUS}}]) {{ nodes {group} }} }} }}")
        == 2 + 20 * 5
    )
    assert (
        cost(f"{{ orders {{ groupBy(by: [{{field: STATUS}}], last: 500) {{ nodes {group} }} }} }}")
        == 2 + 100 * 5
    )


def test_the_rows_of_groups_count_per_group() -> None:
    limits = QueryLimits()
    model = CostModel(schema._schema)
    text = """{ orders { groupBy(by: [{field: STATUS}], first: 5) {
                nodes { orders(first: 3) { nodes { number } } } } } }"""
    cost = model.plan(parse_document(text, limits)).estimate(None, variables={}, limits=limits)
    assert cost == 2 + 5 * (1 + 1 + 3)  # each group, its connection, its rows
