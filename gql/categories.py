"""The `Category` type, its filter and ordering, and the category queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar
from uuid import UUID

import strawberry

from engine.compiled.fields import batched_field
from engine.node_ids import uuid_of
from gql.aggregates import aggregate_kind
from gql.context import Info
from gql.filters import DateTimeFilter, IDFilter, StringFilter
from gql.generated import filter_input, row_constructor, sort_enum
from gql.group_types import RowsOf, group_kind
from gql.node import Node, global_id_field, register_node
from gql.pagination import connection_field, connection_type, order_by_input
from resolvers import categories
from resolvers.context import RequestContext
from sql.categories import CATEGORIES, CategoryRow
from sql.products import ProductRow

if TYPE_CHECKING:
    from gql.products import Product, ProductConnection, ProductFilter, ProductOrderBy


def _product(row: ProductRow) -> Product:
    from gql.products import Product  # products import categories, not the other way

    return Product.from_row(row)


def _product_connection() -> Any:
    from gql.products import ProductConnection

    return ProductConnection


CategorySortField = sort_enum("CategorySortField", CATEGORIES.sortable, what="categories")
CategoryOrderBy = order_by_input("CategoryOrderBy", CategorySortField, what="a category")
CategoryFilter = filter_input(
    "CategoryFilter",
    "Category",
    {
        "id": (IDFilter, "The category's id."),
        "name": (StringFilter, "Its name."),
        "created_at": (DateTimeFilter, "When it was created."),
    },
    module=__name__,
    what="categories",
)


async def _product_counts(ctx: RequestContext, parents: list[Category]) -> list[int]:
    """How many live products each category has, for every category of a level at once."""
    return await categories.product_counts(ctx, [c.row for c in parents])


@strawberry.type(description="A group of products in the catalogue.")
class Category(Node):
    id: strawberry.ID = global_id_field("Category")
    rev: int = strawberry.field(description="Revision; every write bumps it by one.")
    name: str = strawberry.field(description="Unique name among live categories.")
    description: str | None = strawberry.field(description="Longer text about the category.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it was last written.")
    deleted_at: datetime | None = strawberry.field(
        description="When it was soft-deleted; null while live."
    )
    row: strawberry.Private[CategoryRow]
    from_row: ClassVar[Callable[[CategoryRow], Category]]

    products = connection_field(
        connection_type=Annotated[
            "ProductConnection",
            strawberry.lazy("gql.products"),
        ],
        of=_product_connection,
        filter=Annotated["ProductFilter", strawberry.lazy("gql.products")],
        order_by=Annotated["ProductOrderBy", strawberry.lazy("gql.products")],
        listing=categories.products_of,
        to_node=_product,
        description="The category's live products, a page at a time.",
        what="products",
        default_order="name",
    )

    product_count = batched_field(
        _product_counts, returns=int, description="How many live products the category has."
    )


Category.from_row = row_constructor(Category)


CategoryAggregate = aggregate_kind("Category", CATEGORIES.measures, what="categories")
CategoryGroups = group_kind(
    "Category",
    CATEGORIES.measures,
    {},
    CategoryAggregate,
    what="categories",
    rows=RowsOf("CategoryConnection", __name__, CategoryOrderBy, Category.from_row),
)
CategoryConnection = connection_type(
    "CategoryConnection", Category, CategoryGroups, what="categories"
)


async def _fetch(ctx: RequestContext, id: UUID) -> Category | None:
    row = await categories.READS.one(ctx, id)
    return None if row is None else Category.from_row(row)


register_node("Category", _fetch, row_type=CategoryRow, from_row=Category.from_row)


@strawberry.type
class CategoryQueries:
    @strawberry.field(description="A live category by id; null when there is none.")
    async def category(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id of a Category.")],
    ) -> Category | None:
        uuid = uuid_of(id, type_name="Category")
        return None if uuid is None else await _fetch(info.context, uuid)

    @strawberry.field(description="A live category by name (ignoring case); null when none.")
    async def category_by_name(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="The category's name.")],
    ) -> Category | None:
        row = await categories.category_by_name(info.context, name=name)
        return None if row is None else Category.from_row(row)

    categories = connection_field(
        connection_type=CategoryConnection,
        of=lambda: CategoryConnection,
        filter=CategoryFilter,
        order_by=CategoryOrderBy,
        listing=lambda ctx, _root, args: categories.READS.listing(ctx, args),
        to_node=Category.from_row,
        description="Live categories, a page at a time; by name by default.",
        what="categories",
        default_order="name",
    )
