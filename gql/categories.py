"""The `Category` type, its filter and ordering, and the category queries."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

from gql.context import Info
from gql.filters import (
    DateTimeFilter,
    EntityFilter,
    IDFilter,
    NullsOrder,
    SortDirection,
    StringFilter,
)
from gql.node import Node, register_node
from gql.node_ids import to_global_id, uuid_of
from gql.pagination import After, Before, Connection, First, Last, connection, connection_args
from resolvers import categories
from resolvers.context import RequestContext
from sql.categories import CategoryRow

if TYPE_CHECKING:
    from gql.products import Product, ProductFilter, ProductOrderBy

LazyProduct = Annotated["Product", strawberry.lazy("gql.products")]


@strawberry.enum(description="What categories can be ordered by.")
class CategorySortField(Enum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"


@strawberry.input(description="One step of a category ordering.")
class CategoryOrderBy:
    field: CategorySortField = strawberry.field(description="What to order by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending (default) or descending."
    )
    nulls: NullsOrder | None = strawberry.field(
        default=None, description="Where nulls go; the database default when omitted."
    )


@strawberry.input(description="Conditions on categories; all given fields must hold.")
class CategoryFilter(EntityFilter):
    NODE_TYPE = "Category"
    id: IDFilter | None = strawberry.field(default=None, description="The category's id.")
    name: StringFilter | None = strawberry.field(default=None, description="Its name.")
    created_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When it was created."
    )
    and_: list[CategoryFilter] | None = strawberry.field(
        default=None, name="and", description="Every one of these holds (empty: true)."
    )
    or_: list[CategoryFilter] | None = strawberry.field(
        default=None, name="or", description="At least one of these holds (empty: false)."
    )
    not_: CategoryFilter | None = strawberry.field(
        default=None, name="not", description="This does not hold."
    )


@strawberry.type(description="A group of products in the catalogue.")
class Category(Node):
    rev: int = strawberry.field(description="Revision; every write bumps it by one.")
    name: str = strawberry.field(description="Unique name among live categories.")
    description: str | None = strawberry.field(description="Longer text about the category.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it was last written.")
    deleted_at: datetime | None = strawberry.field(
        description="When it was soft-deleted; null while live."
    )
    row: strawberry.Private[CategoryRow]

    @strawberry.field(description="The category's live products, a page at a time.")
    async def products(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            Annotated[ProductFilter, strawberry.lazy("gql.products")] | None,
            strawberry.argument(description="Only products matching this."),
        ] = None,
        order_by: Annotated[
            list[Annotated[ProductOrderBy, strawberry.lazy("gql.products")]] | None,
            strawberry.argument(description="Ordering; by name when omitted."),
        ] = None,
    ) -> Connection[LazyProduct]:
        from gql.products import Product

        args = connection_args(first, after, last, before, filter, order_by)
        listing = await categories.products_of(info.context, self.row, args)
        return connection(listing, Product.from_row)

    @strawberry.field(description="How many live products the category has.")
    async def product_count(self, info: Info) -> int:
        return await categories.product_count(info.context, self.row)

    @classmethod
    def from_row(cls, row: CategoryRow) -> Category:
        return cls(
            id=strawberry.ID(to_global_id("Category", row.id)),
            rev=row.rev,
            name=row.name,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
            deleted_at=row.deleted_at,
            row=row,
        )


async def _fetch(ctx: RequestContext, id: UUID) -> Category | None:
    row = await categories.category(ctx, id=id)
    return None if row is None else Category.from_row(row)


register_node("Category", _fetch)


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

    @strawberry.field(description="Live categories, a page at a time; by name by default.")
    async def categories(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            CategoryFilter | None, strawberry.argument(description="Only categories matching this.")
        ] = None,
        order_by: Annotated[
            list[CategoryOrderBy] | None,
            strawberry.argument(description="Ordering; by name when omitted."),
        ] = None,
    ) -> Connection[Category]:
        args = connection_args(first, after, last, before, filter, order_by)
        return connection(
            await categories.categories_listing(info.context, args), Category.from_row
        )
