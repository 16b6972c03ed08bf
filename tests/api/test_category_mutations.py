"""createCategory, updateCategory, deleteCategory, restoreCategory: each result member."""

from __future__ import annotations

from typing import Any

import pytest

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.api.mutations import errors, result

CURRENT = "... on Category { name rev }"  # what a ConflictError shows of the current node
UPDATE_ERRORS = errors(
    "NotFoundError", "ConflictError", "ValidationError", "AlreadyExistsError", current=CURRENT
)

CATEGORY = "category { id rev name description deletedAt updatedAt }"

CREATE = f"""mutation($input: CreateCategoryInput!, $key: String) {{
  createCategory(input: $input, idempotencyKey: $key) {{
    __typename ... on CreateCategorySuccess {{ {CATEGORY} }}
    {errors("ValidationError", "AlreadyExistsError", "IdempotencyKeyReusedError")} }} }}"""
UPDATE = f"""mutation($id: ID!, $rev: Int!, $patch: CategoryPatch!) {{
  updateCategory(id: $id, rev: $rev, patch: $patch) {{
    __typename ... on UpdateCategorySuccess {{ {CATEGORY} }}
    {UPDATE_ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!, $rev: Int!) {{ deleteCategory(id: $id, rev: $rev) {{
    __typename ... on DeleteCategorySuccess {{ {CATEGORY} }}
    {errors("NotFoundError", "ConflictError", "ReferencedError", current=CURRENT)} }} }}"""
RESTORE = f"""mutation($id: ID!, $rev: Int!) {{ restoreCategory(id: $id, rev: $rev) {{
    __typename ... on RestoreCategorySuccess {{ {CATEGORY} }}
    {errors("NotFoundError", "ConflictError", "AlreadyExistsError", current=CURRENT)} }} }}"""


async def snapshot(db: Database) -> list[Any]:
    return [tuple(r) for r in await db.fetch("SELECT * FROM categories ORDER BY id")]


async def test_create_then_read_back(client: GraphQLClient, db: Database) -> None:
    created = await result(client, CREATE, input={"name": "Books", "description": "Paper"})
    assert created["__typename"] == "CreateCategorySuccess"
    category = created["category"]
    assert (category["rev"], category["name"], category["description"]) == (1, "Books", "Paper")
    read = await client.data("query($id: ID!) { node(id: $id) { id } }", {"id": category["id"]})
    assert read["node"]["id"] == category["id"]


async def test_invalid_input_lists_every_problem_and_writes_nothing(
    client: GraphQLClient, db: Database
) -> None:
    before = await snapshot(db)
    failed = await result(client, CREATE, input={"name": "", "description": "x" * 10_001})
    assert failed["__typename"] == "ValidationError"
    assert failed["code"] == "VALIDATION"
    assert [(f["path"], f["code"]) for f in failed["fields"]] == [
        (["input", "name"], "STRING_TOO_SHORT"),
        (["input", "description"], "STRING_TOO_LONG"),
    ]
    nul = await result(client, CREATE, input={"name": "a\u0000b"})
    assert nul["fields"][0]["message"] == "must not contain NUL characters"
    assert await snapshot(db) == before


async def test_a_taken_name_is_already_exists(client: GraphQLClient, db: Database) -> None:
    await factories.category(db, "Books")
    before = await snapshot(db)
    failed = await result(client, CREATE, input={"name": "BOOKS"})
    assert failed["__typename"] == "AlreadyExistsError"
    assert (failed["field"], failed["value"], failed["code"]) == ("name", "BOOKS", "ALREADY_EXISTS")
    assert await snapshot(db) == before


async def test_update_patches_only_given_fields_and_bumps_rev(
    client: GraphQLClient, db: Database
) -> None:
    id = to_global_id("Category", await factories.category(db, "Books", description="Paper"))
    renamed = await result(client, UPDATE, id=id, rev=1, patch={"name": "Novels"})
    assert renamed["category"]["rev"] == 2
    assert (renamed["category"]["name"], renamed["category"]["description"]) == (
        "Novels",
        "Paper",
    )
    cleared = await result(client, UPDATE, id=id, rev=2, patch={"description": None})
    assert cleared["category"]["description"] is None
    assert cleared["category"]["rev"] == 3
    required = await result(client, UPDATE, id=id, rev=3, patch={"name": None})
    assert required["__typename"] == "ValidationError"
    assert required["fields"] == [
        {"path": ["patch", "name"], "message": "is required and cannot be null", "code": "REQUIRED"}
    ]


async def test_stale_rev_is_a_conflict_with_the_current_node(
    client: GraphQLClient, db: Database
) -> None:
    id = to_global_id("Category", await factories.category(db, "Books"))
    await result(client, UPDATE, id=id, rev=1, patch={"name": "Novels"})
    before = await snapshot(db)
    stale = await result(client, UPDATE, id=id, rev=1, patch={"name": "Comics"})
    assert stale["__typename"] == "ConflictError"
    assert (stale["expectedRev"], stale["currentRev"]) == (1, 2)
    assert stale["current"] == {"id": id, "name": "Novels", "rev": 2}
    assert await snapshot(db) == before


@pytest.mark.parametrize("bad_id", ["nonsense", to_global_id("Product", factories.BASE_UUID)])
async def test_unknown_or_foreign_ids_are_not_found(
    client: GraphQLClient, db: Database, bad_id: str
) -> None:
    for query, extra in ((UPDATE, {"patch": {"name": "X"}}), (DELETE, {}), (RESTORE, {})):
        failed = await result(client, query, id=bad_id, rev=1, **extra)
        assert failed["__typename"] == "NotFoundError"
        assert failed["nodeId"] == bad_id


async def test_delete_and_restore(client: GraphQLClient, db: Database) -> None:
    id = to_global_id("Category", await factories.category(db, "Books"))
    deleted = await result(client, DELETE, id=id, rev=1)
    assert deleted["__typename"] == "DeleteCategorySuccess"
    assert deleted["category"]["deletedAt"] is not None
    assert (await client.data("query($id: ID!) { category(id: $id) { id } }", {"id": id})) == {
        "category": None
    }
    again = await result(client, DELETE, id=id, rev=2)
    assert again["__typename"] == "NotFoundError"
    update_deleted = await result(client, UPDATE, id=id, rev=2, patch={"name": "X"})
    assert update_deleted["__typename"] == "NotFoundError"
    stale = await result(client, RESTORE, id=id, rev=1)
    assert (stale["__typename"], stale["currentRev"]) == ("ConflictError", 2)
    restored = await result(client, RESTORE, id=id, rev=2)
    assert restored["__typename"] == "RestoreCategorySuccess"
    assert restored["category"]["deletedAt"] is None
    assert restored["category"]["rev"] == 3
    unchanged = await result(client, RESTORE, id=id, rev=3)
    assert unchanged["category"]["rev"] == 3
    stale_live = await result(client, RESTORE, id=id, rev=1)
    assert (stale_live["__typename"], stale_live["currentRev"]) == ("ConflictError", 3)


async def test_restore_when_the_name_was_taken_meanwhile(
    client: GraphQLClient, db: Database
) -> None:
    id = to_global_id("Category", await factories.category(db, "Books"))
    await result(client, DELETE, id=id, rev=1)
    await result(client, CREATE, input={"name": "Books"})
    before = await snapshot(db)
    failed = await result(client, RESTORE, id=id, rev=2)
    assert failed["__typename"] == "AlreadyExistsError"
    assert (failed["field"], failed["value"]) == ("name", "Books")
    assert await snapshot(db) == before


async def test_a_category_with_live_products_cannot_be_deleted(
    client: GraphQLClient, db: Database
) -> None:
    category = await factories.category(db, "Books")
    product = await factories.product(db, category)
    id = to_global_id("Category", category)
    before = await snapshot(db)
    refused = await result(client, DELETE, id=id, rev=1)
    assert refused["__typename"] == "ReferencedError"
    assert (refused["nodeId"], refused["code"]) == (id, "REFERENCED")
    assert await snapshot(db) == before
    await factories.soft_delete(db, "products", product)
    assert (await result(client, DELETE, id=id, rev=1))["__typename"] == "DeleteCategorySuccess"


async def test_idempotent_create(client: GraphQLClient, db: Database) -> None:
    first = await result(client, CREATE, input={"name": "Books"}, key="k-1")
    retry = await result(client, CREATE, input={"name": "Books"}, key="k-1")
    assert retry == first
    assert await db.fetchval("SELECT count(*) FROM categories") == 1
    reused = await result(client, CREATE, input={"name": "Games"}, key="k-1")
    assert reused["__typename"] == "IdempotencyKeyReusedError"
    assert (reused["key"], reused["code"]) == ("k-1", "IDEMPOTENCY_KEY_REUSED")
    assert await db.fetchval("SELECT count(*) FROM categories") == 1
