"""The schema: root types assembled from each entity's query class."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from gql.categories import Category
from gql.node import Node
from gql.products import Product, ProductQueries
from gql.scalars import SCALAR_MAP


@strawberry.type(description="Reading the store.")
class Query(ProductQueries):
    pass


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        types=[Node, Product, Category],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )


schema = build_schema()


def schema_sdl() -> str:
    """The schema as checked in to `schema.graphql`."""
    return schema.as_str() + "\n"
