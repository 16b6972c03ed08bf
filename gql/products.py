"""The `Product` type and the product queries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from gql.categories import Category
from gql.context import Info
from gql.node import Node
from gql.node_ids import to_global_id, uuid_of
from gql.pagination import After, Before, Connection, First, Last, connection, page_args
from resolvers import products
from sql.products import ProductRow


@strawberry.type(description="Something the store sells.")
class Product(Node):
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

    @strawberry.field(description="The category the product belongs to.")
    async def category(self, info: Info) -> Category:
        return Category.from_row(await products.category_of(info.context, self.row))

    @classmethod
    def from_row(cls, row: ProductRow) -> Product:
        return cls(
            id=strawberry.ID(to_global_id("Product", row.id)),
            rev=row.rev,
            sku=row.sku,
            name=row.name,
            description=row.description,
            price=row.price,
            stock=row.stock,
            created_at=row.created_at,
            updated_at=row.updated_at,
            deleted_at=row.deleted_at,
            row=row,
        )


@strawberry.type
class ProductQueries:
    @strawberry.field(description="A live product by id; null when there is none.")
    async def product(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id of a Product.")],
    ) -> Product | None:
        uuid = uuid_of(id, type_name="Product")
        row = None if uuid is None else await products.product(info.context, id=uuid)
        return None if row is None else Product.from_row(row)

    @strawberry.field(description="A live product by its sku; null when there is none.")
    async def product_by_sku(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description='The exact sku, e.g. "BK-0001".')],
    ) -> Product | None:
        row = await products.product_by_sku(info.context, sku=sku)
        return None if row is None else Product.from_row(row)

    @strawberry.field(description="Live products, a page at a time, by name.")
    async def products(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Product]:
        ctx = info.context
        page = await products.products_page(ctx, page=page_args(first, after, last, before))
        return connection(page, Product.from_row, lambda: products.count_products(ctx))
