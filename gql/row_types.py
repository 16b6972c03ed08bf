"""Types whose objects are rows: `Product(row)` holds the row, and each plain field is
read off it when a query asks for it (nothing is copied, and the row is at hand for
relations and ids).

`row_type` makes such a type; `document` one of a document (an entity's row with `rev`,
timestamps and soft delete), whose standard fields it declares: `id` and `rev` first,
`createdAt`, `updatedAt` and `deletedAt` last, as every entity shows them. `relation` and
`figure` declare a field read off the rows of every parent of a level at once.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from itertools import repeat
from operator import attrgetter, is_
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import strawberry

from engine.compiled.fields import batched_field, objects_of, read_off_rows
from gql.node import Node, global_id_field

RowT = TypeVar("RowT")
T = TypeVar("T")


class RowObject(Generic[RowT]):
    """The base of types over rows: first among the bases, so its `__init__` is theirs."""

    ITS: ClassVar[str] = "Its"
    """How a filter speaks of one of its objects ("Its name.", "Their email.")."""
    COLUMNS: ClassVar[frozenset[str]] = frozenset()
    """Its plain fields that are columns of its row as they are (not computed)."""

    def __init__(self, row: RowT) -> None:
        self.row = row


class Document(RowObject[RowT]):
    """The base of document types: the fields `document` declares, as type checkers see
    them."""

    if TYPE_CHECKING:
        rev: int
        created_at: datetime
        updated_at: datetime
        deleted_at: datetime | None


def row_type(
    *, description: str, computed: Mapping[str, Callable[[Any], Any]] | None = None
) -> Callable[[type[T]], type[T]]:
    """`strawberry.type` for a `RowObject` subclass: its plain fields read off the row by
    name, or through `computed[name](row)` (an enum from its text, a product of two
    columns); a `Node` gets its global `id` first."""
    return lambda cls: _over_rows(cls, description, computed or {}, {})


def document(
    *,
    description: str,
    they: bool = False,
    texts: Mapping[str, str] | None = None,
    computed: Mapping[str, Callable[[Any], Any]] | None = None,
) -> Callable[[type[T]], type[T]]:
    """`row_type` for a `Document` subclass, with a document's standard fields (`they`:
    say "they", not "it"; `texts` replaces their descriptions by Python name)."""
    it = "they were" if they else "it was"
    standard = {
        "rev": (int, "Revision; every write bumps it by one."),
        "created_at": (datetime, f"When {it} created."),
        "updated_at": (datetime, f"When {it} last written."),
        "deleted_at": (datetime | None, f"When {it} soft-deleted; null while live."),
    }
    for name, text in (texts or {}).items():
        standard[name] = (standard[name][0], text)

    def decorate(cls: type[T]) -> type[T]:
        made = _over_rows(cls, description, computed or {}, standard)
        if they:
            made.ITS = "Their"  # type: ignore[attr-defined]
        return made

    return decorate


def _over_rows(
    cls: type[T],
    description: str,
    computed: Mapping[str, Callable[[Any], Any]],
    standard: Mapping[str, tuple[Any, str]],
) -> type[T]:
    tail = dict(standard)
    head = {"rev": tail.pop("rev")} if tail else {}
    annotations: dict[str, Any] = {}
    if issubclass(cls, Node):
        annotations["id"] = strawberry.ID
        cls.id = global_id_field(cls.__name__)
    annotations |= {name: kind for name, (kind, _) in head.items()}
    annotations |= inspect.get_annotations(cls)
    annotations |= {name: kind for name, (kind, _) in tail.items()}
    for name, (_, text) in standard.items():
        setattr(cls, name, strawberry.field(description=text))
    cls.__annotations__ = annotations
    made = strawberry.type(cls, description=description)
    readers: dict[str, Callable[[Any], Any]] = {}
    for field in made.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if field.base_resolver is None:
            name = field.python_name
            readers[name] = computed.get(name) or attrgetter(name)
            setattr(made, name, _reader(name, computed.get(name)))
    read_off_rows(made, readers)
    made.COLUMNS = frozenset(readers) - set(computed)  # type: ignore[attr-defined]
    del made.__init__  # `RowObject`'s: the row alone
    return made


def _reader(name: str, compute: Callable[[Any], Any] | None) -> property:
    """The field `name` read off the row (by an attribute getter, which runs in C)."""
    if compute is None:
        return property(attrgetter(f"row.{name}"))

    def read(self: RowObject[Any]) -> Any:
        return compute(self.row)

    return property(read)


def relation(
    load: Callable[[Any, list[Any]], Awaitable[Sequence[Any]]],
    to: type,
    description: str,
    *,
    nullable: bool = False,
    render: Any = None,
) -> Any:
    """A field showing each parent's related object: `load(ctx, rows)` gives a row per
    parent row (None for none, when `nullable`), shown as `to(row)`. `render`: the rows
    `load` reads, as `sql.rendered.Source` (see `gql.rendered`)."""
    return batched_field(
        _over_rows_of(load, to),
        returns=to | None if nullable else to,
        description=description,
        render=render,
    )


def figure(
    load: Callable[[Any, list[Any]], Awaitable[Sequence[Any]]],
    returns: Any,
    description: str,
    *,
    pick: str | None = None,
) -> Any:
    """A field showing a figure per parent: what `load(ctx, rows)` gives for its row, or
    that value's attribute `pick` (several figures read by one statement)."""
    make = None if pick is None else attrgetter(pick)
    return batched_field(_over_rows_of(load, make), returns=returns, description=description)


def _over_rows_of(
    load: Callable[[Any, list[Any]], Awaitable[Sequence[Any]]],
    make: Callable[[Any], Any] | None,
) -> Callable[[Any, list[RowObject[Any]]], Awaitable[list[Any]]]:
    """`load` over the parents' rows, each value it gives made what the field shows by
    `make`, once per distinct value; None stays None."""

    async def batch(ctx: Any, parents: list[RowObject[Any]]) -> list[Any]:
        values = await load(ctx, [p.row for p in parents])
        if make is None:
            return list(values)
        if not any(map(is_, values, repeat(None))):  # by identity, in C: no row is None
            return objects_of(values, make)
        convert = make
        return objects_of(values, lambda value: None if value is None else convert(value))

    return batch
