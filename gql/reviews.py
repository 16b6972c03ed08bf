"""The `Review` type, its queries and mutations, and `Product.reviews`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID

import strawberry

from engine.compiled.fields import batched_field, objects_of
from engine.node_ids import uuid_of
from gql.aggregates import aggregate_kind
from gql.context import Info
from gql.customers import Customer
from gql.filters import DateTimeFilter, IDFilter, IntFilter, StringFilter
from gql.generated import Part, attach, filter_input, row_constructor, sort_enum
from gql.group_types import RowsOf, group_kind
from gql.node import Node, global_id_field, register_node
from gql.pagination import connection_field, connection_type, order_by_input
from gql.products import Product, ProductFilter
from gql.standard_mutations import standard_mutations
from resolvers import reviews
from resolvers.context import RequestContext
from sql.reviews import REVIEW, ReviewRow

ReviewSortField = sort_enum("ReviewSortField", REVIEW.sortable, what="reviews")
ReviewOrderBy = order_by_input("ReviewOrderBy", ReviewSortField, what="a review")
ReviewFilter = filter_input(
    "ReviewFilter",
    "Review",
    {
        "id": (IDFilter, "The review's id."),
        "rating": (IntFilter, "Its rating, 1 to 5."),
        "title": (StringFilter, "Its title."),
        "created_at": (DateTimeFilter, "When it was written."),
        "product": (ProductFilter, "Its product matches this."),
    },
    module=__name__,
    what="reviews",
)


async def _products(ctx: RequestContext, parents: list[Review]) -> list[Product]:
    return objects_of(await reviews.products_of(ctx, [r.row for r in parents]), Product.from_row)


async def _authors(ctx: RequestContext, parents: list[Review]) -> list[Customer | None]:
    rows = await reviews.authors_of(ctx, [r.row for r in parents])
    return [None if row is None else Customer.from_row(row) for row in rows]


@strawberry.type(description="A customer's rating of a product.")
class Review(Node):
    id: strawberry.ID = global_id_field("Review")
    rev: int = strawberry.field(description="Revision; every write bumps it by one.")
    rating: int = strawberry.field(description="From 1 (poor) to 5 (excellent).")
    title: str = strawberry.field(description="A line that sums it up.")
    body: str | None = strawberry.field(description="The review itself.")
    created_at: datetime = strawberry.field(description="When it was written.")
    updated_at: datetime = strawberry.field(description="When it was last changed.")
    deleted_at: datetime | None = strawberry.field(
        description="When it was soft-deleted; null while live."
    )
    row: strawberry.Private[ReviewRow]
    from_row: ClassVar[Callable[[ReviewRow], Review]]

    product = batched_field(_products, returns=Product, description="The product reviewed.")
    customer = batched_field(
        _authors,
        returns=Customer | None,
        description="Who wrote it; null for viewers who may not see them (customers see "
        "themselves, staff everyone).",
    )


Review.from_row = row_constructor(Review)

ReviewAggregate = aggregate_kind("Review", REVIEW.measures, what="reviews")
ReviewGroups = group_kind(
    "Review",
    REVIEW.measures,
    {},
    ReviewAggregate,
    what="reviews",
    rows=RowsOf("ReviewConnection", __name__, ReviewOrderBy, Review.from_row),
)
ReviewConnection = connection_type("ReviewConnection", Review, ReviewGroups, what="reviews")


async def _fetch(ctx: RequestContext, id: UUID) -> Review | None:
    row = await reviews.READS.one(ctx, id)
    return None if row is None else Review.from_row(row)


register_node("Review", _fetch, row_type=ReviewRow, from_row=Review.from_row)


def _connection(description: str, listing: Any) -> Any:
    return connection_field(
        connection_type=ReviewConnection,
        of=lambda: ReviewConnection,
        filter=ReviewFilter,
        order_by=ReviewOrderBy,
        listing=listing,
        to_node=Review.from_row,
        description=description,
        what="reviews",
        default_order="newest first",
    )


attach(
    Product,
    "reviews",
    _connection("The product's live reviews, a page at a time.", reviews.of_product),
)


@strawberry.type
class ReviewQueries:
    @strawberry.field(description="A live review by id; null when there is none.")
    async def review(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id of a Review.")],
    ) -> Review | None:
        uuid = uuid_of(id, type_name="Review")
        return None if uuid is None else await _fetch(info.context, uuid)

    reviews = _connection(
        "Live reviews of every product, a page at a time; newest first by default.",
        lambda ctx, _root, args: reviews.READS.listing(ctx, args),
    )


@strawberry.input(description="A new review of a product, by the customer asking.")
class CreateReviewInput:
    product_id: strawberry.ID = strawberry.field(description="The live product reviewed.")
    rating: int = strawberry.field(description="From 1 to 5.")
    title: str = strawberry.field(description="1-200 characters.")
    body: str | None = strawberry.field(
        default=strawberry.UNSET, description="Up to 10,000 characters."
    )


@strawberry.input(description="Changes to a review: omitted fields stay as they are.")
class ReviewPatch:
    rating: int | None = strawberry.field(default=strawberry.UNSET, description="From 1 to 5.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description="A new title.")
    body: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new body; null clears it."
    )


ReviewMutations = standard_mutations(
    Review,
    reviews.RULES,
    create_input=CreateReviewInput,
    patch_input=ReviewPatch,
    edge=reviews.READS.edge,
    connection="reviews",
    ids={"product_id": "Product"},
)

PART = Part(ReviewQueries, ReviewMutations, (Review,))
