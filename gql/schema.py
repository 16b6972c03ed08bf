"""The schema: root types assembled from each entity's query class."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from engine.scalars import SCALAR_MAP
from gql.categories import Category, CategoryQueries
from gql.category_mutations import CategoryMutations
from gql.changes import Subscription
from gql.customer_mutations import CustomerMutations
from gql.customers import Customer, CustomerQueries
from gql.node import Node, NodeQueries
from gql.order_mutations import OrderMutations
from gql.orders import Order, OrderLine, OrderQueries
from gql.product_mutations import ProductMutations
from gql.products import Product, ProductQueries


@strawberry.type(description="Reading the store.")
class Query(NodeQueries, CustomerQueries, CategoryQueries, ProductQueries, OrderQueries):
    pass


@strawberry.type(
    description="Changing the store. Each field runs in its own transaction, in document "
    "order; a failed one changes nothing and does not undo the ones before it."
)
class Mutation(CustomerMutations, CategoryMutations, ProductMutations, OrderMutations):
    pass


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Node, Customer, Category, Product, Order, OrderLine],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )


schema = build_schema()


def schema_sdl() -> str:
    """The schema as checked in to `schema.graphql`."""
    return schema.as_str() + "\n"
