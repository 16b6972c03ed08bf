"""The schema: root types assembled from each entity's part."""

from __future__ import annotations

import importlib

import strawberry
from strawberry.schema.config import StrawberryConfig

import gql.rendered  # noqa: F401  (registers which relations and pages the database renders)
from engine.scalars import SCALAR_MAP
from gql.changes import Subscription
from gql.generated import Part
from gql.node import Node, NodeQueries

ENTITIES = (
    "gql.customers",
    "gql.categories",
    "gql.product_mutations",
    "gql.order_mutations",
    "gql.reviews",
)
"""The modules whose `PART` makes up the schema, in the order their fields appear."""


def _parts() -> list[Part]:
    return [importlib.import_module(name).PART for name in ENTITIES]


def _root(name: str, bases: tuple[type, ...], description: str | None) -> type:
    return strawberry.type(type(name, bases, {}), description=description)


def build_schema() -> strawberry.Schema:
    parts = _parts()
    query = _root("Query", (NodeQueries, *(p.queries for p in parts)), "Reading the store.")
    mutation = _root(
        "Mutation",
        tuple(p.mutations for p in parts),
        "Changing the store. Each field runs in its own transaction, in document order; a "
        "failed one changes nothing and does not undo the ones before it.",
    )
    return strawberry.Schema(
        query=query,
        mutation=mutation,
        subscription=Subscription,
        types=[Node, *(t for p in parts for t in p.types)],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )


schema = build_schema()


def schema_sdl() -> str:
    """The schema as checked in to `schema.graphql`."""
    return schema.as_str() + "\n"
