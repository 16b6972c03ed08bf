"""The standard create/update/delete/restore of every entity that has them, tested once and run
for each: read back, rev checks, not found, soft delete and restore, unique values and
idempotent retries. What one entity adds stays in its own test file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.api.mutations import Documents, result
from tests.factories import snapshot

Prepare = Callable[[GraphQLClient, Database], Awaitable[tuple[GraphQLClient, dict[str, Any]]]]


@dataclass(frozen=True)
class Entity:
    """What the shared tests need to know of one entity."""

    docs: Documents
    prepare: Prepare  # makes what a create needs: (the writer, a valid create input)
    unique: str  # the input field whose value one live row may hold
    clash: dict[str, Any]  # changes to the input that keep its unique value taken
    changed: dict[str, Any]  # changes to the input that make it another request
    patch: dict[str, Any]  # an update of one field
    kept: str  # a field that update leaves as it was
    required: str  # a field an update may not null
    cleared: str | None = None  # a field an update may null
    foreign: str = "Category"  # a type whose ids are not this entity's


def staff_input(input: dict[str, Any]) -> Prepare:
    async def prepare(client: GraphQLClient, db: Database) -> tuple[GraphQLClient, dict[str, Any]]:
        return client, input

    return prepare


async def a_product(client: GraphQLClient, db: Database) -> tuple[GraphQLClient, dict[str, Any]]:
    category = to_global_id("Category", await factories.category(db, "Books"))
    input = {"sku": "BK-0001", "name": "A book", "price": "19.99", "categoryId": category}
    return client, {**input, "description": "Paper", "stock": 4}


async def a_review(client: GraphQLClient, db: Database) -> tuple[GraphQLClient, dict[str, Any]]:
    product = await factories.product(db, await factories.category(db, "Tools"), "Saw")
    author = client.as_viewer("customer", await factories.customer(db, "Ann"))
    input = {"productId": to_global_id("Product", product), "rating": 5, "title": "Good"}
    return author, {**input, "body": "Cuts well."}


ENTITIES = {
    "category": Entity(
        Documents(
            "Category",
            "id rev name description deletedAt updatedAt",
            "name rev",
            delete_errors=("ReferencedError",),
        ),
        staff_input({"name": "Books", "description": "Paper"}),
        unique="name",
        clash={"name": "BOOKS"},
        changed={"name": "Games"},
        patch={"name": "Novels"},
        kept="description",
        required="name",
        cleared="description",
        foreign="Product",
    ),
    "customer": Entity(
        Documents("Customer", "id rev email name deletedAt orderCount", "email rev"),
        staff_input({"email": "ann@example.com", "name": "Ann"}),
        unique="email",
        clash={"email": "ANN@example.com", "name": "Other Ann"},
        changed={"name": "Bob"},
        patch={"name": "Ann Lee"},
        kept="email",
        required="name",
    ),
    "product": Entity(
        Documents(
            "Product",
            "id rev sku name description price stock deletedAt category { id name }",
            "sku rev",
            create_errors=("NotFoundError", "ValidationError", "AlreadyExistsError"),
        ),
        a_product,
        unique="sku",
        clash={"name": "Another book"},
        changed={"stock": 5},
        patch={"name": "Renamed"},
        kept="stock",
        required="name",
        cleared="description",
    ),
    "review": Entity(
        Documents(
            "Review",
            "id rev rating title body deletedAt product { id } customer { id }",
            "rev",
            create_errors=("NotFoundError", "ValidationError", "AlreadyExistsError"),
            create_extra="reviewEdge { cursor node { id } }",
        ),
        a_review,
        unique="productId",
        clash={"rating": 1},
        changed={"rating": 2},
        patch={"rating": 1},
        kept="title",
        required="title",
        cleared="body",
    ),
}

each_entity = pytest.mark.parametrize("entity", ENTITIES.values(), ids=ENTITIES.keys())


async def created(
    entity: Entity, client: GraphQLClient, db: Database
) -> tuple[GraphQLClient, dict[str, Any]]:
    """A live row made through the API: (its writer, the node as created)."""
    writer, input = await entity.prepare(client, db)
    made = await result(writer, entity.docs.create, input=input)
    node: dict[str, Any] = made[entity.docs.field]
    return writer, node


async def updated(
    entity: Entity, client: GraphQLClient, db: Database
) -> tuple[GraphQLClient, dict[str, Any], dict[str, Any]]:
    """A live row made, then patched once: (its writer, the node as made, the update's result)."""
    writer, made = await created(entity, client, db)
    changed = await result(writer, entity.docs.update, id=made["id"], rev=1, patch=entity.patch)
    return writer, made, changed


def read_by_id(entity: Entity) -> str:
    return f"query($id: ID!) {{ {entity.docs.field}(id: $id) {{ id }} }}"


@each_entity
async def test_create_then_read_back(client: GraphQLClient, db: Database, entity: Entity) -> None:
    writer, input = await entity.prepare(client, db)
    made = await result(writer, entity.docs.create, input=input)
    assert made["__typename"] == f"Create{entity.docs.type}Success"
    node = made[entity.docs.field]
    assert (node["rev"], node["deletedAt"]) == (1, None)
    assert {k: node[k] for k in input if k in node} == {k: v for k, v in input.items() if k in node}
    read = await client.data("query($id: ID!) { node(id: $id) { id } }", {"id": node["id"]})
    assert read["node"]["id"] == node["id"]


@each_entity
async def test_a_taken_unique_value_is_already_exists(
    client: GraphQLClient, db: Database, entity: Entity
) -> None:
    writer, input = await entity.prepare(client, db)
    await result(writer, entity.docs.create, input=input)
    before = await snapshot(db)
    again = {**input, **entity.clash}
    failed = await result(writer, entity.docs.create, input=again)
    assert failed["__typename"] == "AlreadyExistsError"
    assert (failed["field"], failed["code"]) == (entity.unique, "ALREADY_EXISTS")
    assert failed["value"] == again[entity.unique]
    assert await snapshot(db) == before


@each_entity
async def test_update_patches_only_given_fields_and_bumps_rev(
    client: GraphQLClient, db: Database, entity: Entity
) -> None:
    writer, before, changed = await updated(entity, client, db)
    assert changed["__typename"] == f"Update{entity.docs.type}Success"
    node = changed[entity.docs.field]
    assert node["rev"] == 2
    assert {k: node[k] for k in entity.patch} == entity.patch
    assert node[entity.kept] == before[entity.kept]
    if entity.cleared is not None:
        patch = {entity.cleared: None}
        cleared = await result(writer, entity.docs.update, id=node["id"], rev=2, patch=patch)
        node = cleared[entity.docs.field]
        assert (node[entity.cleared], node["rev"]) == (None, 3)
    unchanged = await snapshot(db)
    patch = {entity.required: None}
    required = await result(writer, entity.docs.update, id=node["id"], rev=node["rev"], patch=patch)
    assert required["__typename"] == "ValidationError"
    assert required["fields"] == [
        {
            "path": ["patch", entity.required],
            "message": "is required and cannot be null",
            "code": "REQUIRED",
        }
    ]
    assert await snapshot(db) == unchanged


@each_entity
async def test_stale_rev_is_a_conflict_with_the_current_node(
    client: GraphQLClient, db: Database, entity: Entity
) -> None:
    writer, made, changed = await updated(entity, client, db)
    id, node = made["id"], changed[entity.docs.field]
    current = {"id": id} | {name: node[name] for name in entity.docs.current.split()}
    before = await snapshot(db)
    for query, extra in ((entity.docs.update, {"patch": entity.patch}), (entity.docs.delete, {})):
        stale = await result(writer, query, id=id, rev=1, **extra)
        assert stale["__typename"] == "ConflictError"
        assert (stale["expectedRev"], stale["currentRev"], stale["code"]) == (1, 2, "CONFLICT")
        assert stale["current"] == current
    assert await snapshot(db) == before


@each_entity
@pytest.mark.parametrize("bad_id", ["nonsense", "foreign", "missing"])
async def test_unknown_or_foreign_ids_are_not_found(
    client: GraphQLClient, db: Database, entity: Entity, bad_id: str
) -> None:
    writer, _ = await entity.prepare(client, db)
    id = {
        "nonsense": "nonsense",
        "foreign": to_global_id(entity.foreign, factories.BASE_UUID),
        "missing": to_global_id(entity.docs.type, factories.BASE_UUID),
    }[bad_id]
    before = await snapshot(db)
    docs = entity.docs
    for query, extra in (
        (docs.update, {"patch": entity.patch}),
        (docs.delete, {}),
        (docs.restore, {}),
    ):
        failed = await result(writer, query, id=id, rev=1, **extra)
        assert (failed["__typename"], failed["nodeId"]) == ("NotFoundError", id)
    assert await snapshot(db) == before


@each_entity
async def test_delete_and_restore(client: GraphQLClient, db: Database, entity: Entity) -> None:
    writer, made = await created(entity, client, db)
    id = made["id"]
    docs, field = entity.docs, entity.docs.field
    deleted = await result(writer, docs.delete, id=id, rev=1)
    assert deleted["__typename"] == f"Delete{docs.type}Success"
    assert (deleted[field]["rev"], deleted[field]["deletedAt"] is None) == (2, False)
    assert await client.data(read_by_id(entity), {"id": id}) == {field: None}
    before = await snapshot(db)
    again = await result(writer, docs.delete, id=id, rev=2)
    assert again["__typename"] == "NotFoundError"
    gone = await result(writer, docs.update, id=id, rev=2, patch=entity.patch)
    assert gone["__typename"] == "NotFoundError"
    stale = await result(writer, docs.restore, id=id, rev=1)
    assert (stale["__typename"], stale["currentRev"]) == ("ConflictError", 2)
    assert await snapshot(db) == before
    restored = await result(writer, docs.restore, id=id, rev=2)
    assert restored["__typename"] == f"Restore{docs.type}Success"
    assert (restored[field]["rev"], restored[field]["deletedAt"]) == (3, None)
    assert await client.data(read_by_id(entity), {"id": id}) == {field: {"id": id}}
    unchanged = await result(writer, docs.restore, id=id, rev=3)  # restoring a live row
    assert unchanged[field]["rev"] == 3
    stale_live = await result(writer, docs.restore, id=id, rev=1)
    assert (stale_live["__typename"], stale_live["currentRev"]) == ("ConflictError", 3)


@each_entity
async def test_restore_when_the_unique_value_was_taken_meanwhile(
    client: GraphQLClient, db: Database, entity: Entity
) -> None:
    writer, input = await entity.prepare(client, db)
    id = (await result(writer, entity.docs.create, input=input))[entity.docs.field]["id"]
    await result(writer, entity.docs.delete, id=id, rev=1)
    taken = await result(writer, entity.docs.create, input={**input, **entity.clash})
    assert taken["__typename"] == f"Create{entity.docs.type}Success"
    before = await snapshot(db)
    failed = await result(writer, entity.docs.restore, id=id, rev=2)
    assert failed["__typename"] == "AlreadyExistsError"
    assert failed["field"] == entity.unique
    assert failed["value"] == input[entity.unique]
    assert await snapshot(db) == before


@each_entity
async def test_idempotent_create(client: GraphQLClient, db: Database, entity: Entity) -> None:
    writer, input = await entity.prepare(client, db)
    first = await result(writer, entity.docs.create, input=input, key="k-1")
    before = await snapshot(db)
    retry = await result(writer, entity.docs.create, input=input, key="k-1")
    assert retry == first
    reused = await result(writer, entity.docs.create, input={**input, **entity.changed}, key="k-1")
    assert reused["__typename"] == "IdempotencyKeyReusedError"
    assert (reused["key"], reused["code"]) == ("k-1", "IDEMPOTENCY_KEY_REUSED")
    for bad in ("", "k" * 201):  # named as the schema names the argument
        refused = await result(writer, entity.docs.create, input=input, key=bad)
        assert refused["__typename"] == "ValidationError"
        assert [(f["path"], f["code"]) for f in refused["fields"]] == [
            (["idempotencyKey"], "LENGTH")
        ]
    assert await snapshot(db) == before
