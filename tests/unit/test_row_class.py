"""Row types: dataclasses with slots, compared and hashed by value, like frozen ones."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from sql.products import ProductRow
from sql.rows import columns, row_from_json, row_to_json


def product_row(**changes: object) -> ProductRow:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    values: dict[str, object] = {
        "id": uuid4(),
        "rev": 1,
        "sku": "SKU-1",
        "name": "Lamp",
        "description": None,
        "price": Decimal("9.50"),
        "stock": 3,
        "category_id": uuid4(),
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }
    return ProductRow(**{**values, **changes})  # type: ignore[arg-type]


def test_rows_are_equal_and_hash_alike_by_value() -> None:
    row = product_row()
    same = dataclasses.replace(row)
    assert same is not row
    assert same == row
    assert hash(same) == hash(row)
    assert len({row, same}) == 1
    other = dataclasses.replace(row, rev=2)
    assert other != row
    assert len({row, other}) == 2


def test_rows_keep_their_slots_and_field_order() -> None:
    row = product_row()
    assert not hasattr(row, "__dict__")
    with pytest.raises(AttributeError):
        row.colour = "red"  # type: ignore[attr-defined]
    assert columns(ProductRow).split(", ")[:3] == ["id", "rev", "sku"]
    assert row_from_json(ProductRow, row_to_json(row)) == row
