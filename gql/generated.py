"""What every entity's schema has and no entity should write again: its filter input (its
fields plus `and`, `or`, `not`), its sort enum, objects made from rows, and fields added to
another entity's type (a relation declared where the related entity lives)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import strawberry

from gql.filters import EntityFilter

T = TypeVar("T")

Fields = dict[str, tuple[Any, str]]
"""Filter fields by Python name: their filter type (or a lazy reference) and description."""


@dataclass(frozen=True, slots=True)
class Part:
    """One entity's share of the schema: its query and mutation fields, and its types
    (each entity's module names its own as `PART`; `gql.schema.ENTITIES` lists them)."""

    queries: type
    mutations: type
    types: tuple[type, ...]


def filter_input(name: str, node_type: str, fields: Fields, *, module: str, what: str) -> Any:
    """`<Entity>Filter`: each given field must hold, and `and`/`or`/`not` combine filters.
    `module` is where the input is bound to `name` (its self-references resolve there);
    `what` names the rows ("categories")."""
    annotations: dict[str, Any] = {}
    body: dict[str, Any] = {"NODE_TYPE": node_type, "__module__": module}
    for field_name, (kind, text) in fields.items():
        annotations[field_name] = kind | None
        body[field_name] = strawberry.field(default=None, description=text)
    annotations["and_"] = f"list[{name}] | None"
    body["and_"] = strawberry.field(
        default=None, name="and", description="Every one of these holds (empty: true)."
    )
    annotations["or_"] = f"list[{name}] | None"
    body["or_"] = strawberry.field(
        default=None, name="or", description="At least one of these holds (empty: false)."
    )
    annotations["not_"] = f"{name} | None"
    body["not_"] = strawberry.field(default=None, name="not", description="This does not hold.")
    body["__annotations__"] = annotations
    made = type(name, (EntityFilter,), body)
    description = f"Conditions on {what}; all given fields must hold."
    return strawberry.input(made, description=description)


def sort_enum(name: str, keys: Any, *, what: str) -> Any:
    """`<Entity>SortField`: the sortable keys of the entity's spec, in their order."""
    made: Any = Enum(name, {key: key for key in keys})  # type: ignore[misc]
    return strawberry.enum(made, description=f"What {what} can be ordered by.")


def row_fields(cls: type) -> tuple[str, ...]:
    """The fields of a type that are copied from its row as they are: its plain ones."""
    return tuple(
        f.name for f in dataclasses.fields(cls) if f.name != "row" and f.init and _plain(cls, f)
    )


def _plain(cls: type, field: dataclasses.Field[Any]) -> bool:
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    for made in definition.fields:
        if made.python_name == field.name:
            return made.base_resolver is None
    return False


def row_constructor(cls: type[T], **convert: Callable[[Any], Any]) -> Callable[[Any], T]:
    """`cls`'s object over a row: its plain fields read off the row by name, through
    `convert[name]` where given (an enum from its text). Written out and compiled once
    per type, so it costs what a hand-written one does (objects are made a page at a time
    on the read path). A row read without some fields (`sql.rows.row_maker`) makes an
    object without them: reading one raises, as on the row."""
    names = row_fields(cls)
    narrow: dict[frozenset[str], Callable[[Any], T]] = {}

    def narrowed(row: Any) -> T:
        omitted: frozenset[str] = row.__omitted__
        made = narrow.get(omitted)
        if made is None:
            kept = [name for name in names if name not in omitted]
            made = narrow[omitted] = _written(
                cls,
                "    made = new(cls)\n"
                + "".join(f"    made.{name} = {_read(name, convert)}\n" for name in kept)
                + "    made.row = row\n    return made",
                convert,
            )
        return made(row)

    arguments = "".join(f"{name}={_read(name, convert)}, " for name in names)
    return _written(
        cls,
        f"    if row.__omitted__:\n        return narrowed(row)\n"
        f"    return cls({arguments}row=row)",
        convert,
        narrowed=narrowed,
    )


def _read(name: str, convert: dict[str, Callable[[Any], Any]]) -> str:
    return f"convert_{name}(row.{name})" if name in convert else f"row.{name}"


def _written(
    cls: type[T], body: str, convert: dict[str, Callable[[Any], Any]], **more: Any
) -> Callable[[Any], T]:
    namespace: dict[str, Any] = {
        "cls": cls,
        "new": object.__new__,
        **{f"convert_{k}": v for k, v in convert.items()},
        **more,
    }
    exec(f"def from_row(row):\n{body}", namespace)  # noqa: S102
    made: Callable[[Any], T] = namespace["from_row"]
    return made


def attach(owner: type, python_name: str, field: Any) -> None:
    """Adds `field` to the Strawberry type `owner`, as if declared last in its class: for
    a relation whose other end lives in another module. Before the schema is built."""
    field.python_name = python_name
    field.graphql_name = None
    field.origin = owner
    owner.__strawberry_definition__.fields.append(field)  # type: ignore[attr-defined]
