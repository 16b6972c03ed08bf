"""Subtrees rendered by PostgreSQL (`sql.rendered`): the bytes orjson writes for the same
values, the loaders' visibility, and null where a value that may not be null is."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import orjson
import pytest

from engine.node_ids import to_global_id
from resolvers import orders, products
from sql.categories import CATEGORY
from sql.customers import CUSTOMER
from sql.orders import LINES_BY_ORDER
from sql.pool import Database
from sql.products import PRODUCT
from sql.rendered import Base64Of, Output, Source, Subtree, level_statement
from tests import factories

AWKWARD = 'Quote " back\\slash\n\t\r\b\f \x01\x1f\x7f é 😀 \u2028 </script>'

CATEGORY_NAME = Subtree(
    Source(CATEGORY.by_ids_statement, "category_id"),
    False,
    (Output("__typename", "literal", '"Category"'), Output("label", "json", "name")),
)
PRODUCT_OF = Subtree(
    Source(PRODUCT.by_ids_statement, "product_id"),
    False,
    (
        Output("name", "json", "name"),
        Output("description", "json", "description", nullable=True),
        Output("price", "decimal", "price"),
        Output("stock", "plain", "stock"),
        Output("category", "one", CATEGORY_NAME),
    ),
)
LINES = Subtree(
    Source(LINES_BY_ORDER, "id", ("position",), "order_id"),
    True,
    (Output("quantity", "plain", "quantity"), Output("product", "one", PRODUCT_OF)),
)
CUSTOMER_NAME = Subtree(
    Source(CUSTOMER.by_ids_statement, "customer_id"), False, (Output("name", "json", "name"),)
)


def _expected(product: dict[str, object], quantity: int) -> dict[str, object]:
    return {"quantity": quantity, "product": product}


async def test_texts_and_decimals_are_the_bytes_orjson_writes(db: Database) -> None:
    category = await factories.category(db, AWKWARD)
    prices = ["0.00", "0.01", "1.10", "100", "99999999.99"]
    products = [
        await factories.product(db, category, f"{AWKWARD} {p}", price=p, description=None)
        for p in prices
    ]
    customer = await factories.customer(db, AWKWARD)
    order = await factories.order(db, customer, [(p, i + 1) for i, p in enumerate(products)])
    empty = await factories.order(db, customer, [])

    statement = level_statement([LINES, CUSTOMER_NAME])
    rows = await statement.fetch(db, [[order, empty], [customer, customer]], None)
    lines = [
        _expected(
            {
                "name": f"{AWKWARD} {p}",
                "description": None,
                "price": str(Decimal(p).quantize(Decimal("0.01"))),
                "stock": 10,
                "category": {"__typename": "Category", "label": AWKWARD},
            },
            i + 1,
        )
        for i, p in enumerate(prices)
    ]
    name = orjson.dumps({"name": AWKWARD}).decode()
    assert rows == [(orjson.dumps(lines).decode(), name), ("[]", name)]


async def test_the_owner_scope_of_the_loaders_holds(db: Database) -> None:
    category = await factories.category(db)
    product = await factories.product(db, category)
    alice, bob = await factories.customer(db, "Alice"), await factories.customer(db, "Bob")
    order = await factories.order(db, alice, [(product, 1)])

    statement = level_statement([LINES, CUSTOMER_NAME])
    mine = await statement.fetch(db, [[order], [alice]], alice)
    theirs = await statement.fetch(db, [[order], [alice]], bob)
    assert mine[0][1] == '{"name":"Alice"}'
    assert str(mine[0][0]).startswith('[{"quantity":1,')
    # Bob sees no lines of Alice's order, and not Alice: a missing to-one target is null.
    assert theirs == [("[]", None)]


async def test_a_missing_value_that_may_not_be_null_makes_the_text_null(db: Database) -> None:
    category = await factories.category(db)
    product = await factories.product(db, category, description=None)
    customer = await factories.customer(db)
    order = await factories.order(db, customer, [(product, 1)])
    # The description rendered as if it could not be null: the line, then the list, is null.
    strict = Subtree(PRODUCT_OF.source, False, (Output("description", "json", "description"),))
    lines = Subtree(LINES.source, True, (Output("product", "one", strict),))
    statement = level_statement([lines])
    assert await statement.fetch(db, [[order, uuid4()]], None) == [(None,), ("[]",)]


async def test_soft_deleted_targets_are_read_as_the_loaders_read_them(db: Database) -> None:
    category = await factories.category(db, "Old")
    product = await factories.product(db, category, "Gone")
    customer = await factories.customer(db, "Left")
    order = await factories.order(db, customer, [(product, 2)])
    for table, id in (("products", product), ("categories", category), ("customers", customer)):
        await factories.soft_delete(db, table, id)

    statement = level_statement([LINES, CUSTOMER_NAME])
    ((lines, name),) = await statement.fetch(db, [[order], [customer]], None)
    assert lines is not None
    assert orjson.loads(lines)[0]["product"]["name"] == "Gone"
    assert orjson.loads(lines)[0]["product"]["category"]["label"] == "Old"
    assert name == '{"name":"Left"}'


def test_parents_keys_go_in_order_and_the_owner_is_typed() -> None:
    statement = level_statement([CATEGORY_NAME, PRODUCT_OF])
    assert statement.keys == ("category_id", "product_id")
    assert "$2::uuid IS NULL" in statement.text  # in no by-id statement of these
    assert "$3::uuid[]" in statement.text
    assert "$4::text[]" in statement.text


def _named(subtree: Subtree, prefix: str) -> Subtree:
    """The same subtree with every output key renamed (as a client's aliases would)."""
    outputs = tuple(
        Output(
            prefix + o.key,
            o.kind,
            _named(o.value, prefix) if isinstance(o.value, Subtree) else o.value,
            o.nullable,
        )
        for o in subtree.outputs
    )
    return Subtree(subtree.source, subtree.many, outputs)


async def test_output_keys_are_parameters_not_statement_text(db: Database) -> None:
    """Keys are the client's aliases: none reaches the statement's text, so aliases cannot
    change what is prepared, and a key with a quote is written as JSON escapes it."""
    category = await factories.category(db, "C")
    product = await factories.product(db, category, "P")
    plain = level_statement([PRODUCT_OF])
    named = level_statement([_named(PRODUCT_OF, "a'\"b_")])
    assert named.text == plain.text
    assert "a'" not in named.text
    assert '"name"' not in named.text
    ((shown,),) = await named.fetch(db, [[product]], None)
    assert shown is not None
    assert set(orjson.loads(shown)) == {"a'\"b_" + key for key in PRODUCT_OF.keys}


async def test_rendered_sources_read_only_columns_rendered_exactly(db: Database) -> None:
    """Rendering writes an int as its text and a decimal as its digits: exact for
    `integer`/`smallint` (graphql's Int range) and `numeric` of a fixed scale of at most 6
    (where `str(Decimal)` writes no exponent). A source with another kind of column needs
    `gql.rendered` to leave it to the loaders."""
    sources = [v for m in (orders, products) for v in vars(m).values() if isinstance(v, Source)]
    assert len(sources) >= 5
    async with db.pool.acquire() as connection:
        for source in sources:
            statement = await connection.prepare(source.statement.one)
            types = {a.name: a.type.name for a in statement.get_attributes()}
            assert "int8" not in types.values(), (source, types)
        loose = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND data_type = 'numeric'"
            " AND (numeric_scale IS NULL OR numeric_scale > 6)"
        )
    assert loose == []


async def test_a_level_with_two_key_columns_and_no_owner_runs(db: Database) -> None:
    category = await factories.category(db, "C")
    product = await factories.product(db, category, "P")
    statement = level_statement([CATEGORY_NAME, PRODUCT_OF])
    ((label, shown),) = await statement.fetch(db, [[category], [product]], None)
    assert label == '{"__typename":"Category","label":"C"}'
    assert orjson.loads(shown or "null")["name"] == "P"


async def test_a_list_keeps_its_order_whatever_the_rows_physical_order(db: Database) -> None:
    category = await factories.category(db)
    made = [await factories.product(db, category, f"P{i}") for i in range(4)]
    customer = await factories.customer(db)
    first = await factories.order(db, customer, [(p, 1) for p in made])
    second = await factories.order(db, customer, [(p, 2) for p in reversed(made)])
    # Positions reversed in place: the rows' physical order is now the lists' reverse.
    for order in (first, second):
        await db.execute(
            "UPDATE order_lines SET position = position + 10 WHERE order_id = $1", order
        )
        await db.execute(
            "UPDATE order_lines SET position = 15 - position WHERE order_id = $1", order
        )
    names = Subtree(PRODUCT_OF.source, False, (Output("name", "json", "name"),))
    lines = Subtree(LINES.source, True, (Output("product", "one", names),))
    rows = await level_statement([lines]).fetch(db, [[second, first]], None)
    shown = [[line["product"]["name"] for line in orjson.loads(text or "")] for (text,) in rows]
    assert shown == [["P0", "P1", "P2", "P3"], ["P3", "P2", "P1", "P0"]]


async def test_a_row_shared_by_many_parents_is_read_once(db: Database) -> None:
    """As the loaders do: one product on the lines of two orders, and one category under
    two products, are each read (and written) once."""
    category = await factories.category(db, "Shared")
    shared, other = await factories.product(db, category), await factories.product(db, category)
    customer = await factories.customer(db)
    orders = [await factories.order(db, customer, [(shared, 1), (other, 1)]) for _ in range(3)]
    statement = level_statement([LINES])
    args = [orders, None, list(statement.heads)]
    [[plan]] = await db.fetch(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement.text}", *args)
    read: dict[str, int] = {}
    pending = [orjson.loads(plan)[0]["Plan"]]
    while pending:
        node = pending.pop()
        pending.extend(node.get("Plans", ()))
        if "Relation Name" in node:
            rows = node["Actual Rows"] * node["Actual Loops"]
            read[node["Relation Name"]] = read.get(node["Relation Name"], 0) + rows
    assert read == {"order_lines": 6, "products": 2, "categories": 1}
    texts = [text for (text,) in await statement.fetch(db, [orders], None)]
    assert len(set(texts)) == 1
    assert '"label":"Shared"' in str(texts[0])


def test_a_source_matches_its_keys_to_a_column_its_statement_matches() -> None:
    with pytest.raises(ValueError, match="matches no 'id'"):
        Source(LINES_BY_ORDER, "id")
    assert Source(LINES_BY_ORDER, "id", match="order_id").match == "order_id"


def test_a_to_one_subtree_meets_its_rows_by_their_primary_key() -> None:
    first_line = Source(LINES_BY_ORDER, "id", match="order_id")
    with pytest.raises(ValueError, match="to-one subtree matches rows by 'id'"):
        Subtree(first_line, False, (Output("q", "plain", "quantity"),))


@pytest.mark.parametrize("type_name", ["Product", "AVeryLongTypeNameIndeedWhoseIdRunsPast76"])
async def test_global_ids_are_the_text_node_ids_writes(db: Database, type_name: str) -> None:
    """Base64 of `Type:uuid` on one line, as `engine.node_ids` writes it, however long
    (PostgreSQL's own encoding breaks lines every 76 characters)."""
    product = await factories.product(db, await factories.category(db))
    written = Base64Of(f"{type_name}:", "id")
    subtree = Subtree(
        Source(PRODUCT.by_ids_statement, "product_id"), False, (Output("id", "base64", written),)
    )
    texts = await level_statement([subtree]).fetch(db, [[product]], None)
    expected = to_global_id(type_name, product)
    assert len(expected) > 76 or type_name == "Product"
    assert texts == [(orjson.dumps({"id": expected}).decode(),)]
