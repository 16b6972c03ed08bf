"""Staff may ask connections for soft-deleted rows; for anyone else they do not exist."""

from __future__ import annotations

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient

QUERY = """query($all: Boolean!) {
  products(includeDeleted: $all) { totalCount nodes { name deletedAt } }
  categories { nodes { name products(includeDeleted: $all) { totalCount } } } }"""


async def test_staff_sees_deleted_rows_only_when_asking(
    client: GraphQLClient, db: Database
) -> None:
    category = await factories.category(db, "Games")
    await factories.product(db, category, "Chess")
    gone = await factories.product(db, category, "Dice")
    await factories.soft_delete(db, "products", gone)

    plain = await client.data(QUERY, {"all": False})
    assert [n["name"] for n in plain["products"]["nodes"]] == ["Chess"]
    everything = await client.data(QUERY, {"all": True})
    assert everything["products"]["totalCount"] == 2
    assert [n["name"] for n in everything["products"]["nodes"]] == ["Chess", "Dice"]
    assert everything["products"]["nodes"][1]["deletedAt"] is not None
    assert everything["categories"]["nodes"][0]["products"]["totalCount"] == 2

    for viewer in (client.as_viewer(None), client.as_viewer("customer", factories.BASE_UUID)):
        assert await viewer.data(QUERY, {"all": True}) == plain


async def test_a_cursor_remembers_whether_deleted_rows_were_asked_for(
    client: GraphQLClient, db: Database
) -> None:
    category = await factories.category(db, "Games")
    await factories.product(db, category, "Chess")
    page = await client.data(
        "{ products(first: 1, includeDeleted: true) { pageInfo { endCursor } } }"
    )
    cursor = page["products"]["pageInfo"]["endCursor"]
    body = await client.query(
        "query($c: String) { products(first: 1, after: $c) { totalCount } }", {"c": cursor}
    )
    assert "belongs to another ordering, filter or search" in body["errors"][0]["message"]
    assert to_global_id("Category", category)
