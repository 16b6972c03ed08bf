"""Field markers the schema declares its fields with, read by the compiler: a
`batched_field` resolves all the parents of a level with one call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from inspect import isawaitable
from typing import Any, TypeAlias, TypeVar

import strawberry
from strawberry.types import Info as _Info

RowT = TypeVar("RowT")
ObjectT = TypeVar("ObjectT")
Info: TypeAlias = _Info[Any, None]
Batch = Callable[[Any, list[Any]], Awaitable[list[Any]] | list[Any]]
BATCH = "storefront.batch"
RENDER = "storefront.render"
"""Where a `batched_field` keeps its render token (`engine.compiled.rendering`)."""
RENDER_PAGE = "storefront.render_page"
"""Where a connection field that can hand its page's nodes over as finished JSON text
keeps its token (`engine.compiled.pages`)."""

Narrowing = Callable[[], AbstractContextManager[object]]
ReadsHook = Callable[[Mapping[str, frozenset[str]]], Narrowing]
_reads_hook: ReadsHook | None = None


def narrow_reads_with(hook: ReadsHook) -> None:
    """Have `hook` told, once per plan, the fields the plan reads of each object type (by
    type name: the Python names of every field selected on it), and have what it returns
    entered around every run of the plan: the schema's side may then read less than
    whole objects."""
    global _reads_hook
    _reads_hook = hook


def narrowing(reads: Mapping[str, frozenset[str]] | None) -> Narrowing:
    """What to enter around a plan's runs (nothing when its reads are not all known)."""
    if reads is None or _reads_hook is None:
        return nullcontext
    return _reads_hook(reads)


ROW_READERS = "__row_readers__"


def read_off_rows(cls: type, readers: Mapping[str, Callable[[Any], Any]]) -> None:
    """Tell plans that an object of `cls` holds its row as `.row`, and that its plain field
    `name` (by Python name) is `readers[name](row)`: a level then takes its rows once and
    reads each such field over them with `map`, not through a property per object."""
    setattr(cls, ROW_READERS, dict(readers))


def row_readers(cls: type | None) -> Mapping[str, Callable[[Any], Any]]:
    """What `read_off_rows` told of `cls` itself (not of a base class)."""
    found: Mapping[str, Callable[[Any], Any]] = vars(cls).get(ROW_READERS, {}) if cls else {}
    return found


def batched_field(batch: Batch, *, returns: Any, description: str, render: Any = None) -> Any:
    """A field resolved for many parents at once: `batch(ctx, parents)` returns (or
    returns an awaitable of) one value per parent, in order. graphql-core calls it with one
    parent at a time (its loaders still batch); compiled execution with every parent of a
    level. `render`: a token saying how the database may render the field's subtree
    (`engine.compiled.rendering`)."""

    async def resolve(self: Any, info: Info) -> Any:
        values = batch(info.context, [self])
        return (await values if isawaitable(values) else values)[0]

    resolve.__annotations__ = {"info": Info, "return": returns}
    resolve.__module__ = batch.__module__  # string annotations name types of that module
    metadata = {BATCH: batch} if render is None else {BATCH: batch, RENDER: render}
    return strawberry.field(resolver=resolve, description=description, metadata=metadata)


def objects_of(rows: Sequence[RowT], from_row: Callable[[RowT], ObjectT]) -> list[ObjectT]:
    """The GraphQL object of each row, made once per distinct row: a page of order lines
    names the same few categories again and again. Every loop but `from_row` runs in C."""
    keys = list(map(id, rows))
    distinct = dict(zip(keys, rows, strict=True))
    if len(distinct) == len(keys):
        return list(map(from_row, rows))
    made = dict(zip(distinct, map(from_row, distinct.values()), strict=True))
    return list(map(made.__getitem__, keys))
