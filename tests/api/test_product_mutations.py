"""Product mutations: each result member, all-or-nothing batches, and racing writers."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any
from uuid import UUID

from engine.node_ids import to_global_id
from sql import products
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.api.mutations import errors, result
from tests.api.test_standard_mutations import ENTITIES
from tests.conftest import lock_waiters
from tests.factories import snapshot

DOCS = ENTITIES["product"].docs
PRODUCT = DOCS.fields
CURRENT = "... on Product { sku rev }"  # what a ConflictError shows of the current node
CREATE_ERRORS = errors(
    "NotFoundError", "ValidationError", "AlreadyExistsError", "IdempotencyKeyReusedError"
)
CREATE, UPDATE, DELETE, RESTORE = DOCS.create, DOCS.update, DOCS.delete, DOCS.restore
CREATE_MANY = f"""mutation($inputs: [CreateProductInput!]!, $key: String) {{
  createProducts(inputs: $inputs, idempotencyKey: $key) {{
    __typename ... on CreateProductsSuccess {{ products {{ {PRODUCT} }} }} {CREATE_ERRORS} }} }}"""
UPSERT = f"""mutation($input: CreateProductInput!, $rev: Int) {{
  upsertProduct(input: $input, rev: $rev) {{
    __typename ... on UpsertProductSuccess {{ created product {{ {PRODUCT} }} }}
    {errors("NotFoundError", "ConflictError", "ValidationError", current=CURRENT)} }} }}"""
ADJUST = f"""mutation($id: ID!, $delta: Int!) {{ adjustStock(id: $id, delta: $delta) {{
    __typename ... on AdjustStockSuccess {{ product {{ {PRODUCT} }} }}
    {errors("NotFoundError", "InsufficientStockError", "ValidationError")} }} }}"""


def gid(type_name: str, id: UUID) -> str:
    return to_global_id(type_name, id)


def new(category: str, sku: str = "BK-0001", **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "name": "A book", "price": "19.99", "categoryId": category, **extra}


async def test_create_then_read_back(client: GraphQLClient, db: Database) -> None:
    category = gid("Category", await factories.category(db, "Books"))
    created = await result(client, CREATE, input=new(category, description="Paper"))
    assert created["__typename"] == "CreateProductSuccess"
    product = created["product"]
    assert (product["rev"], product["sku"], product["price"], product["stock"]) == (
        1,
        "BK-0001",
        "19.99",
        0,
    )
    assert (product["description"], product["category"]) == (
        "Paper",
        {"id": category, "name": "Books"},
    )
    read = await client.data('{ productBySku(sku: "BK-0001") { id } }')
    assert read["productBySku"]["id"] == product["id"]


async def test_invalid_input_lists_every_problem_and_writes_nothing(
    client: GraphQLClient, db: Database
) -> None:
    category = gid("Category", await factories.category(db))
    before = await snapshot(db)
    bad = {"sku": "bk 1", "name": "", "description": "x" * 10_001, "price": "1.999", "stock": -1}
    failed = await result(client, CREATE, input={**bad, "categoryId": category})
    assert failed["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in failed["fields"]] == [
        (["input", "sku"], "STRING_PATTERN_MISMATCH"),
        (["input", "name"], "STRING_TOO_SHORT"),
        (["input", "description"], "STRING_TOO_LONG"),
        (["input", "price"], "DECIMAL_MAX_PLACES"),
        (["input", "stock"], "GREATER_THAN_EQUAL"),
    ]
    pricey = await result(client, CREATE, input=new(category, price="1000000.01"))
    assert [f["path"] for f in pricey["fields"]] == [["input", "price"]]
    assert await snapshot(db) == before


async def test_the_category_must_be_live(client: GraphQLClient, db: Database) -> None:
    deleted = await factories.category(db)
    await factories.soft_delete(db, "categories", deleted)
    before = await snapshot(db)
    for category in (
        gid("Category", deleted),
        gid("Category", factories.BASE_UUID),
        gid("Product", factories.BASE_UUID),
        "nonsense",
    ):
        failed = await result(client, CREATE, input=new(category))
        assert (failed["__typename"], failed["nodeId"]) == ("NotFoundError", category)
    assert await snapshot(db) == before


async def test_idempotent_create_races_execute_once(client: GraphQLClient, db: Database) -> None:
    input = new(gid("Category", await factories.category(db)))
    answers = await asyncio.gather(
        *(result(client, CREATE, input=input, key="p-1") for _ in range(32))
    )
    assert answers[0]["__typename"] == "CreateProductSuccess"
    assert all(answer == answers[0] for answer in answers)
    assert await db.fetchval("SELECT count(*) FROM products") == 1
    before = await snapshot(db)
    reused = await result(client, CREATE, input={**input, "stock": 5}, key="p-1")
    assert (reused["__typename"], reused["key"]) == ("IdempotencyKeyReusedError", "p-1")
    assert await snapshot(db) == before


async def test_create_many_in_input_order(client: GraphQLClient, db: Database) -> None:
    category = gid("Category", await factories.category(db))
    inputs = [new(category, f"SKU-{n:03d}", stock=n) for n in (3, 1, 2)]
    created = await result(client, CREATE_MANY, inputs=inputs, key="batch-1")
    assert created["__typename"] == "CreateProductsSuccess"
    assert [(p["sku"], p["stock"]) for p in created["products"]] == [
        ("SKU-003", 3),
        ("SKU-001", 1),
        ("SKU-002", 2),
    ]
    assert await result(client, CREATE_MANY, inputs=inputs, key="batch-1") == created
    reused = await result(client, CREATE_MANY, inputs=inputs[:2], key="batch-1")
    assert reused["__typename"] == "IdempotencyKeyReusedError"
    assert await db.fetchval("SELECT count(*) FROM products") == 3


async def test_create_many_is_all_or_nothing(client: GraphQLClient, db: Database) -> None:
    category = await factories.category(db)
    deleted = await factories.category(db)
    await factories.soft_delete(db, "categories", deleted)
    await factories.product(db, category, sku="TAKEN")
    live = gid("Category", category)
    inputs = [new(live, f"SKU-{n:03d}") for n in range(5)]
    before = await snapshot(db)

    invalid = await result(
        client,
        CREATE_MANY,
        inputs=[*inputs[:2], {**inputs[2], "sku": "x"}, {**inputs[3], "sku": "SKU-001"}],
    )
    assert invalid["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in invalid["fields"]] == [
        (["inputs", "2", "sku"], "STRING_PATTERN_MISMATCH"),
        (["inputs", "3", "sku"], "DUPLICATE"),
    ]
    taken = await result(client, CREATE_MANY, inputs=[*inputs[:3], new(live, "TAKEN")])
    assert (taken["__typename"], taken["field"], taken["value"]) == (
        "AlreadyExistsError",
        "sku",
        "TAKEN",
    )
    gone = gid("Category", deleted)
    missing = await result(client, CREATE_MANY, inputs=[inputs[0], new(gone, "SKU-999")])
    assert (missing["__typename"], missing["nodeId"]) == ("NotFoundError", gone)
    for size in (0, 1001):
        wrong = await result(client, CREATE_MANY, inputs=[new(live, "X")] * size)
        assert wrong["fields"][0]["path"] == ["inputs"]
    assert await snapshot(db) == before


async def test_upsert_creates_then_updates(client: GraphQLClient, db: Database) -> None:
    category = gid("Category", await factories.category(db))
    created = await result(client, UPSERT, input=new(category, stock=7, description="Paper"))
    assert (created["__typename"], created["created"]) == ("UpsertProductSuccess", True)
    assert created["product"]["rev"] == 1
    updated = await result(client, UPSERT, input=new(category, name="Renamed"), rev=1)
    assert (updated["created"], updated["product"]["rev"]) == (False, 2)
    product = updated["product"]
    assert (product["id"], product["name"]) == (created["product"]["id"], "Renamed")
    assert (product["stock"], product["description"]) == (7, "Paper")  # omitted: kept
    cleared = await result(client, UPSERT, input=new(category, description=None, stock=0))
    assert (cleared["product"]["description"], cleared["product"]["stock"]) == (None, 0)

    before = await snapshot(db)
    stale = await result(client, UPSERT, input=new(category), rev=1)
    assert (stale["__typename"], stale["expectedRev"], stale["currentRev"]) == (
        "ConflictError",
        1,
        3,
    )
    assert stale["current"]["id"] == product["id"]
    invalid = await result(client, UPSERT, input=new(category, stock=None))
    assert invalid["fields"][0]["path"] == ["input", "stock"]
    nowhere = gid("Category", factories.BASE_UUID)
    missing = await result(client, UPSERT, input=new(nowhere))
    assert (missing["__typename"], missing["nodeId"]) == ("NotFoundError", nowhere)
    assert await snapshot(db) == before


async def test_racing_upserts_of_a_new_sku_make_one_product(
    client: GraphQLClient, db: Database
) -> None:
    category = gid("Category", await factories.category(db))
    for rev in (None, 1):
        sku = f"RACE-{rev or 0}"
        answers = await asyncio.gather(
            *(result(client, UPSERT, input=new(category, sku), rev=rev) for _ in range(2))
        )
        outcomes = sorted(str(a.get("created", a["__typename"])) for a in answers)
        # Without a rev the second updates; with rev 1 it updates the rev-1 row it waited for.
        assert outcomes == ["False", "True"]
        live = await db.fetchval(
            "SELECT count(*) FROM products WHERE sku = $1 AND deleted_at IS NULL", sku
        )
        assert live == 1


async def test_an_upsert_waiting_on_an_uncommitted_insert_then_updates(
    client: GraphQLClient, db: Database
) -> None:
    category = await factories.category(db)
    first = {
        "sku": "RACE-2",
        "name": "First",
        "description": None,
        "price": Decimal("1.00"),
        "stock": 5,
        "category_id": category,
    }
    async with db.acquire() as conn:
        async with conn.transaction():
            await products.upsert_product(
                conn, new=first, keep_stock=False, keep_description=False, rev=None
            )
            second = asyncio.create_task(
                result(client, UPSERT, input=new(gid("Category", category), "RACE-2"), rev=1)
            )
            await lock_waiters(db)  # the second insert waits on the sku index
        answer = await second
    assert (answer["created"], answer["product"]["rev"], answer["product"]["stock"]) == (
        False,
        2,
        5,
    )
    assert await db.fetchval("SELECT count(*) FROM products") == 1


async def test_update_patches_only_given_fields(client: GraphQLClient, db: Database) -> None:
    books, games = await factories.category(db, "Books"), await factories.category(db, "Games")
    product = await factories.product(db, books, description="Paper", stock=4)
    id = gid("Product", product)
    moved = await result(
        client, UPDATE, id=id, rev=1, patch={"categoryId": gid("Category", games), "price": "5"}
    )
    assert moved["__typename"] == "UpdateProductSuccess"
    changed = moved["product"]
    assert (changed["rev"], changed["price"], changed["stock"]) == (2, "5.00", 4)
    assert changed["category"]["name"] == "Games"


async def test_update_failures_write_nothing(client: GraphQLClient, db: Database) -> None:
    category = await factories.category(db)
    deleted = await factories.category(db)
    await factories.soft_delete(db, "categories", deleted)
    await factories.product(db, category, sku="TAKEN")
    id = gid("Product", await factories.product(db, category))
    before = await snapshot(db)

    required = await result(
        client, UPDATE, id=id, rev=1, patch={"name": None, "stock": None, "price": "-1"}
    )
    assert [(f["path"], f["code"]) for f in required["fields"]] == [
        (["patch", "name"], "REQUIRED"),
        (["patch", "price"], "GREATER_THAN_EQUAL"),
        (["patch", "stock"], "REQUIRED"),
    ]
    taken = await result(client, UPDATE, id=id, rev=1, patch={"sku": "TAKEN"})
    assert (taken["__typename"], taken["field"], taken["value"]) == (
        "AlreadyExistsError",
        "sku",
        "TAKEN",
    )
    gone = gid("Category", deleted)
    missing = await result(client, UPDATE, id=id, rev=1, patch={"categoryId": gone})
    assert (missing["__typename"], missing["nodeId"]) == ("NotFoundError", gone)
    stale = await result(client, UPDATE, id=id, rev=7, patch={"name": "X"})
    assert (stale["__typename"], stale["currentRev"]) == ("ConflictError", 1)
    for bad_id in ("nonsense", gid("Category", category), gid("Product", factories.BASE_UUID)):
        unknown = await result(client, UPDATE, id=bad_id, rev=1, patch={"name": "X"})
        assert (unknown["__typename"], unknown["nodeId"]) == ("NotFoundError", bad_id)
    assert await snapshot(db) == before


async def test_racing_updates_at_one_rev_have_one_winner(
    client: GraphQLClient, db: Database
) -> None:
    id = gid("Product", await factories.product(db, await factories.category(db)))
    answers = await asyncio.gather(
        *(result(client, UPDATE, id=id, rev=1, patch={"name": f"Name {n}"}) for n in range(32))
    )
    kinds = [a["__typename"] for a in answers]
    assert (kinds.count("UpdateProductSuccess"), kinds.count("ConflictError")) == (1, 31)
    assert all(a["currentRev"] == 2 for a in answers if a["__typename"] == "ConflictError")
    assert await db.fetchval("SELECT rev FROM products") == 2


async def test_adjust_stock(client: GraphQLClient, db: Database) -> None:
    id = gid("Product", await factories.product(db, await factories.category(db), stock=3))
    twice = await client.data(
        "mutation($id: ID!) { a: adjustStock(id: $id, delta: 2) { ... on AdjustStockSuccess "
        "{ product { stock rev } } } b: adjustStock(id: $id, delta: -5) { ... on "
        "AdjustStockSuccess { product { stock rev } } } }",
        {"id": id},
    )
    assert twice == {
        "a": {"product": {"stock": 5, "rev": 2}},
        "b": {"product": {"stock": 0, "rev": 3}},
    }
    before = await snapshot(db)
    short = await result(client, ADJUST, id=id, delta=-1)
    assert (short["__typename"], short["code"]) == ("InsufficientStockError", "INSUFFICIENT_STOCK")
    assert short["items"] == [{"product": {"id": id, "stock": 0}, "requested": 1, "available": 0}]
    assert await snapshot(db) == before
    await result(client, ADJUST, id=id, delta=2**31 - 1)
    before = await snapshot(db)
    overflow = await result(client, ADJUST, id=id, delta=1)
    assert overflow["fields"][0]["path"] == ["delta"]
    missing = gid("Product", factories.BASE_UUID)
    unknown = await result(client, ADJUST, id=missing, delta=1)
    assert (unknown["__typename"], unknown["nodeId"]) == ("NotFoundError", missing)
    assert await snapshot(db) == before


async def test_concurrent_increments_all_count(client: GraphQLClient, db: Database) -> None:
    product = await factories.product(db, await factories.category(db), stock=0)
    answers = await asyncio.gather(
        *(result(client, ADJUST, id=gid("Product", product), delta=1) for _ in range(64))
    )
    assert {a["__typename"] for a in answers} == {"AdjustStockSuccess"}
    final = await db.fetchrow("SELECT stock, rev FROM products")
    assert final is not None
    assert (final["stock"], final["rev"]) == (64, 65)


async def test_the_stock_of_a_deleted_product_is_not_found(
    client: GraphQLClient, db: Database
) -> None:
    id = gid("Product", await factories.product(db, await factories.category(db)))
    await result(client, DELETE, id=id, rev=1)
    before = await snapshot(db)
    assert (await result(client, ADJUST, id=id, delta=1))["__typename"] == "NotFoundError"
    assert await snapshot(db) == before


async def test_restore_refused_when_the_category_was_deleted_meanwhile(
    client: GraphQLClient, db: Database
) -> None:
    category = await factories.category(db)
    product = gid("Product", await factories.product(db, category))
    await result(client, DELETE, id=product, rev=1)
    await factories.soft_delete(db, "categories", category)
    before = await snapshot(db)
    failed = await result(client, RESTORE, id=product, rev=2)
    assert (failed["__typename"], failed["nodeId"]) == ("NotFoundError", gid("Category", category))
    assert await snapshot(db) == before


async def test_a_product_never_joins_a_category_being_deleted(
    client: GraphQLClient, db: Database
) -> None:
    delete = """mutation($id: ID!) { deleteCategory(id: $id, rev: 1) { __typename } }"""
    for round in range(8):
        category = gid("Category", await factories.category(db))
        created, deleted = await asyncio.gather(
            result(client, CREATE, input=new(category, f"RACE-{round}")),
            result(client, delete, id=category),
        )
        assert (created["__typename"], deleted["__typename"]) in (
            ("CreateProductSuccess", "ReferencedError"),
            ("NotFoundError", "DeleteCategorySuccess"),
        )
    orphans = await db.fetchval(
        "SELECT count(*) FROM products p JOIN categories c ON c.id = p.category_id"
        " WHERE p.deleted_at IS NULL AND c.deleted_at IS NOT NULL"
    )
    assert orphans == 0
