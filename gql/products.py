"""The `Product` type, its reads and queries, and `Category.products`."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from gql.categories import Category
from gql.entity_reads import EntityReads
from gql.generated import attach
from gql.group_types import KeyField
from gql.node import Node
from gql.row_types import Document, document, relation
from resolvers import categories, products
from sql.products import ProductRow


@document(description="Something the store sells.")
class Product(Document[ProductRow], Node):
    sku: str = strawberry.field(description="Stock keeping unit, unique among live products.")
    name: str = strawberry.field(description="Display name.")
    description: str | None = strawberry.field(description="Longer text about the product.")
    price: Decimal = strawberry.field(description="Unit price, two decimals.")
    stock: int = strawberry.field(description="Units on hand; never below zero.")

    category = relation(
        products.categories_of,
        Category,
        "The category the product belongs to.",
        render=products.CATEGORY_OF_PRODUCT,
    )


PRODUCTS = EntityReads(
    Product,
    products.READS,
    default_order="name",
    texts={"description": "Its description (may be null).", "stock": "Units on hand."},
    keys={
        "category": KeyField(
            Category, "Their category.", convert=Category, load=products.categories_of_groups
        )
    },
)

attach(
    Category,
    "products",
    PRODUCTS.connection_field(
        "The category's live products, a page at a time.", categories.products_of
    ),
    before="product_count",
)


ProductQueries = PRODUCTS.queries(
    PRODUCTS.connection_field(
        "Live products, a page at a time: by name, or by relevance when searching.",
        lambda ctx, _root, args, search, rendered=None: products.products_listing(
            ctx, args, search=search, rendered=rendered
        ),
        default_order="name (or relevance)",
        renders_pages=True,
        extra={
            "search": (
                Annotated[
                    str | None,
                    strawberry.argument(
                        description="Full-text search over name and description (web search "
                        'syntax: words, "quoted phrases", -excluded); ranks by relevance.'
                    ),
                ],
                None,
            )
        },
    ),
    PRODUCTS.by_key(
        "sku",
        "A live product by its sku; null when there is none.",
        argument='The exact sku, e.g. "BK-0001".',
    ),
)
