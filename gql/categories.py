"""The `Category` type, its filter and ordering, and the category queries."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

from gql.context import Info
from gql.error_types import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    NotFoundError,
    ReferencedError,
    ValidationError,
    outcome,
)
from gql.filters import DateTimeFilter, EntityFilter, IDFilter, StringFilter
from gql.inputs import provided, target
from gql.node import Node, register_node
from gql.node_ids import to_global_id, uuid_of
from gql.pagination import connection_field, order_by_input
from resolvers import categories
from resolvers.context import RequestContext
from sql.categories import CategoryRow
from sql.products import ProductRow

if TYPE_CHECKING:
    from gql.products import Product, ProductFilter, ProductOrderBy


def _product(row: ProductRow) -> Product:
    from gql.products import Product  # products import categories, not the other way

    return Product.from_row(row)


@strawberry.enum(description="What categories can be ordered by.")
class CategorySortField(Enum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"


CategoryOrderBy = order_by_input("CategoryOrderBy", CategorySortField, what="a category")


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

    products = connection_field(
        node=Annotated["Product", strawberry.lazy("gql.products")],
        filter=Annotated["ProductFilter", strawberry.lazy("gql.products")],
        order_by=Annotated["ProductOrderBy", strawberry.lazy("gql.products")],
        listing=categories.products_of,
        to_node=_product,
        description="The category's live products, a page at a time.",
        what="products",
        default_order="name",
    )

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
        node=Category,
        filter=CategoryFilter,
        order_by=CategoryOrderBy,
        listing=lambda ctx, _root, args: categories.categories_listing(ctx, args),
        to_node=Category.from_row,
        description="Live categories, a page at a time; by name by default.",
        what="categories",
        default_order="name",
    )


@strawberry.input(description="A new category.")
class CreateCategoryInput:
    name: str = strawberry.field(description="Unique among live categories, 1-200 characters.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="Up to 10,000 characters."
    )


@strawberry.input(description="Changes to a category: omitted fields stay as they are.")
class CategoryPatch:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new name (null is not allowed)."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new description; null clears it."
    )


@strawberry.type(description="The category was created.")
class CreateCategorySuccess:
    category: Category = strawberry.field(description="The new category.")


@strawberry.type(description="The category was changed.")
class UpdateCategorySuccess:
    category: Category = strawberry.field(description="The category as it is now.")


@strawberry.type(description="The category was soft-deleted.")
class DeleteCategorySuccess:
    category: Category = strawberry.field(description="The category, with `deletedAt` set.")


@strawberry.type(description="The category is live again.")
class RestoreCategorySuccess:
    category: Category = strawberry.field(description="The restored category.")


CREATE_ERRORS = (ValidationError, AlreadyExistsError, IdempotencyKeyReusedError, ForbiddenError)
UPDATE_ERRORS = (NotFoundError, ConflictError, ValidationError, AlreadyExistsError, ForbiddenError)
DELETE_ERRORS = (NotFoundError, ConflictError, ReferencedError, ForbiddenError)
RESTORE_ERRORS = (NotFoundError, ConflictError, AlreadyExistsError, ForbiddenError)

CreateCategoryResult = Annotated[
    CreateCategorySuccess
    | ValidationError
    | AlreadyExistsError
    | IdempotencyKeyReusedError
    | ForbiddenError,
    strawberry.union("CreateCategoryResult", description="What createCategory did."),
]
UpdateCategoryResult = Annotated[
    UpdateCategorySuccess
    | NotFoundError
    | ConflictError
    | ValidationError
    | AlreadyExistsError
    | ForbiddenError,
    strawberry.union("UpdateCategoryResult", description="What updateCategory did."),
]
DeleteCategoryResult = Annotated[
    DeleteCategorySuccess | NotFoundError | ConflictError | ReferencedError | ForbiddenError,
    strawberry.union("DeleteCategoryResult", description="What deleteCategory did."),
]
RestoreCategoryResult = Annotated[
    RestoreCategorySuccess | NotFoundError | ConflictError | AlreadyExistsError | ForbiddenError,
    strawberry.union("RestoreCategoryResult", description="What restoreCategory did."),
]

CategoryId = Annotated[strawberry.ID, strawberry.argument(description="The category's id.")]
Rev = Annotated[int, strawberry.argument(description="The revision the change is based on.")]
IdempotencyKey = Annotated[
    str | None,
    strawberry.argument(
        description="Makes retries safe: the same key with the same arguments returns the "
        "first result and writes nothing more (keys are remembered for 24 hours)."
    ),
]


@strawberry.type
class CategoryMutations:
    @strawberry.mutation(description="Create a category.")
    async def create_category(
        self,
        info: Info,
        input: Annotated[CreateCategoryInput, strawberry.argument(description="The category.")],
        idempotency_key: IdempotencyKey = None,
    ) -> CreateCategoryResult:
        work = categories.create_category(
            info.context, input=provided(input), idempotency_key=idempotency_key
        )
        return await outcome(
            work,
            lambda row: CreateCategorySuccess(category=Category.from_row(row)),
            allowed=CREATE_ERRORS,
        )

    @strawberry.mutation(description="Change a category at the revision you last saw.")
    async def update_category(
        self,
        info: Info,
        id: CategoryId,
        rev: Rev,
        patch: Annotated[CategoryPatch, strawberry.argument(description="What to change.")],
    ) -> UpdateCategoryResult:
        async def work() -> CategoryRow:
            uuid = target(id, type_name="Category")
            return await categories.update_category(
                info.context, id=uuid, rev=rev, patch=provided(patch)
            )

        return await outcome(
            work(),
            lambda row: UpdateCategorySuccess(category=Category.from_row(row)),
            allowed=UPDATE_ERRORS,
        )

    @strawberry.mutation(description="Soft-delete a category that has no live products.")
    async def delete_category(self, info: Info, id: CategoryId, rev: Rev) -> DeleteCategoryResult:
        async def work() -> CategoryRow:
            uuid = target(id, type_name="Category")
            return await categories.delete_category(info.context, id=uuid, rev=rev)

        return await outcome(
            work(),
            lambda row: DeleteCategorySuccess(category=Category.from_row(row)),
            allowed=DELETE_ERRORS,
        )

    @strawberry.mutation(description="Restore a soft-deleted category.")
    async def restore_category(self, info: Info, id: CategoryId, rev: Rev) -> RestoreCategoryResult:
        async def work() -> CategoryRow:
            uuid = target(id, type_name="Category")
            return await categories.restore_category(info.context, id=uuid, rev=rev)

        return await outcome(
            work(),
            lambda row: RestoreCategorySuccess(category=Category.from_row(row)),
            allowed=RESTORE_ERRORS,
        )
