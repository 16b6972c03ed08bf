"""Relations whose subtrees the database renders (`sql.rendered`) answer byte for byte as
graphql-core does, as every viewer: awkward texts, decimals of every size, empty lists,
soft-deleted targets, aliases, `__typename` and `@include`/`@skip` inside the subtree, and
subtrees holding a field that is not rendered (read row by row instead)."""

from __future__ import annotations

from typing import Any

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.test_compiled_reads import OWNER, THEIR_PAID, VIEWERS, Pair
from tests.api.test_compiled_reads import pair as pair

AWKWARD = 'Quote " back\\slash\n\t\r\b\f \x01\x1f\x7f é 😀 \u2028 </script>'

DEEP = """{ orders(first: 50) { nodes { number total
  customer { name email rev __typename }
  lines { quantity unitPrice
    product { name description price stock sku category { name description } } } } } }"""


async def _all_rendered(pair: Pair, body: dict[str, Any]) -> list[Any]:
    """The answer's data as every viewer who sees orders, each identical on both paths,
    compiled and with a subtree rendered by the database."""
    found = []
    for viewer in VIEWERS:
        answer = await pair.send(body, viewer=viewer)
        assert answer.abandoned == 0
        assert "errors" not in answer.json, answer.json
        if viewer != "anonymous":
            assert answer.rendered, viewer
        found.append(answer.json["data"])
    return found


async def test_awkward_texts_and_decimals_answer_identically(pair: Pair, db: Database) -> None:
    category = await factories.category(db, AWKWARD, description=AWKWARD)
    prices = ["0.00", "0.01", "0.10", "1.10", "100", "12345678.90"]
    products = [
        await factories.product(db, category, f"{AWKWARD}{p}", price=p, description=None)
        for p in prices
    ]
    await factories.order(db, OWNER, [(p, i + 1) for i, p in enumerate(products)])
    await factories.customer(db, AWKWARD)

    staff, *_ = await _all_rendered(pair, {"query": DEEP})
    (lines,) = [o["lines"] for o in staff["orders"]["nodes"] if len(o["lines"]) == len(prices)]
    assert [line["product"]["price"] for line in lines] == [
        "0.00",
        "0.01",
        "0.10",
        "1.10",
        "100.00",
        "12345678.90",
    ]
    assert {line["product"]["category"]["name"] for line in lines} == {AWKWARD}
    assert {line["product"]["description"] for line in lines} == {None}


async def test_an_order_without_lines_has_an_empty_list(pair: Pair, db: Database) -> None:
    await factories.order(db, OWNER, [])
    staff, mine, _ = await _all_rendered(pair, {"query": DEEP})
    for data in (staff, mine):
        assert [] in [o["lines"] for o in data["orders"]["nodes"]]


async def test_soft_deleted_targets_show_as_they_did(pair: Pair) -> None:
    """A soft-deleted product of a line is still shown (history stays), as the loaders
    read it; so is a soft-deleted customer of a live order."""
    staff, mine, _ = await _all_rendered(pair, {"query": DEEP})
    shipped = next(o for o in mine["orders"]["nodes"] if len(o["lines"]) == 3)
    assert "Rocking chair" in [line["product"]["name"] for line in shipped["lines"]]
    assert {o["customer"]["name"] for o in mine["orders"]["nodes"]} == {"Ada Lovelace"}
    assert len(staff["orders"]["nodes"]) > len(mine["orders"]["nodes"])


async def test_a_customer_of_a_soft_deleted_customer_s_order(pair: Pair, db: Database) -> None:
    gone = await factories.customer(db, "Gone Soon")
    category = await factories.category(db, "Attic two")
    relic = await factories.product(db, category, "Relic")
    await factories.order(db, gone, [(relic, 1)])
    for table, id in (("customers", gone), ("products", relic), ("categories", category)):
        await factories.soft_delete(db, table, id)
    staff, *_ = await _all_rendered(pair, {"query": DEEP})
    names = {o["customer"]["name"] for o in staff["orders"]["nodes"]}
    assert "Gone Soon" in names


SHAPED = """query Q($yes: Boolean!, $no: Boolean!) {
  a: orders(first: 3) { edges { node {
    who: customer { kind: __typename n: name name @include(if: $yes) email @skip(if: $yes) }
    lines { __typename
      ... on OrderLine { q: quantity unitPrice @skip(if: $no) }
      ...More @include(if: $yes)
      product @skip(if: $no) { price name cat: category { __typename name } }
      product { sku } } } } } }
fragment More on OrderLine { product { category { description } } quantity }"""


async def test_aliases_typenames_and_conditions_inside_subtrees(pair: Pair) -> None:
    query = SHAPED
    for yes in (True, False):
        for no in (True, False):
            data = await _all_rendered(pair, {"query": query, "variables": {"yes": yes, "no": no}})
            staff = data[0]["a"]["edges"][0]["node"]
            assert list(staff["who"]) == ["kind", "n", "name"] if yes else ["kind", "n", "email"]
            line = staff["lines"][0]
            assert line["__typename"] == "OrderLine"
            assert ("unitPrice" in line) is not no
            assert ("cat" in line["product"]) is not no


async def test_another_customer_s_order_is_null(pair: Pair) -> None:
    query = (
        f'{{ order(id: "{to_global_id("Order", THEIR_PAID)}") {{ number customer {{ name }} }} }}'
    )
    staff = await pair.send({"query": query})
    assert staff.rendered
    assert staff.json["data"]["order"]["customer"] == {"name": "Grace Hopper"}
    mine = await pair.send({"query": query}, viewer="customer")
    assert mine.json["data"] == {"order": None}
    assert not mine.rendered


async def test_a_subtree_with_a_field_not_rendered_is_read_row_by_row(pair: Pair) -> None:
    """`subtotal` is worked out in Python, `placedAt` is a time, `productCount` counted:
    their subtrees are read as rows; a global id is rendered, and a sibling subtree of
    plain fields still is. Rows
    read by another field too (or that an abstract type's selection might read) are read
    through the loaders, which read them once."""
    for query, rendered in [
        ("{ orders { nodes { lines { subtotal } } } }", False),
        ("{ orders { nodes { lines { id quantity } } } }", True),
        ("{ orders { nodes { lines { quantity order { placedAt } } } } }", False),
        ("{ orders { nodes { lines { product { category { productCount } } } } } }", False),
        ("{ orders { nodes { status lines { subtotal } customer { name } } } }", True),
        # Rows the loaders would read once for two fields: read so, not rendered.
        ("{ orders { nodes { lines { order { number } } } } }", False),
        (
            "{ a: orders { nodes { customer { name } } }"
            " b: orders { nodes { lines { quantity } } } }",
            True,
        ),
        (
            "{ a: orders { nodes { customer { name } } }"
            " b: orders { nodes { customer { email } } } }",
            False,
        ),
        ('{ node(id: "x") { __typename } orders { nodes { customer { name } } } }', False),
    ]:
        answer = await pair.send({"query": query})
        assert answer.abandoned == 0
        assert answer.rendered is rendered, query
