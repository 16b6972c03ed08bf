"""Arguments in a plan: which fields take theirs as graphql-core coerced them, a hashable
twin of small argument sets, so each converted set is kept and reused, and resolvers called
with their arguments converted once."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLResolveInfo,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    is_non_null_type,
)
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryMaybe, StrawberryOptional

from engine.compiled.conversion import convert_arguments

if TYPE_CHECKING:
    from engine.compiled.tree import Call


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


def variables_of(node: FieldNode) -> tuple[str, ...]:
    """The variables a field's arguments name, each once, in order."""
    names: dict[str, None] = {}
    # A walk of its own: a visitor class made per field cost more than compiling the field.
    pending: list[ValueNode] = [argument.value for argument in reversed(node.arguments or ())]
    while pending:
        value = pending.pop()
        if isinstance(value, VariableNode):
            names[value.name.value] = None
        elif isinstance(value, ListValueNode):
            pending.extend(reversed(value.values))
        elif isinstance(value, ObjectValueNode):
            pending.extend(f.value for f in reversed(value.fields))
    return tuple(names)


ByVariable = tuple[tuple[str, str, bool], ...]
"""Each argument of a field, the variable that gives it, and whether it may not be null."""


def by_variable(definition: GraphQLField, node: FieldNode) -> ByVariable | None:
    """How a field whose every argument is given by a variable (`product(id: $id)`) takes
    its arguments; None for any other."""
    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    found = []
    for name, argument in definition.args.items():
        value = given.get(name)
        if not isinstance(value, VariableNode) or argument.out_name:
            return None
        found.append((name, value.name.value, is_non_null_type(argument.type)))
    return tuple(found)


_ABSENT = object()


def variable_arguments(pairs: ByVariable, coerced: dict[str, Any]) -> dict[str, Any] | None:
    """The arguments as graphql-core coerces them (`get_argument_values`), when each
    variable has a value (null only where the argument may be null): then each is the
    variable's coerced value as it is. None otherwise (a default, or an error, to work
    out as graphql-core does)."""
    arguments = {}
    for name, variable, non_null in pairs:
        value = coerced.get(variable, _ABSENT)
        if value is _ABSENT or (value is None and non_null):
            return None
        arguments[name] = value
    return arguments


def variables_key(names: tuple[str, ...], coerced: dict[str, Any]) -> Hashable | None:
    """What a field's arguments depend on in a run: the coerced values of the variables
    they name (a variable left out is told from one given null). None when they are too
    large to keep."""
    return frozen({name: coerced[name] for name in names if name in coerced})


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


def direct_call(schema: Any, field: Any) -> Call | None:
    """What Strawberry's wrapper of a resolver does — convert the arguments, pass
    `self` and `info` — without the rest (extensions, exception handlers), for
    resolvers that need none of it; None sends the call through the wrapper."""
    resolver = field.base_resolver
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    if (
        resolver is None
        or field.extensions
        or strawberry_schema is None
        or resolver.parent_parameter is not None
        or resolver.root_parameter is not None
    ):
        return None
    registry = strawberry_schema.schema_converter.scalar_registry
    config = strawberry_schema.config
    takes_self = resolver.self_parameter is not None
    info_name = None if resolver.info_parameter is None else resolver.info_parameter.name

    # The resolver's function itself: its wrapper's `__call__` only checks that it can be
    # called, and passes everything on.
    function = resolver.wrapped_func if callable(resolver.wrapped_func) else resolver
    converted: dict[Hashable, dict[str, Any]] = {}  # Strawberry's conversion is slow
    by_variables: dict[Hashable, dict[str, Any]] = {}  # the same, found without a walk
    plain = plain_arguments(field.arguments, registry, config)
    names = [name for name, _ in plain or ()]
    python_names = [python for _, python in plain or ()]

    def convert(
        arguments: dict[str, Any], run: dict[Hashable, Any], variables: Hashable | None
    ) -> dict[str, Any]:
        if plain is not None:  # taken as they are (all of them given: made in C)
            if len(arguments) == len(plain):
                return dict(zip(python_names, map(arguments.__getitem__, names), strict=True))
            return {python: arguments[name] for name, python in plain if name in arguments}
        kwargs = None if variables is None else by_variables.get(variables)
        if kwargs is not None:
            return dict(kwargs)
        # Every alias of the field that passes the same values in this run (one filter
        # variable in thirty aliases) is converted once, and found before its values
        # are walked again to look them up in the plan.
        same = (id(field), *((name, id(value)) for name, value in arguments.items()))
        found = run.get(same)
        if found is not None:
            return dict(found[1])
        key = frozen(arguments)
        kwargs = None if key is None else converted.get(key)
        if kwargs is None:  # new, or too large to keep in the plan
            kwargs = convert_arguments(arguments, field.arguments, registry, config)
            if key is not None and len(converted) < MAX_CONVERTED:
                converted[key] = kwargs
        if variables is not None and key is not None and len(by_variables) < MAX_CONVERTED:
            by_variables[variables] = kwargs
        run[same] = (arguments, kwargs)  # the values stay alive, so their ids stay theirs
        return dict(kwargs)  # a copy: `info` goes in below

    def call(
        sources: list[Any],
        info: GraphQLResolveInfo[Any],
        arguments: dict[str, Any],
        run: dict[Hashable, Any],
        variables: Hashable | None,
    ) -> list[Any]:
        """The resolver's value for each source, its arguments converted once (`variables`:
        the values of the variables they name, when small enough to key them by)."""
        kwargs = convert(arguments, run, variables)
        if info_name is not None:
            kwargs[info_name] = config.info_class(_raw_info=info, _field=field)
        if len(sources) == 1:  # a root field, a lone parent: no comprehension
            return [function(sources[0], **kwargs) if takes_self else function(**kwargs)]
        if takes_self:
            return [function(source, **kwargs) for source in sources]
        return [function(**kwargs) for _ in sources]

    # Plain arguments are passed as they are: a plan may then take them off the variables
    # (`by_variable`), with no key of the variables' values to convert them by.
    call.plain = plain is not None  # type: ignore[attr-defined]
    return call
