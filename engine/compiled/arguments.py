"""Arguments in a plan: which fields take theirs as graphql-core coerced them, and a
hashable twin of small argument sets, so each converted set is kept and reused."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryMaybe, StrawberryOptional


def plain_arguments(
    arguments: list[StrawberryArgument], registry: Any, config: Any
) -> list[tuple[str, str]] | None:
    """(GraphQL name, Python name) of each argument when all of them are scalars, which
    Strawberry passes on as graphql-core coerced them (a `GlobalID` it decodes, a `Maybe`
    it wraps: those are not plain); None when any needs converting."""
    names = []
    for argument in arguments:
        type_ = argument.type
        if isinstance(type_, StrawberryOptional) and not isinstance(type_, StrawberryMaybe):
            type_ = type_.of_type
        if type_ is GlobalID or not is_scalar(type_, registry):
            return None
        assert argument.python_name is not None
        names.append((config.name_converter.from_argument(argument), argument.python_name))
    return names


MAX_CONVERTED = 64
"""Argument sets whose converted values each resolver of a plan keeps (they are read,
never changed, by the resolvers)."""

MAX_KEPT_CHARS = 256
"""Characters of argument values a kept argument set may hold in all: plans live as long as
their document is cached, so arguments that are large (a long search, a filter of many
values) are converted on each run instead of being kept, and kept memory stays bounded."""


def frozen(value: Any) -> Hashable | None:
    """A hashable twin of coerced argument values, when they are small enough to keep;
    None when there is none."""
    budget = [MAX_KEPT_CHARS]
    return _freeze(value, budget)


def _freeze(value: Any, budget: list[int]) -> Hashable | None:
    budget[0] -= 1 + (len(value) if isinstance(value, str) else 0)
    if budget[0] < 0:
        return None
    if isinstance(value, dict):
        items = []
        for name, item in value.items():
            frozen = _freeze(item, budget)
            if frozen is None and item is not None:
                return None
            items.append((name, type(item), frozen))
        return ("{", *items)
    if isinstance(value, list):
        parts = [_freeze(item, budget) for item in value]
        if any(p is None and i is not None for p, i in zip(parts, value, strict=True)):
            return None
        return ("[", *((type(i), p) for i, p in zip(value, parts, strict=True)))
    if isinstance(value, str | int | bool | Enum) or value is None:
        return (type(value), value)
    if isinstance(value, float | Decimal | datetime):  # equal values that print apart
        return (type(value), repr(value))
    return None
