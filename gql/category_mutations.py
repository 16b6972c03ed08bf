"""Category mutations: their inputs, success types and result unions."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql import standard_writes
from gql.categories import Category, CategoryQueries
from gql.context import Info
from gql.error_types import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    NotFoundError,
    ReferencedError,
    ValidationError,
)
from gql.generated import Part
from gql.inputs import IdempotencyKey, Rev
from gql.pagination import Edge, created, new_edge_description
from gql.standard_writes import columns_of
from resolvers import categories


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
    category_edge: Edge[Category] = strawberry.field(description=new_edge_description("categories"))


@strawberry.type(description="The category was changed.")
class UpdateCategorySuccess:
    category: Category = strawberry.field(description="The category as it is now.")


@strawberry.type(description="The category was soft-deleted.")
class DeleteCategorySuccess:
    category: Category = strawberry.field(description="The category, with `deletedAt` set.")


@strawberry.type(description="The category is live again.")
class RestoreCategorySuccess:
    category: Category = strawberry.field(description="The restored category.")


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


@strawberry.type
class CategoryMutations:
    @strawberry.mutation(description="Create a category.")
    async def create_category(
        self,
        info: Info,
        input: Annotated[CreateCategoryInput, strawberry.argument(description="The category.")],
        idempotency_key: IdempotencyKey = None,
    ) -> CreateCategoryResult:
        return await standard_writes.create(
            info,
            categories.RULES,
            values=columns_of(input),
            idempotency_key=idempotency_key,
            success=lambda row: created(
                CreateCategorySuccess,
                "category",
                Category.from_row(row),
                categories.category_edge(info.context, row),
            ),
            result=CreateCategoryResult,
        )

    @strawberry.mutation(description="Change a category at the revision you last saw.")
    async def update_category(
        self,
        info: Info,
        id: CategoryId,
        rev: Rev,
        patch: Annotated[CategoryPatch, strawberry.argument(description="What to change.")],
    ) -> UpdateCategoryResult:
        return await standard_writes.update(
            info,
            categories.RULES,
            id=id,
            rev=rev,
            patch=columns_of(patch),
            success=lambda row: UpdateCategorySuccess(category=Category.from_row(row)),
            result=UpdateCategoryResult,
        )

    @strawberry.mutation(description="Soft-delete a category that has no live products.")
    async def delete_category(self, info: Info, id: CategoryId, rev: Rev) -> DeleteCategoryResult:
        return await standard_writes.delete(
            info,
            categories.RULES,
            id=id,
            rev=rev,
            success=lambda row: DeleteCategorySuccess(category=Category.from_row(row)),
            result=DeleteCategoryResult,
        )

    @strawberry.mutation(description="Restore a soft-deleted category.")
    async def restore_category(self, info: Info, id: CategoryId, rev: Rev) -> RestoreCategoryResult:
        return await standard_writes.restore(
            info,
            categories.RULES,
            id=id,
            rev=rev,
            success=lambda row: RestoreCategorySuccess(category=Category.from_row(row)),
            result=RestoreCategoryResult,
        )


PART = Part(CategoryQueries, CategoryMutations, (Category,))
