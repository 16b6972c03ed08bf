"""The `Product` type, its filter and ordering, and the product queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

import strawberry

from engine.compiled.fields import batched_field, objects_of
from engine.node_ids import uuid_of
from gql.aggregates import aggregate_kind
from gql.categories import Category, CategoryFilter
from gql.context import Info
from gql.filters import (
    DateTimeFilter,
    DecimalFilter,
    IDFilter,
    IntFilter,
    StringFilter,
)
from gql.generated import filter_input, row_constructor, sort_enum
from gql.group_types import KeyField, RowsOf, group_kind
from gql.node import Node, global_id_field, register_node
from gql.pagination import (
    After,
    Before,
    First,
    IncludeDeleted,
    Last,
    connection,
    connection_args,
    connection_type,
    order_by_input,
)
from resolvers import products
from resolvers.context import RequestContext
from sql.products import PRODUCTS, ProductRow

ProductSortField = sort_enum("ProductSortField", PRODUCTS.sortable, what="products")
ProductOrderBy = order_by_input("ProductOrderBy", ProductSortField, what="a product")
ProductFilter = filter_input(
    "ProductFilter",
    "Product",
    {
        "id": (IDFilter, "The product's id."),
        "sku": (StringFilter, "Its sku."),
        "name": (StringFilter, "Its name."),
        "description": (StringFilter, "Its description (may be null)."),
        "price": (DecimalFilter, "Its price."),
        "stock": (IntFilter, "Units on hand."),
        "created_at": (DateTimeFilter, "When it was created."),
        "updated_at": (DateTimeFilter, "When it was last written."),
        "category": (CategoryFilter, "Its category matches this."),
    },
    module=__name__,
    what="products",
)


async def _categories(ctx: RequestContext, parents: list[Product]) -> list[Category]:
    """Each product's category, for every product of a level at once."""
    rows = await products.categories_of(ctx, [p.row for p in parents])
    return objects_of(rows, Category.from_row)


@strawberry.type(description="Something the store sells.")
class Product(Node):
    id: strawberry.ID = global_id_field("Product")
    rev: int = strawberry.field(description="Revision; every write bumps it by one.")
    sku: str = strawberry.field(description="Stock keeping unit, unique among live products.")
    name: str = strawberry.field(description="Display name.")
    description: str | None = strawberry.field(description="Longer text about the product.")
    price: Decimal = strawberry.field(description="Unit price, two decimals.")
    stock: int = strawberry.field(description="Units on hand; never below zero.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it was last written.")
    deleted_at: datetime | None = strawberry.field(
        description="When it was soft-deleted; null while live."
    )
    row: strawberry.Private[ProductRow]
    from_row: ClassVar[Callable[[ProductRow], Product]]

    category = batched_field(
        _categories, returns=Category, description="The category the product belongs to."
    )


Product.from_row = row_constructor(Product)


ProductAggregate = aggregate_kind("Product", PRODUCTS.measures, what="products")
ProductGroups = group_kind(
    "Product",
    PRODUCTS.measures,
    {
        "category": KeyField(
            Category,
            "Their category.",
            convert=Category.from_row,
            load=products.categories_of_groups,
        )
    },
    ProductAggregate,
    what="products",
    rows=RowsOf("ProductConnection", __name__, ProductOrderBy, Product.from_row),
)
ProductConnection = connection_type("ProductConnection", Product, ProductGroups, what="products")


async def _fetch(ctx: RequestContext, id: UUID) -> Product | None:
    row = await products.READS.one(ctx, id)
    return None if row is None else Product.from_row(row)


register_node("Product", _fetch, row_type=ProductRow, from_row=Product.from_row)


@strawberry.type
class ProductQueries:
    @strawberry.field(description="A live product by id; null when there is none.")
    async def product(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id of a Product.")],
    ) -> Product | None:
        uuid = uuid_of(id, type_name="Product")
        return None if uuid is None else await _fetch(info.context, uuid)

    @strawberry.field(description="A live product by its sku; null when there is none.")
    async def product_by_sku(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description='The exact sku, e.g. "BK-0001".')],
    ) -> Product | None:
        row = await products.product_by_sku(info.context, sku=sku)
        return None if row is None else Product.from_row(row)

    @strawberry.field(
        description="Live products, a page at a time: by name, or by relevance when searching."
    )
    async def products(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            ProductFilter | None,  # type: ignore[valid-type]  # a generated input
            strawberry.argument(description="Only products matching this."),
        ] = None,
        order_by: Annotated[
            list[ProductOrderBy] | None,  # type: ignore[valid-type]  # a generated input
            strawberry.argument(description="Ordering; by name (or relevance) when omitted."),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Full-text search over name and description (web search syntax: "
                'words, "quoted phrases", -excluded); ranks by relevance.'
            ),
        ] = None,
        include_deleted: IncludeDeleted = False,
    ) -> ProductConnection:  # type: ignore[valid-type]
        args = connection_args(first, after, last, before, filter, order_by, include_deleted, info)
        listing = await products.products_listing(info.context, args, search=search)
        return connection(listing, Product.from_row, ProductConnection)
