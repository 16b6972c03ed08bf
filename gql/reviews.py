"""The `Review` type, its queries and mutations, and `Product.reviews`."""

from __future__ import annotations

import strawberry

from gql.customers import Customer
from gql.entity_reads import EntityReads
from gql.generated import Part, attach, create_input, patch_input
from gql.node import Node
from gql.products import Product
from gql.row_types import Document, document, relation
from gql.standard_mutations import standard_mutations
from resolvers import reviews
from sql.reviews import REVIEW, ReviewRow


@document(
    description="A customer's rating of a product.",
    texts={"created_at": "When it was written.", "updated_at": "When it was last changed."},
)
class Review(Document[ReviewRow], Node):
    rating: int = strawberry.field(description="From 1 (poor) to 5 (excellent).")
    title: str = strawberry.field(description="A line that sums it up.")
    body: str | None = strawberry.field(description="The review itself.")

    product = relation(reviews.products_of, Product, "The product reviewed.")
    customer = relation(
        reviews.authors_of,
        Customer,
        "Who wrote it; null for viewers who may not see them (customers see themselves, "
        "staff everyone).",
        nullable=True,
    )


REVIEWS = EntityReads(
    Review,
    reviews.READS,
    default_order="newest first",
    texts={"rating": "Its rating, 1 to 5."},
)

attach(
    Product,
    "reviews",
    REVIEWS.connection_field("The product's live reviews, a page at a time.", reviews.of_product),
)

ReviewQueries = REVIEWS.queries(
    "Live reviews of every product, a page at a time; newest first by default.",
)

ReviewMutations = standard_mutations(
    REVIEWS,
    reviews.RULES,
    create_input=create_input(
        REVIEW,
        {
            "product_id": "The live product reviewed.",
            "rating": "From 1 to 5.",
            "title": "1-200 characters.",
            "body": "Up to 10,000 characters.",
        },
        description="A new review of a product, by the customer asking.",
    ),
    patch_input=patch_input(REVIEW, {"rating": "From 1 to 5.", "title": "A new title."}),
)

PART = Part(ReviewQueries, ReviewMutations, (Review,))
