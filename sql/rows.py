"""Helpers shared by every query module: column lists from row types, records to rows."""

from __future__ import annotations

import functools
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from itertools import starmap
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, dataclass_transform
from uuid import UUID

from asyncpg.pgproto.pgproto import UUID as DriverUUID

from sql.read_once import fetch_narrowed

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from sql.pool import Executor

RowT = TypeVar("RowT", bound="DataclassInstance")
T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def row_class(cls: type[T]) -> type[T]:
    """A row type: a dataclass with slots that type checkers hold frozen.

    Not frozen at run time: a frozen dataclass's `__init__` sets every field through
    `object.__setattr__`, six times slower than plain assignment (1.9 against 0.3 us for
    a product's eleven columns), and a page of order lines with their products makes
    hundreds of rows. Hashing stays as frozen rows have it (by value). `__omitted__` names
    the fields a row was read without (`row_maker`): none."""
    made = dataclass(slots=True, unsafe_hash=True)(cls)
    made.__omitted__ = frozenset()  # type: ignore[attr-defined]
    return made


def columns(
    row_type: type[DataclassInstance], *, prefix: str = "", omit: frozenset[str] = frozenset()
) -> str:
    """The row type's fields as a written-out column list, in declaration order, without
    those in `omit`.

    Query functions select exactly these columns, so a record maps onto the row positionally
    (through `row_maker` when some are left out).
    """
    return ", ".join(f"{prefix}{f.name}" for f in fields(row_type) if f.name not in omit)


# -- Reads that leave columns out ------------------------------------------------------------
#
# A read may leave out the columns nobody will look at: decoding a timestamp costs the driver
# more than any other column, and a page of orders with their lines and products holds a
# thousand the query never shows (and as many texts). A row read that way is still of its
# row type, with the fields left out unset: reading one raises AttributeError instead of
# giving a wrong value, and such rows are kept apart from whole ones (loaders are keyed by
# what they leave out).

_NOTHING_LEFT_OUT: Mapping[type, frozenset[str]] = MappingProxyType({})

LEFT_OUT: ContextVar[Mapping[type, frozenset[str]]] = ContextVar(
    "left_out", default=_NOTHING_LEFT_OUT
)
"""The fields the running read leaves out of rows, by row type (none unless set)."""


def left_out(row_type: type) -> frozenset[str]:
    return LEFT_OUT.get().get(row_type, frozenset())


class leaving_out:  # used as the function it was: `with leaving_out(...)`
    """Reads in this block (and in the tasks it starts) leave these fields out. A class
    rather than a generator: a compiled plan enters one around every run."""

    __slots__ = ("_omitted", "_token")

    def __init__(self, omitted: Mapping[type, frozenset[str]]) -> None:
        self._omitted = omitted

    def __enter__(self) -> None:
        self._token = LEFT_OUT.set(self._omitted)

    def __exit__(self, *exc: object) -> None:
        LEFT_OUT.reset(self._token)


LEAVABLE_KINDS = (datetime, str)
"""What a read may leave out: timestamps, the dearest values to decode, and texts, the
longest (a product's description). Never ids, which relations and visibility follow, nor
numbers, which other fields are worked out from (a line's subtotal)."""


@functools.cache
def leavable(row_type: type[DataclassInstance]) -> frozenset[str]:
    """The fields a read may leave out of a row type (`LEAVABLE_KINDS`), but `deleted_at`,
    which visibility reads."""
    hints = typing.get_type_hints(row_type)
    return frozenset(
        f.name
        for f in fields(row_type)
        if f.name != "deleted_at"
        and any(
            kind in LEAVABLE_KINDS for kind in typing.get_args(hints[f.name]) or (hints[f.name],)
        )
    )


@functools.cache
def row_maker(row_type: type[RowT], omit: frozenset[str]) -> Callable[[Sequence[Any]], RowT]:
    """A function from a record of the columns `columns(row_type, omit=omit)` selects to a
    row whose fields in `omit` are unset. The row is of a subclass that adds nothing but
    `__omitted__`, so whoever copies rows can tell. Written out once per pair, as the
    dataclass writes its `__init__`."""
    if not omit:
        return lambda record: row_type(*record)
    narrowed = type(row_type.__name__, (row_type,), {"__slots__": (), "__omitted__": omit})
    kept = [f.name for f in fields(row_type) if f.name not in omit]
    body = "".join(f"    row.{name} = record[{i}]\n" for i, name in enumerate(kept))
    namespace: dict[str, Any] = {"new": object.__new__, "cls": narrowed}
    exec(f"def make(record):\n    row = new(cls)\n{body}    return row", namespace)  # noqa: S102
    made: Callable[[Sequence[Any]], RowT] = namespace["make"]
    return made


class ByIds:
    """A statement reading rows by an array of ids in `$1`, and its twin for a single id;
    when it leaves columns out, `whole` is the one that reads whole rows.

    PostgreSQL plans `id = ANY($1)` afresh on every execution: the generic plan guesses
    ten ids, so it never looks cheaper than a custom plan for the ids at hand, and the
    planning cost more server CPU than the read (about 50 us a statement here). `id = $1`
    gets its cached generic plan after a few runs, and most reads by id (a root field, a
    node, a lone parent) ask for one id.
    """

    MANY = "= ANY($1::uuid[])"
    ONE = "= $1::uuid"

    def __init__(self, statement: str, whole: ByIds | None = None) -> None:
        if statement.count(self.MANY) != 1:
            raise ValueError(f"a by-ids statement matches ids with {self.MANY!r} once")
        self.many = statement
        self.one = statement.replace(self.MANY, self.ONE)
        self.whole = whole

    def fetch(self, executor: Executor, ids: Sequence[UUID], *args: Any) -> Awaitable[list[Any]]:
        """The records of these ids (`args` fill `$2` on). When this statement leaves
        columns out, its failure is also `whole`'s (`sql.read_once.fetch_narrowed`)."""
        whole = self.whole
        if len(ids) == 1:
            if whole is None:
                return executor.fetch(self.one, ids[0], *args)
            return fetch_narrowed(executor, self.one, whole.one, ids[0], *args)
        if whole is None:
            return executor.fetch(self.many, list(ids), *args)
        return fetch_narrowed(executor, self.many, whole.many, list(ids), *args)


def to_rows(
    row_type: type[RowT], records: Iterable[Any], omit: frozenset[str] = frozenset()
) -> list[RowT]:
    if omit:
        return list(map(row_maker(row_type, omit), records))
    return list(starmap(row_type, records))


def row_to_json(row: DataclassInstance) -> dict[str, Any]:
    """A row as JSON-safe values (uuids, decimals and times as strings)."""
    return {f.name: _to_json(getattr(row, f.name)) for f in fields(row)}


def row_from_json(row_type: type[RowT], data: dict[str, Any]) -> RowT:
    """The row `row_to_json` made, with its field types restored."""
    hints = typing.get_type_hints(row_type)
    return row_type(**{name: _from_json(hints[name], value) for name, value in data.items()})


def _to_json(value: Any) -> Any:
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _from_json(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    kinds = typing.get_args(hint) or (hint,)
    if datetime in kinds:
        return datetime.fromisoformat(value)
    if UUID in kinds:
        return UUID(value)
    if Decimal in kinds:
        return Decimal(value)
    return value


def uuid_of_text(text: str) -> UUID:
    """`UUID(text)`, of the type the driver decodes uuid columns to, whose construction
    and hash run in C (`uuid.UUID`'s are Python); forms only `uuid.UUID` reads (braces, a
    `urn:uuid:` prefix) as `uuid.UUID`. Equal uuids of either type are
    equal and hash alike."""
    try:
        return DriverUUID(text)
    except ValueError:
        return UUID(text)
