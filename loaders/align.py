"""Aligning batch results to DataLoader keys: one result per key, in key order."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


def align_one(keys: Sequence[K], rows: Sequence[R], key: Callable[[R], K]) -> list[R | None]:
    """For each key the row with that key, or None (a missing row is not an error here).
    Its loops run in C: the nested orders page aligns hundreds of rows."""
    by_key = dict(zip(map(key, rows), rows, strict=True))
    return list(map(by_key.get, keys))
