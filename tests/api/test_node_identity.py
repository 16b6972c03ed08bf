"""Relay's globally unique id rule: a field named `id` is the identity of the object
holding it, and of nothing else.

Relay (and every cache that normalizes by `id`) files an object under its `id`; an object
whose `id` named another node would overwrite that node's record. So only `Node`s have an
`id`, and every `Node`'s `id` is the global id of that very node: checked statically over the
schema, and over the objects real responses carry.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from graphql import GraphQLInterfaceType, GraphQLObjectType

from engine.node_ids import to_global_id
from gql.schema import schema
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.api.mutations import result

TYPES = schema._schema.type_map
NODE = TYPES["Node"]
assert isinstance(NODE, GraphQLInterfaceType)
NODE_TYPES = {t.name for t in schema._schema.get_possible_types(NODE)}


def test_only_nodes_have_a_field_named_id() -> None:
    holders = {
        name
        for name, graphql_type in TYPES.items()
        if isinstance(graphql_type, GraphQLObjectType)
        and not name.startswith("__")
        and "id" in graphql_type.fields
    }
    assert holders == NODE_TYPES
    for name in holders:
        object_type = TYPES[name]
        assert isinstance(object_type, GraphQLObjectType)
        assert NODE in object_type.interfaces, f"{name} has an id but is no Node"


EVERYTHING = """{
  customers(first: 10) { nodes { __typename id name
    orders(first: 10) { nodes { __typename id number customer { __typename id }
      lines { __typename id quantity order { __typename id }
        product { __typename id sku category { __typename id name
          products(first: 5) { edges { node { __typename id } } } } } } } } } }
  reviews(first: 5) { nodes { __typename id product { __typename id } } }
}"""


def objects_with_id(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "id" in value:
            yield value
        for child in value.values():
            yield from objects_with_id(child)
    elif isinstance(value, list):
        for item in value:
            yield from objects_with_id(item)


def decoded(global_id: str) -> tuple[str, UUID]:
    type_name, _, raw = base64.b64decode(global_id).decode().partition(":")
    return type_name, UUID(raw)


async def test_every_id_in_a_response_names_the_object_holding_it(
    client: GraphQLClient, db: Database
) -> None:
    category = await factories.category(db, "Tools")
    products = [await factories.product(db, category, name) for name in ("Saw", "Drill")]
    customer = await factories.customer(db, "Ada")
    order = await factories.order(db, customer, [(products[0], 1), (products[1], 2)])
    review = await factories.review(db, products[0], customer)
    rows = {
        "Category": {category},
        "Product": set(products),
        "Customer": {customer},
        "Order": {order},
        "OrderLine": set(await factories.line_ids(db, order)),
        "Review": {review},
    }
    found = list(objects_with_id(await client.data(EVERYTHING)))
    assert {o["__typename"] for o in found} == NODE_TYPES
    for obj in found:
        type_name, uuid = decoded(obj["id"])
        assert type_name == obj["__typename"]
        assert uuid in rows[type_name]
        again = await client.data(
            "query($id: ID!) { node(id: $id) { __typename id } }", {"id": obj["id"]}
        )
        assert again["node"] == {"__typename": type_name, "id": obj["id"]}


async def test_mutation_payloads_name_other_nodes_only_in_node_id(
    client: GraphQLClient, db: Database
) -> None:
    """A conflict's `current` is the node itself; a not-found names the id in `nodeId`."""
    category = await factories.category(db, "Tools")
    product = to_global_id("Product", await factories.product(db, category, "Saw"))
    update = """mutation($id: ID!, $rev: Int!) { updateProduct(id: $id, rev: $rev,
      patch: {name: "Saw II"}) { __typename
        ... on ConflictError { current { __typename id } }
        ... on NotFoundError { nodeId } } }"""
    stale = await result(client, update, id=product, rev=9)
    assert stale == {
        "__typename": "ConflictError",
        "current": {"__typename": "Product", "id": product},
    }
    await factories.soft_delete(db, "products", decoded(product)[1])
    gone = await result(client, update, id=product, rev=1)
    assert gone == {"__typename": "NotFoundError", "nodeId": product}
    assert list(objects_with_id(gone)) == []
