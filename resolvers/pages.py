"""Page arguments (`first/after`, `last/before`) and the page they produce, for every
connection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from resolvers.cursors import decode_cursor, encode_cursor, ordering_digest
from resolvers.errors import BadUserInput
from sql.keyset import KeysetPage, SortKey

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageLimits:
    default: int
    maximum: int


@dataclass(frozen=True, slots=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True, slots=True)
class PagePlan:
    """What to read: `limit` rows from `cursor_values` on, backward or forward."""

    order: tuple[SortKey, ...]
    digest: str
    limit: int
    backward: bool
    cursor_values: tuple[Any, ...] | None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


def plan_page(
    args: PageArgs, *, order: tuple[SortKey, ...], scope: str, limits: PageLimits
) -> PagePlan:
    if args.first is not None and args.last is not None:
        raise BadUserInput("pass either `first` or `last`, not both")
    backward = args.last is not None
    if backward and args.after is not None:
        raise BadUserInput("`after` goes with `first`; use `before` with `last`")
    if not backward and args.before is not None:
        raise BadUserInput("`before` goes with `last`; use `after` with `first`")
    size = args.last if backward else args.first
    name = "last" if backward else "first"
    if size is None:
        size = limits.default
    elif size < 0:
        raise BadUserInput(f"`{name}` must not be negative (got {size})")
    elif size > limits.maximum:
        raise BadUserInput(f"`{name}` must be at most {limits.maximum} (got {size})")
    digest = ordering_digest(order, scope=scope)
    cursor = args.before if backward else args.after
    values = None if cursor is None else decode_cursor(cursor, order=order, digest=digest)
    return PagePlan(order=order, digest=digest, limit=size, backward=backward, cursor_values=values)


def build_page(plan: PagePlan, page: KeysetPage) -> Page[Any]:
    """Turns a keyset read into a page in the requested order with exact page info.

    Each row's cursor holds its values of the ordering's columns, read by column name.
    """
    items: Sequence[Any] = page.records
    if plan.backward:
        items = list(reversed(items))
    cursors = [
        encode_cursor([getattr(item, key.column.sql) for key in plan.order], digest=plan.digest)
        for item in items
    ]
    ahead, behind = page.more_ahead, page.any_behind
    return Page(
        items=list(items),
        cursors=cursors,
        has_next_page=behind if plan.backward else ahead,
        has_previous_page=ahead if plan.backward else behind,
    )
