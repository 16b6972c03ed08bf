"""PostGraphile's answers made comparable with ours (bench/peers.py checks them equal
before anything is timed): its field names renamed to ours, its to-many connections made
lists; then on both sides ids as UUID strings (ours are global ids), decimals by value,
times as UTC instants, and cursors by presence (each server's cursor is its own opaque
string).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from engine.node_ids import from_global_id

# PostGraphile's field names to ours; the to-many relation is a connection there, a list here.
RENAMES = {
    "productById": "product",
    "allOrders": "orders",
    "allProducts": "products",
    "customerByCustomerId": "customer",
    "productByProductId": "product",
    "categoryByCategoryId": "category",
    "orderLinesByOrderId": "lines",
}
UNWRAP = {"orderLinesByOrderId"}
DECIMALS = {"price", "total", "unitPrice"}
TIMES = {"updatedAt", "createdAt", "placedAt"}
CURSORS = {"endCursor", "startCursor", "cursor"}


def as_ours(value: Any) -> Any:
    """PostGraphile's data in our field names and shapes."""
    if isinstance(value, list):
        return [as_ours(item) for item in value]
    if not isinstance(value, dict):
        return value
    renamed = {}
    for key, item in value.items():
        if key in UNWRAP and isinstance(item, dict):
            item = item.get("nodes")
        renamed[RENAMES.get(key, key)] = as_ours(item)
    return renamed


def normalised(value: Any, key: str = "") -> Any:
    """Data both sides can be compared on: ids as UUID strings (ours are global ids),
    decimals by value, times as UTC instants, cursors by presence only."""
    if isinstance(value, dict):
        return {name: normalised(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [normalised(item) for item in value]
    if value is None or not isinstance(value, str):
        return value
    if key == "id":
        decoded = from_global_id(value)
        return str(decoded[1]) if decoded else value.lower()
    if key in DECIMALS:
        return format(Decimal(value).normalize(), "f")
    if key in TIMES:
        return datetime.datetime.fromisoformat(value).astimezone(datetime.UTC).isoformat()
    if key in CURSORS:
        return "<cursor>"
    return value


def comparable(answer: dict[str, Any], *, peer: bool) -> dict[str, Any]:
    """An answer's errors as they are and its data normalised (renamed first if peer's)."""
    data = answer.get("data")
    if data is not None:
        data = normalised(as_ours(data) if peer else data)
    return {**answer, "data": data} if "data" in answer else answer
