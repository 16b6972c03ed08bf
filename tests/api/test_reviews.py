"""Reviews: everyone reads them; a customer writes their own, one live review per product;
staff delete any."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.api.mutations import result
from tests.api.test_standard_mutations import ENTITIES
from tests.factories import snapshot

REVIEW = ENTITIES["review"].docs
CREATE, UPDATE, DELETE = REVIEW.create, REVIEW.update, REVIEW.delete


def new(product: UUID, rating: int = 4, **extra: Any) -> dict[str, Any]:
    return {"productId": to_global_id("Product", product), "rating": rating, "title": "Good"} | (
        extra
    )


async def shop(db: Database) -> tuple[UUID, UUID, UUID, UUID]:
    category = await factories.category(db, "Tools")
    saw = await factories.product(db, category, "Saw")
    drill = await factories.product(db, category, "Drill")
    return saw, drill, await factories.customer(db, "Ann"), await factories.customer(db, "Bob")


async def test_a_customer_reviews_and_everyone_reads_it(
    client: GraphQLClient, db: Database
) -> None:
    saw, drill, ann, bob = await shop(db)
    as_ann = client.as_viewer("customer", ann)
    made = await result(as_ann, CREATE, input=new(saw, 5, body="Cuts well."))
    assert made["__typename"] == "CreateReviewSuccess"
    review = made["review"]
    assert (review["rev"], review["rating"], review["title"], review["body"]) == (
        1,
        5,
        "Good",
        "Cuts well.",
    )
    assert review["customer"] == {"id": to_global_id("Customer", ann)}
    assert made["reviewEdge"]["node"]["id"] == review["id"]
    await result(client.as_viewer("customer", bob), CREATE, input=new(saw, 2))
    await result(as_ann, CREATE, input=new(drill, 3))

    anonymous = client.as_viewer(None)
    page = await anonymous.data(
        """query($id: ID!, $product: ID!) {
          node(id: $id) { ... on Review { title customer { id } } }
          review(id: $id) { rating product { id } }
          product(id: $product) {
            reviews(orderBy: [{field: RATING}], filter: {rating: {gte: 2}}) {
              totalCount nodes { rating } } } }""",
        {"id": review["id"], "product": to_global_id("Product", saw)},
    )
    assert page["node"] == {"title": "Good", "customer": None}  # customers are private
    assert page["review"] == {"rating": 5, "product": {"id": to_global_id("Product", saw)}}
    assert page["product"]["reviews"] == {"totalCount": 2, "nodes": [{"rating": 2}, {"rating": 5}]}
    listed = await anonymous.data(
        'query { reviews(filter: {product: {name: {eq: "Drill"}}}) { nodes { rating } } }'
    )
    assert listed["reviews"]["nodes"] == [{"rating": 3}]


async def test_bad_input_lists_every_problem_and_writes_nothing(
    client: GraphQLClient, db: Database
) -> None:
    saw, _, ann, _ = await shop(db)
    as_ann = client.as_viewer("customer", ann)
    before = await snapshot(db)
    failed = await result(as_ann, CREATE, input=new(saw, 6, title=""))
    assert failed["__typename"] == "ValidationError"
    assert [f["path"] for f in failed["fields"]] == [["input", "rating"], ["input", "title"]]
    gone = await factories.product(db, await factories.category(db, "Old"), "Gone")
    await factories.soft_delete(db, "products", gone)
    before = await snapshot(db)
    missing = await result(as_ann, CREATE, input=new(gone))
    assert (missing["__typename"], missing["nodeId"]) == (
        "NotFoundError",
        to_global_id("Product", gone),
    )
    assert await snapshot(db) == before
    dan = await factories.customer(db, "Dan")
    await factories.soft_delete(db, "customers", dan)
    before = await snapshot(db)
    as_dan = client.as_viewer("customer", dan)  # a token outliving its customer
    refused = await result(as_dan, CREATE, input=new(saw))
    assert (refused["__typename"], refused["nodeId"]) == (
        "NotFoundError",
        to_global_id("Customer", dan),
    )
    assert await snapshot(db) == before


async def test_only_the_author_changes_a_review_and_staff_delete_any(
    client: GraphQLClient, db: Database
) -> None:
    saw, drill, ann, bob = await shop(db)
    as_ann, as_bob = client.as_viewer("customer", ann), client.as_viewer("customer", bob)
    id = (await result(as_ann, CREATE, input=new(saw)))["review"]["id"]
    before = await snapshot(db)
    for viewer in (as_bob, client):  # another customer, staff: they see it, may not edit it
        refused = await result(viewer, UPDATE, id=id, rev=1, patch={"title": "Bad"})
        assert refused["__typename"] == "ForbiddenError"
    assert (await result(as_bob, DELETE, id=id, rev=1))["__typename"] == "ForbiddenError"
    assert await snapshot(db) == before

    changed = await result(as_ann, UPDATE, id=id, rev=1, patch={"rating": 1, "body": None})
    assert (changed["review"]["rev"], changed["review"]["rating"]) == (2, 1)
    stale = await result(as_ann, UPDATE, id=id, rev=1, patch={"rating": 2})
    assert (stale["__typename"], stale["currentRev"]) == ("ConflictError", 2)

    bobs = (await result(as_bob, CREATE, input=new(drill)))["review"]["id"]
    removed = await result(client, DELETE, id=bobs, rev=1)
    assert removed["__typename"] == "DeleteReviewSuccess"
    assert removed["review"]["deletedAt"] is not None
    assert (await client.data("query($id: ID!) { review(id: $id) { id } }", {"id": bobs})) == {
        "review": None
    }
