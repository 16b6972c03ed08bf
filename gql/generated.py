"""What every entity's schema has and no entity should write again: its filter input (its
fields plus `and`, `or`, `not`), its sort enum, the inputs of its writes, and fields added
to another entity's type (a relation declared where the related entity lives).

Types made here are bound by name in this module (`bind`): their references by name (a
filter's `and: [XFilter]`, a filter on a related entity, a group's page of rows) resolve
here, whichever module declared them.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import strawberry

from gql.context import Info
from gql.filters import EntityFilter
from sql.spec import Spec

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

Fields = Mapping[str, tuple[Any, str]]
"""Fields by Python name: their type (or the name of a type made here) and description."""


@dataclass(frozen=True, slots=True)
class Part:
    """One entity's share of the schema: its query and mutation fields, and its types
    (each entity's module names its own as `PART`; `gql.schema.ENTITIES` lists them)."""

    queries: type
    mutations: type
    types: tuple[type, ...]


def one(noun: str) -> str:
    """`noun` with its indefinite article: "a category", "an order"."""
    return f"{'an' if noun[0].lower() in 'aeiou' else 'a'} {noun}"


def bind(made: T) -> T:
    """`made` under its name in this module, where references by name resolve."""
    setattr(sys.modules[__name__], made.__name__, made)  # type: ignore[attr-defined]
    return made


BARE = object()
"""A field with an annotation and nothing else (no default): a private one."""


def made_type(
    name: str, fields: Mapping[str, tuple[Any, Any]], *, description: str, input: bool = False
) -> Any:
    """A Strawberry type (or input) named `name` with these (annotation, field) pairs, its
    annotations read in this module: an annotation None for resolver fields, a field
    `BARE` for private ones."""
    namespace: dict[str, Any] = {
        "__annotations__": {k: a for k, (a, _) in fields.items() if a is not None},
        "__module__": __name__,
        **{k: made for k, (_, made) in fields.items() if made is not BARE},
    }
    decorate = strawberry.input if input else strawberry.type
    return bind(decorate(type(name, (), namespace), description=description))


REQUIRED = inspect.Parameter.empty
"""The default of an argument that has none."""
Arguments = Mapping[str, tuple[Any, Any]]
"""A field's arguments by Python name: their annotation and default (or `REQUIRED`)."""


def declared(resolve: F, arguments: Arguments, returns: Any) -> F:
    """`resolve(self, info, **arguments)` as Strawberry reads it: with these arguments, in
    this order, and this return type (for argument lists made once and used by many
    fields)."""
    plain, named = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter("self", plain),
        inspect.Parameter("info", plain, annotation=Info),
    ]
    for name, (annotation, default) in arguments.items():
        parameters.append(inspect.Parameter(name, named, annotation=annotation, default=default))
    resolve.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    resolve.__annotations__ = {p.name: p.annotation for p in parameters[1:]} | {"return": returns}
    return resolve


def _optional(kind: Any) -> Any:
    return f"{kind} | None" if isinstance(kind, str) else kind | None


def filter_input(name: str, node_type: str, fields: Fields, *, what: str) -> Any:
    """`<Entity>Filter`: each given field must hold, and `and`/`or`/`not` combine filters.
    `what` names the rows ("categories")."""
    body: dict[str, Any] = {"NODE_TYPE": node_type, "__module__": __name__}
    annotations: dict[str, Any] = {}
    combined = {
        **{k: (_optional(kind), None, text) for k, (kind, text) in fields.items()},
        "and_": (f"list[{name}] | None", "and", "Every one of these holds (empty: true)."),
        "or_": (f"list[{name}] | None", "or", "At least one of these holds (empty: false)."),
        "not_": (f"{name} | None", "not", "This does not hold."),
    }
    for field_name, (annotation, graphql_name, text) in combined.items():
        annotations[field_name] = annotation
        body[field_name] = strawberry.field(default=None, name=graphql_name, description=text)
    body["__annotations__"] = annotations
    made = type(name, (EntityFilter,), body)
    description = f"Conditions on {what}; all given fields must hold."
    return bind(strawberry.input(made, description=description))


def write_input(name: str, description: str, fields: Fields, *, patch: bool = False) -> Any:
    """A write's input: required fields, and optional ones the client may leave out
    (`UNSET`, told apart from an explicit null). In a patch every field is optional."""
    made: dict[str, tuple[Any, Any]] = {}
    for field_name, (kind, text) in fields.items():
        optional = patch or type(None) in getattr(kind, "__args__", ())
        annotation = kind | None if patch else kind
        unset = {"default": strawberry.UNSET} if optional else {}
        made[field_name] = (annotation, strawberry.field(description=text, **unset))
    return made_type(name, made, description=description, input=True)


def create_input(
    spec: Spec[Any],
    texts: Mapping[str, str],
    *,
    description: str | None = None,
    optional: tuple[str, ...] = (),
) -> Any:
    """`Create<Entity>Input`: the columns `texts` describes, in its order, typed as the
    row types them (a reference as an ID); nullable ones and those named `optional` may
    be left out."""
    fields: dict[str, tuple[Any, str]] = {}
    for name, text in texts.items():
        kind = _input_kind(spec, name)
        fields[name] = (kind | None if name in optional else kind, text)
    what = description or f"A new {spec.name.lower()}."
    return write_input(f"Create{spec.name}Input", what, fields)


def patch_input(spec: Spec[Any], texts: Mapping[str, str] | None = None) -> Any:
    """`<Entity>Patch`: every column a patch may set, in the row's order, described as a
    new value that null clears (nullable columns) or may not be, unless `texts` says."""
    fields: dict[str, tuple[Any, str]] = {}
    for column in dataclasses.fields(spec.row):
        name = column.name
        if name not in spec.writable:
            continue
        label = name.replace("_", " ")
        nullable = type(None) in typing.get_args(_kind_of(spec, name))
        text = f"A new {label}" + ("; null clears it." if nullable else " (null is not allowed).")
        fields[name] = (_input_kind(spec, name), (texts or {}).get(name, text))
    what = f"Changes to {one(spec.name.lower())}: omitted fields stay as they are."
    return write_input(f"{spec.name}Patch", what, fields, patch=True)


def _kind_of(spec: Spec[Any], column: str) -> Any:
    return typing.get_type_hints(spec.row)[column]


def _input_kind(spec: Spec[Any], column: str) -> Any:
    """What a column's value is in an input: its row type, an ID for a reference."""
    return strawberry.ID if column in spec.references else _kind_of(spec, column)


def sort_enum(name: str, keys: Any, *, what: str) -> Any:
    """`<Entity>SortField`: the sortable keys of the entity's spec, in their order."""
    made: Any = Enum(name, {key: key for key in keys})  # type: ignore[misc]
    return bind(strawberry.enum(made, description=f"What {what} can be ordered by."))


def attach(owner: type, python_name: str, field: Any, *, before: str | None = None) -> None:
    """Adds `field` to the Strawberry type `owner`, as if declared last in its class (or
    just before the field `before`): for a relation whose other end lives in another
    module. Before the schema is built."""
    field.python_name = python_name
    field.graphql_name = None
    field.origin = owner
    fields = owner.__strawberry_definition__.fields  # type: ignore[attr-defined]
    at = [f.python_name for f in fields].index(before) if before else len(fields)
    fields.insert(at, field)
