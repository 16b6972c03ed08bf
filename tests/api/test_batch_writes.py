"""updateXs and deleteXs: all or nothing, each item rev-checked, every failing item named
by its index, in as many statements for thirty items as for three."""

from __future__ import annotations

from typing import Any

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient, StatementRecorder
from tests.api.mutations import result
from tests.factories import snapshot

FAILURES = """... on BatchError { code failures { path error { __typename
  ... on ConflictError { currentRev } ... on NotFoundError { nodeId }
  ... on AlreadyExistsError { field value } ... on ReferencedError { nodeId } } } }
  ... on ValidationError { fields { path code } } ... on ForbiddenError { code }"""
UPDATE_CATEGORIES = f"""mutation($items: [UpdateCategoriesItem!]!) {{
  updateCategories(items: $items) {{ __typename
    ... on UpdateCategoriesSuccess {{ categories {{ id rev name }} }} {FAILURES} }} }}"""
DELETE_CATEGORIES = f"""mutation($items: [DeleteItem!]!) {{ deleteCategories(items: $items) {{
  __typename ... on DeleteCategoriesSuccess {{ categories {{ id deletedAt }} }} {FAILURES} }} }}"""
DELETE_REVIEWS = f"""mutation($items: [DeleteItem!]!) {{ deleteReviews(items: $items) {{
  __typename ... on DeleteReviewsSuccess {{ reviews {{ id }} }} {FAILURES} }} }}"""


def gid(id: Any) -> str:
    return to_global_id("Category", id)


def renames(ids: list[Any], rev: int = 1) -> list[dict[str, Any]]:
    return [{"id": gid(id), "rev": rev, "patch": {"name": f"C{n}"}} for n, id in enumerate(ids)]


async def test_every_item_is_written_in_item_order(client: GraphQLClient, db: Database) -> None:
    ids = [await factories.category(db, f"Old {n}") for n in range(3)]
    ids.reverse()  # not the order the rows were made in
    done = await result(client, UPDATE_CATEGORIES, items=renames(ids))
    assert done["__typename"] == "UpdateCategoriesSuccess"
    assert done["categories"] == [
        {"id": gid(id), "rev": 2, "name": f"C{n}"} for n, id in enumerate(ids)
    ]


async def test_one_failing_item_writes_nothing_and_every_failure_is_named(
    client: GraphQLClient, db: Database
) -> None:
    ids = [await factories.category(db, f"Old {n}") for n in range(4)]
    await factories.soft_delete(db, "categories", ids[0])
    items = renames(ids)
    items[2]["rev"] = 7
    before = await snapshot(db)
    failed = await result(client, UPDATE_CATEGORIES, items=items)
    assert (failed["__typename"], failed["code"]) == ("BatchError", "BATCH_FAILED")
    assert failed["failures"] == [
        {
            "path": ["items", "0", "id"],
            "error": {"__typename": "NotFoundError", "nodeId": gid(ids[0])},
        },
        {"path": ["items", "2", "rev"], "error": {"__typename": "ConflictError", "currentRev": 1}},
    ]
    assert await snapshot(db) == before


async def test_rules_taken_values_and_bounds_are_per_item(
    client: GraphQLClient, db: Database
) -> None:
    ids = [await factories.category(db, f"Old {n}") for n in range(2)]
    await factories.category(db, "Taken")
    before = await snapshot(db)
    invalid = renames(ids)
    invalid[1]["patch"] = {"name": ""}
    failed = await result(client, UPDATE_CATEGORIES, items=invalid)
    assert failed["fields"] == [
        {"path": ["items", "1", "patch", "name"], "code": "STRING_TOO_SHORT"}
    ]
    taken = renames(ids)
    taken[1]["patch"] = {"name": "Taken"}
    failed = await result(client, UPDATE_CATEGORIES, items=taken)
    assert failed["__typename"] == "BatchError"
    assert {
        "path": ["items", "1", "patch", "name"],
        "error": {"__typename": "AlreadyExistsError", "field": "name", "value": "Taken"},
    } in failed["failures"]
    too_many = renames(ids) * 501
    failed = await result(client, UPDATE_CATEGORIES, items=too_many)
    assert failed["fields"] == [{"path": ["items"], "code": "LENGTH"}]
    twice = renames(ids[:1]) * 2
    failed = await result(client, UPDATE_CATEGORIES, items=twice)
    assert failed["fields"] == [{"path": ["items", "1", "id"], "code": "DUPLICATE"}]
    assert await snapshot(db) == before


async def test_statements_do_not_grow_with_the_batch(
    client: GraphQLClient, db: Database, recorder: StatementRecorder
) -> None:
    counts = []
    for size in (3, 30):
        ids = [await factories.category(db, f"S{size}-{n}") for n in range(size)]
        recorder.clear()
        done = await result(client, UPDATE_CATEGORIES, items=renames(ids))
        assert done["__typename"] == "UpdateCategoriesSuccess"
        updated = [s for s in recorder.statements if "UPDATE categories" in s]
        counts.append((len(recorder.statements), len(updated)))
        await db.execute("DELETE FROM categories")
    assert counts[0] == counts[1]
    assert counts[0][1] == 1


async def test_deletes_keep_their_rules(client: GraphQLClient, db: Database) -> None:
    empty, held = await factories.category(db, "Empty"), await factories.category(db, "Held")
    product = await factories.product(db, held, "Saw")
    before = await snapshot(db)
    items = [{"id": gid(empty), "rev": 1}, {"id": gid(held), "rev": 1}]
    failed = await result(client, DELETE_CATEGORIES, items=items)
    assert failed["failures"] == [
        {
            "path": ["items", "1", "id"],
            "error": {"__typename": "ReferencedError", "nodeId": gid(held)},
        }
    ]
    assert await snapshot(db) == before
    await factories.soft_delete(db, "products", product)
    done = await result(client, DELETE_CATEGORIES, items=items)
    assert [c["deletedAt"] is not None for c in done["categories"]] == [True, True]


async def test_a_customer_deletes_only_their_own_reviews(
    client: GraphQLClient, db: Database
) -> None:
    category = await factories.category(db, "Tools")
    saw = await factories.product(db, category, "Saw")
    ann, bob = await factories.customer(db, "Ann"), await factories.customer(db, "Bob")
    mine, theirs = await factories.review(db, saw, ann), await factories.review(db, saw, bob)
    items = [{"id": to_global_id("Review", id), "rev": 1} for id in (mine, theirs)]
    before = await snapshot(db)
    as_ann = client.as_viewer("customer", ann)
    failed = await result(as_ann, DELETE_REVIEWS, items=items)
    assert [(f["path"], f["error"]["__typename"]) for f in failed["failures"]] == [
        (["items", "1"], "ForbiddenError")
    ]
    assert await snapshot(db) == before
    done = await result(client, DELETE_REVIEWS, items=items)  # staff delete any
    assert len(done["reviews"]) == 2
