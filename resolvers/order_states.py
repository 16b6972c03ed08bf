"""The order state machine, as data: which statuses each status may be reached from.

PENDING → PAID → SHIPPED, and PENDING or PAID → CANCELLED. SHIPPED and CANCELLED are
final. Nothing moves to PENDING: it is only where an order starts.
"""

from __future__ import annotations

from resolvers.errors import IllegalTransition

STATUSES = ("PENDING", "PAID", "SHIPPED", "CANCELLED")

SOURCES: dict[str, frozenset[str]] = {
    "PENDING": frozenset(),
    "PAID": frozenset({"PENDING"}),
    "SHIPPED": frozenset({"PAID"}),
    "CANCELLED": frozenset({"PENDING", "PAID"}),
}
"""For each status, the statuses an order may move to it from."""

RESTOCKS = frozenset({"CANCELLED"})
"""Moving to these statuses puts the order's units back into stock."""


def sources(to: str) -> frozenset[str]:
    return SOURCES[to]


def allowed(from_status: str, to: str) -> bool:
    return from_status in SOURCES[to]


def check(from_status: str, to: str) -> None:
    """Raises `IllegalTransition` unless an order may move from `from_status` to `to`."""
    if not allowed(from_status, to):
        raise IllegalTransition(from_status, to)


CUSTOMER_MAY = frozenset({"CANCELLED"})
"""The steps customers may take on their own orders; every other step is staff's."""
