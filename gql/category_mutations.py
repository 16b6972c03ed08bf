"""Category mutations: their inputs; the mutations themselves are the standard ones."""

from __future__ import annotations

import strawberry

from gql.categories import Category, CategoryQueries
from gql.generated import Part
from gql.standard_mutations import standard_mutations
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


CategoryMutations = standard_mutations(
    Category,
    categories.RULES,
    create_input=CreateCategoryInput,
    patch_input=CategoryPatch,
    edge=categories.READS.edge,
    connection="categories",
    texts={"Delete": "Soft-delete a category that has no live products."},
)

PART = Part(CategoryQueries, CategoryMutations, (Category,))
