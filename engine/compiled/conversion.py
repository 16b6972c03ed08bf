"""Strawberry's conversion of coerced arguments to their Python values, with what it finds
again for every input object (each field's GraphQL name and type) found once per type.

Strawberry's `convert_argument` names every field of an input type anew for each value of
it, set or not: a filter of 20 `or` terms took some 860 calls. Here an input type's fields
are read once; everything that is not a plain input object (scalars, enums, `GlobalID`,
`Maybe`, types that build their own value) goes to Strawberry's own function, so the values
are Strawberry's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import MISSING
from typing import Any, cast

from strawberry.types.arguments import StrawberryArgument, convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.unset import UNSET

Fields = tuple[dict[str, None], tuple[tuple[str, str, Any], ...]]
"""An input type's fields: the Python names that default to None, and (GraphQL name,
Python name, type) of each."""

# By type and config (None: Strawberry's); each entry keeps its config alive, so that the
# config's id is not another's.
_FIELDS: dict[tuple[type, int], tuple[Any, Fields | None]] = {}


def _fields(type_: Any, config: Any) -> Fields | None:
    if not isinstance(type_, type):  # a wrapper (list, `Maybe`, lazy) or a scalar's definition
        return None
    key = (type_, id(config))
    if key in _FIELDS:
        return _FIELDS[key][1]
    found: Fields | None = None
    if has_object_definition(type_):
        definition = type_.__strawberry_definition__
        if definition.is_input and definition.from_input is None:
            nulls = {
                field.python_name: None
                for field in definition.fields
                if field.default_value is MISSING and field.default_factory is MISSING
            }
            each = tuple(
                (
                    config.name_converter.from_field(field),
                    field.python_name,
                    field.resolve_type(type_definition=definition),
                )
                for field in definition.fields
            )
            found = (nulls, each)
    _FIELDS[key] = (config, found)
    return found


def convert(
    value: object, type_: Any, registry: Any, config: Any, path: tuple[str | int, ...]
) -> object:
    """`convert_argument`'s value for `value` of `type_`."""
    if isinstance(type_, StrawberryOptional) and not isinstance(type_, StrawberryMaybe):
        type_ = type_.of_type
    if value is None or value is UNSET:
        return value
    if isinstance(type_, StrawberryList) and not isinstance(type_, StrawberryMaybe):
        inner = type_.of_type
        if isinstance(inner, StrawberryOptional) and not isinstance(inner, StrawberryMaybe):
            inner = inner.of_type
        if _fields(inner, config) is not None:
            items = cast("Iterable[object]", value)
            return [
                convert(item, inner, registry, config, (*path, index))
                for index, item in enumerate(items)
            ]
    fields = _fields(type_, config)
    if fields is None:
        return convert_argument(value, type_, registry, config, path=path)
    nulls, each = fields
    assert isinstance(value, Mapping)
    kwargs: dict[str, object] = dict(nulls)
    for graphql_name, python_name, field_type in each:
        if graphql_name in value:
            kwargs[python_name] = convert(
                value[graphql_name], field_type, registry, config, (*path, graphql_name)
            )
    return type_(**kwargs)


def convert_arguments(
    value: dict[str, Any], arguments: list[StrawberryArgument], registry: Any, config: Any
) -> dict[str, Any]:
    """Strawberry's `convert_arguments` (without `info`, which only input types that build
    their own value read, and those it gets none from here either)."""
    kwargs = {}
    for argument in arguments:
        assert argument.python_name
        name = config.name_converter.from_argument(argument)
        if name in value:
            kwargs[argument.python_name] = convert(
                value[name], argument.type, registry, config, (name,)
            )
    return kwargs
