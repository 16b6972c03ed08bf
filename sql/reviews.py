"""Reviews: a customer's rating of a product."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sql.entity import Relation
from sql.products import PRODUCT
from sql.row_columns import row_columns, sort_keys
from sql.rows import row_class
from sql.spec import Spec


@row_class
class ReviewRow:
    id: UUID
    rev: int
    product_id: UUID
    customer_id: UUID
    rating: int
    title: str
    body: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


RATING_TYPE = {"rating": "smallint"}

REVIEW = Spec(
    table="reviews",
    row=ReviewRow,
    filterable={
        **row_columns(ReviewRow, "id", "rating", "title", "created_at", sql_types=RATING_TYPE),
        "product": Relation(lambda: PRODUCT.entity, join="{inner}.id = {outer}.product_id"),
    },
    sortable=sort_keys(ReviewRow, "created_at", "rating"),
    insertable=("product_id", "customer_id", "rating", "title", "body"),
    writable=frozenset({"rating", "title", "body"}),
    unique=("product_id",),  # among the customer's live reviews
    checked=("rating", "title", "body"),
    references={"product_id": "Product", "customer_id": "Customer"},
    measures=row_columns(ReviewRow, "rating", "created_at", sql_types=RATING_TYPE),
)
