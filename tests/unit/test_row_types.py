"""Types over rows: an object holds its row, copies nothing, and reads each field off the
row (or from it, for computed ones) when asked."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from gql.orders import OrderLine, OrderStatus
from gql.products import Product
from sql.orders import OrderLineRow
from tests.unit.test_row_class import product_row


def test_an_object_holds_its_row_and_copies_nothing() -> None:
    row = product_row(description="Warm light")
    product = Product(row)
    assert vars(product) == {"row": row}
    shown = (product.sku, product.name, product.description, product.price, product.stock)
    assert shown == (row.sku, row.name, row.description, row.price, row.stock)
    assert (product.rev, product.created_at, product.deleted_at) == (1, row.created_at, None)


def test_a_field_reads_the_row_it_holds_now() -> None:
    row = product_row()
    product = Product(row)
    product.row = dataclasses.replace(row, stock=7, deleted_at=datetime.now(UTC))
    assert product.stock == 7
    assert product.deleted_at is not None


def test_computed_fields_are_made_from_the_row() -> None:
    line = OrderLine(
        OrderLineRow(
            id=uuid4(),
            order_id=uuid4(),
            position=1,
            product_id=uuid4(),
            quantity=3,
            unit_price=Decimal("2.50"),
            created_at=datetime.now(UTC),
        )
    )
    assert line.subtotal == Decimal("7.50")
    assert (line.quantity, line.unit_price) == (3, Decimal("2.50"))
    assert OrderStatus("PAID") is OrderStatus.PAID
