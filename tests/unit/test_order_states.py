"""The order state machine over every pair of statuses, with no database."""

from __future__ import annotations

from itertools import product

import pytest

from gql.orders import OrderStatus
from resolvers import order_states
from resolvers.errors import IllegalTransition

ALLOWED = {
    ("PENDING", "PAID"),
    ("PAID", "SHIPPED"),
    ("PENDING", "CANCELLED"),
    ("PAID", "CANCELLED"),
}


def test_the_statuses_are_the_schemas() -> None:
    assert tuple(status.name for status in OrderStatus) == order_states.STATUSES
    assert set(order_states.SOURCES) == set(order_states.STATUSES)


@pytest.mark.parametrize(("from_status", "to"), list(product(order_states.STATUSES, repeat=2)))
def test_every_pair(from_status: str, to: str) -> None:
    expected = (from_status, to) in ALLOWED
    assert order_states.allowed(from_status, to) is expected
    assert (from_status in order_states.sources(to)) is expected
    if expected:
        order_states.check(from_status, to)
    else:
        with pytest.raises(IllegalTransition) as refused:
            order_states.check(from_status, to)
        assert (refused.value.from_status, refused.value.to_status) == (from_status, to)


def test_only_cancelling_restocks() -> None:
    assert {"CANCELLED"} == order_states.RESTOCKS
