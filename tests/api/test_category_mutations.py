"""What category writes add to the standard ones (test_standard_mutations.py): the problems
of an input, and a category in use."""

from __future__ import annotations

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.api.mutations import result
from tests.api.test_standard_mutations import ENTITIES
from tests.factories import snapshot

CATEGORY = ENTITIES["category"].docs


async def test_invalid_input_lists_every_problem_and_writes_nothing(
    client: GraphQLClient, db: Database
) -> None:
    before = await snapshot(db)
    failed = await result(client, CATEGORY.create, input={"name": "", "description": "x" * 10_001})
    assert failed["__typename"] == "ValidationError"
    assert failed["code"] == "VALIDATION"
    assert [(f["path"], f["code"]) for f in failed["fields"]] == [
        (["input", "name"], "STRING_TOO_SHORT"),
        (["input", "description"], "STRING_TOO_LONG"),
    ]
    nul = await result(client, CATEGORY.create, input={"name": "a\u0000b"})
    assert nul["fields"][0]["message"] == "must not contain NUL characters"
    assert await snapshot(db) == before


async def test_a_category_with_live_products_cannot_be_deleted(
    client: GraphQLClient, db: Database
) -> None:
    category = await factories.category(db, "Books")
    product = await factories.product(db, category)
    id = to_global_id("Category", category)
    before = await snapshot(db)
    refused = await result(client, CATEGORY.delete, id=id, rev=1)
    assert refused["__typename"] == "ReferencedError"
    assert (refused["nodeId"], refused["code"]) == (id, "REFERENCED")
    assert await snapshot(db) == before
    await factories.soft_delete(db, "products", product)
    deleted = await result(client, CATEGORY.delete, id=id, rev=1)
    assert deleted["__typename"] == "DeleteCategorySuccess"
