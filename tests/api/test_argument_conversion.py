"""A large argument value is converted once per request, however many fields pass it, and
a small one once per plan and values of its variables.

Plans keep the converted arguments of small values only (large ones would pin memory for
as long as the document stays cached). A large filter variable passed to thirty aliases of
a field, or a nested connection's filter read for every parent of a level, must still be
converted once per request: Strawberry's conversion of a 199-condition filter costs about
as much as a small request, and it was paid once per alias and per parent. A literal filter
with a small variable in it is coerced and converted once for each value of the variable,
not again on every request.
"""

from __future__ import annotations

from typing import Any

import pytest

import engine.compiled.arguments
import engine.compiled.run
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient

WIDE = {"or": [{"name": {"eq": f"n{i}"}} for i in range(150)] + [{"name": {"eq": "Lamp"}}]}


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every conversion the compiled plans make (the real one, counted)."""
    seen: list[Any] = []
    real = engine.compiled.arguments.convert_arguments  # type: ignore[attr-defined]

    def counted(arguments: Any, *rest: Any, **options: Any) -> Any:
        seen.append(arguments)
        return real(arguments, *rest, **options)

    monkeypatch.setattr(engine.compiled.arguments, "convert_arguments", counted)
    return seen


@pytest.fixture
def coercions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every coercion of a field's arguments the compiled plans make (the real one)."""
    seen: list[Any] = []
    real = engine.compiled.run.get_argument_values  # type: ignore[attr-defined]

    def counted(*given: Any) -> Any:
        coerced = real(*given)
        seen.append(coerced)
        return coerced

    monkeypatch.setattr(engine.compiled.run, "get_argument_values", counted)
    return seen


async def test_a_literal_filter_is_coerced_once_for_each_value_of_its_variable(
    client: GraphQLClient, db: Database, conversions: list[Any], coercions: list[Any]
) -> None:
    for name, price in (("Lighting", "24.90"), ("Desks", "399.00"), ("Chairs", "5.00")):
        await factories.product(db, await factories.category(db, name=name), price=price)
    query = """query($c: String!) { products(first: 5,
      filter: {price: {gte: "10"}, category: {name: {eq: $c}}}) { nodes { price } } }"""
    asked = ["Lighting", "Desks", "Lighting", "Chairs", "Desks", "Lighting"]
    prices = [
        [n["price"] for n in (await client.data(query, {"c": c}))["products"]["nodes"]]
        for c in asked
    ]
    assert prices == [["24.90"], ["399.00"], ["24.90"], [], ["399.00"], ["24.90"]]
    assert [c["filter"]["category"]["name"]["eq"] for c in coercions] == [
        "Lighting",
        "Desks",
        "Chairs",
    ]
    assert len([c for c in conversions if c.get("filter") is not None]) == 3


async def test_one_large_filter_in_many_aliases_is_converted_once(
    client: GraphQLClient, db: Database, conversions: list[Any]
) -> None:
    await factories.product(db, await factories.category(db), name="Lamp")
    fields = " ".join(f"a{i}: products(first: 1, filter: $f) {{ totalCount }}" for i in range(25))
    data = await client.data(f"query($f: ProductFilter) {{ {fields} }}", {"f": WIDE})
    assert all(answer == {"totalCount": 1} for answer in data.values())
    assert len(conversions) == 1


async def test_a_nested_filter_is_converted_once_for_every_parent(
    client: GraphQLClient, db: Database, conversions: list[Any]
) -> None:
    for name in ("Lighting", "Desks", "Chairs"):
        await factories.product(db, await factories.category(db, name=name), name="Lamp")
    query = """query($f: ProductFilter) {
      categories(first: 10) { nodes { name products(filter: $f) { totalCount } } } }"""
    data = await client.data(query, {"f": WIDE})
    assert [n["products"]["totalCount"] for n in data["categories"]["nodes"]] == [1, 1, 1]
    wide = [c for c in conversions if c.get("filter") is not None]
    assert len(wide) == 1


async def test_a_large_literal_filter_is_not_kept_in_the_plan(
    client: GraphQLClient, db: Database, conversions: list[Any], coercions: list[Any]
) -> None:
    await factories.product(db, await factories.category(db), name="Lamp")
    wide = ", ".join(f'{{name: {{eq: "n{i}"}}}}' for i in range(150))
    query = f'{{ products(filter: {{or: [{wide}, {{name: {{eq: "Lamp"}}}}]}}) {{ totalCount }} }}'
    for _ in range(2):
        assert await client.data(query) == {"products": {"totalCount": 1}}
    assert len(coercions) == 2
    assert len([c for c in conversions if c.get("filter") is not None]) == 2
