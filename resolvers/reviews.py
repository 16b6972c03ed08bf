"""Reviews: everyone reads them; a customer writes their own, staff delete any."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from uuid import UUID

from pydantic import Field

from loaders.batching import load_all
from resolvers.connections import Ordering
from resolvers.context import RequestContext
from resolvers.crud import Policy, Rules
from resolvers.standard_reads import Reads, existing
from resolvers.validation import Description, Input, Name
from sql.customers import CUSTOMER, CustomerRow
from sql.products import PRODUCT, ProductRow
from sql.reviews import REVIEW, ReviewRow

Rating = Annotated[int, Field(ge=1, le=5)]


class ReviewInput(Input):
    product_id: UUID
    rating: Rating
    title: Name
    body: Description | None = None


RULES = Rules(
    spec=REVIEW,
    policy=Policy(
        create="customer",
        update="owner",
        delete="staff_or_owner",
        restore="staff_or_owner",
        owner="customer_id",
        words="change other customers' reviews",
    ),
    patch_model=ReviewInput,
    input_model=ReviewInput,
    live={"product_id": PRODUCT, "customer_id": CUSTOMER},  # a deleted author writes nothing
    taken=("product_id",),
)

READS = Reads(REVIEW, "reviews", (Ordering("CREATED_AT", descending=True),))


of_product = READS.under(scope="product.reviews", key="product_id")


async def products_of(ctx: RequestContext, reviews: Sequence[ReviewRow]) -> list[ProductRow]:
    return await existing(
        ctx.loaders.by_id(PRODUCT), [r.product_id for r in reviews], what="product"
    )


async def authors_of(ctx: RequestContext, reviews: Sequence[ReviewRow]) -> list[CustomerRow | None]:
    """Each review's author, when the viewer may see them (customers are private)."""
    return await load_all(ctx.loaders.by_id(CUSTOMER), [r.customer_id for r in reviews])
