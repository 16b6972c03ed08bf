"""The product writes' hand-made statements take their values in `PRODUCT.insertable`'s
order, and only whole sets of them."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from sql.products import INSERT_PRODUCTS, PRODUCT, UPSERT_PRODUCT, insert_products, upsert_product

NEW = {
    "sku": "SKU-1",
    "name": "Lamp",
    "description": "Bright",
    "price": Decimal("9.50"),
    "stock": 3,
    "category_id": UUID(int=1),
}


def test_the_columns_and_their_parameters_follow_the_insertable_order() -> None:
    names = ", ".join(PRODUCT.insertable)
    assert f"INSERT INTO products ({names})" in INSERT_PRODUCTS
    assert f"INSERT INTO products AS p ({names})" in UPSERT_PRODUCT
    arrays = re.search(r"unnest\((.*?)\) AS i\((.*?)\)", INSERT_PRODUCTS)
    assert arrays is not None
    assert arrays[2] == names
    slots = [int(n) for n in re.findall(r"\$(\d+)::", arrays[1])]
    assert slots == list(range(1, len(PRODUCT.insertable) + 1))


class Refused:
    """A connection that must not be reached."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the statement was sent ({name})")


@pytest.mark.parametrize(
    "values",
    [
        {k: v for k, v in NEW.items() if k != "description"},  # not a null description
        {**NEW, "rev": 2},  # not a column it writes
    ],
)
async def test_values_other_than_the_insertable_columns_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="a product's values"):
        await insert_products(Refused(), new=[NEW, values])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a product's values"):
        await upsert_product(
            Refused(),  # type: ignore[arg-type]
            new=values,
            keep_stock=False,
            keep_description=False,
            rev=None,
        )
