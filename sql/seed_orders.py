"""Generated orders and their lines: planned compactly (integers in arrays) and turned into
rows lazily on the way to COPY, so memory stays flat.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterator
from decimal import Decimal
from random import Random

from sql.seed_catalogue import Customers, Products, Row
from sql.seed_clock import DAY, SPAN, at, at_or_none, new_uuid

FIRST_ORDER_NUMBER = 1001

# Weighted choices as lookup tables indexed by int(random() * 100): cheaper than choices().
_LINES_PER_ORDER = [1] * 15 + [2] * 25 + [3] * 25 + [4] * 20 + [5] * 15  # mean 2.95
_QUANTITY = [1] * 62 + [2] * 24 + [3] * 8 + [4] * 4 + [5] * 2


class OrderPlan:
    """Who ordered what and when, as compact arrays; rows are made on the way to COPY.

    Orders are numbered in the order they were placed, so numbers grow with placed_at.
    """

    def __init__(self, rng: Random, count: int, customers: Customers, products: Products) -> None:
        self.customer_ids = customers.ids
        self.products = products
        by_signup = sorted(range(len(customers.ids)), key=customers.created.__getitem__)
        signups = [customers.created[c] for c in by_signup]
        opened = signups[0] if signups else 0
        # Trade grows, so orders thicken towards the base time; numbers follow placed_at.
        self.placed = array(
            "q", sorted(opened + int(rng.random() ** 0.7 * (SPAN - opened)) for _ in range(count))
        )
        # Anyone signed up by then may order: early customers, eligible longest, order most.
        self.customer = array(
            "q", (by_signup[int(rng.random() * bisect_right(signups, t))] for t in self.placed)
        )
        self.order_ids = [new_uuid(rng) for _ in range(count)]
        self.line_start = array("q", [0])
        self.line_product = array("q")
        self.line_quantity = array("b")
        on_sale = sorted(range(len(products.ids)), key=products.created.__getitem__)
        launched = [products.created[p] for p in on_sale]
        for placed in self.placed:
            available = bisect_right(launched, placed)
            wanted = _LINES_PER_ORDER[int(rng.random() * 100)]
            for product in self._pick(rng, on_sale, available, wanted, placed):
                self.line_product.append(product)
                self.line_quantity.append(_QUANTITY[int(rng.random() * 100)])
            self.line_start.append(len(self.line_product))
        self.line_count = len(self.line_product)

    def _pick(
        self, rng: Random, on_sale: list[int], available: int, wanted: int, placed: int
    ) -> list[int]:
        """Up to `wanted` distinct products launched and not deleted by `placed`."""
        deleted = self.products.deleted
        picked: list[int] = []
        for _ in range(4 * wanted):
            product = on_sale[int(rng.random() * available)]
            if product not in picked and deleted[product] > placed:
                picked.append(product)
                if len(picked) == wanted:
                    break
        return picked or [0]

    def orders(self, rng: Random) -> Iterator[Row]:
        cents = self.products.cents
        for index, placed in enumerate(self.placed):
            start, end = self.line_start[index], self.line_start[index + 1]
            total = sum(
                self.line_quantity[j] * cents[self.line_product[j]] for j in range(start, end)
            )
            status, paid, shipped, cancelled = _status(rng, placed)
            changes = [t for t in (paid, shipped, cancelled) if t is not None]
            yield (
                self.order_ids[index], 1 + len(changes), FIRST_ORDER_NUMBER + index, status,
                self.customer_ids[self.customer[index]], Decimal(total).scaleb(-2),
                at(placed), at_or_none(paid), at_or_none(shipped), at_or_none(cancelled),
                at(placed), at(max(changes, default=placed)), None,
            )  # fmt: skip

    def lines(self, rng: Random) -> Iterator[Row]:
        ids, prices = self.products.ids, self.products.prices
        for index, order_id in enumerate(self.order_ids):
            created = at(self.placed[index])
            start, end = self.line_start[index], self.line_start[index + 1]
            for position, j in enumerate(range(start, end), start=1):
                product = self.line_product[j]
                yield (
                    new_uuid(rng), order_id, position, ids[product], self.line_quantity[j],
                    prices[product], created,
                )  # fmt: skip


def _status(rng: Random, placed: int) -> tuple[str, int | None, int | None, int | None]:
    """A status for an order of this age, with the timestamps of the path that reached it
    (orders_status_timestamps_check); none of them lies after the base time."""
    age, roll = SPAN - placed, rng.random()
    if age < DAY:
        status = "PENDING" if roll < 0.55 else "PAID" if roll < 0.9 else "CANCELLED"
    elif age < 7 * DAY:
        status = "PENDING" if roll < 0.04 else "PAID" if roll < 0.3 else "SHIPPED"
        status = "CANCELLED" if roll > 0.92 else status
    else:
        status = "SHIPPED" if roll < 0.93 else "CANCELLED"
    if status == "PENDING":
        return status, None, None, None
    paid = None
    if status != "CANCELLED" or rng.random() < 0.35:
        # Most pay within minutes, a few take hours.
        paid = min(placed + 60 + int(rng.random() ** 3 * 6 * 3600), SPAN)
    if status == "PAID":
        return status, paid, None, None
    if status == "SHIPPED":
        assert paid is not None
        return status, paid, min(paid + 7200 + int(rng.random() * 4 * DAY), SPAN), None
    return status, paid, None, min((paid or placed) + int(rng.random() * 3 * DAY), SPAN)
