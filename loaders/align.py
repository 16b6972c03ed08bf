"""Aligning batch results to DataLoader keys: one result per key, in key order."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


def align_one(keys: Sequence[K], rows: Iterable[R], key: Callable[[R], K]) -> list[R | None]:
    """For each key the row with that key, or None (a missing row is not an error here)."""
    by_key = {key(row): row for row in rows}
    return [by_key.get(k) for k in keys]
