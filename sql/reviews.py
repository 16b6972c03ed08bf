"""Reviews: a customer's rating of a product."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sql.builder import Column, Relation, SortKey
from sql.products import PRODUCT
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


REVIEW = Spec(
    name="Review",
    table="reviews",
    row=ReviewRow,
    filterable={
        "id": Column("id", UUID, "uuid"),
        "rating": Column("rating", int, "smallint"),
        "title": Column("title", str, "text"),
        "created_at": Column("created_at", datetime, "timestamptz"),
        "product": Relation(lambda: PRODUCT.entity, join="{inner}.id = {outer}.product_id"),
    },
    sortable={
        "CREATED_AT": SortKey("{t}.created_at", datetime),
        "RATING": SortKey("{t}.rating", int),
    },
    insertable=("product_id", "customer_id", "rating", "title", "body"),
    writable=frozenset({"rating", "title", "body"}),
    unique=("product_id",),  # among the customer's live reviews
    checked=("rating", "title", "body"),
    references={"product_id": "Product", "customer_id": "Customer"},
    measures={
        "rating": Column("rating", int, "smallint"),
        "created_at": Column("created_at", datetime, "timestamptz"),
    },
)
