"""The `Category` type, its reads and queries, and its mutations (the standard ones)."""

from __future__ import annotations

import strawberry

from gql.entity_reads import EntityReads
from gql.generated import Part, create_input, patch_input
from gql.node import Node
from gql.row_types import Document, document, figure
from gql.standard_mutations import standard_mutations
from resolvers import categories
from sql.categories import CATEGORY, CategoryRow


@document(description="A group of products in the catalogue.")
class Category(Document[CategoryRow], Node):
    name: str = strawberry.field(description="Unique name among live categories.")
    description: str | None = strawberry.field(description="Longer text about the category.")

    # `products` is declared with products (`gql.products`), before this.
    product_count = figure(
        categories.product_counts, int, "How many live products the category has."
    )


CATEGORIES = EntityReads(Category, categories.READS, default_order="name")

CategoryQueries = CATEGORIES.queries(
    "Live categories, a page at a time; by name by default.",
    CATEGORIES.by_key(
        "name",
        "A live category by name (ignoring case); null when none.",
    ),
)

CategoryMutations = standard_mutations(
    CATEGORIES,
    categories.RULES,
    create_input=create_input(
        CATEGORY,
        {
            "name": "Unique among live categories, 1-200 characters.",
            "description": "Up to 10,000 characters.",
        },
    ),
    patch_input=patch_input(CATEGORY),
    texts={"Delete": "Soft-delete a category that has no live products."},
)

PART = Part(CategoryQueries, CategoryMutations, (Category,))
