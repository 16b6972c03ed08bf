"""Coercing a request's variables, with a short way for the common kind.

Most operations take a few variables of built-in scalar types (an `ID!`, an `Int`), and a
JSON value of the matching Python type coerces to itself. graphql-core still works out each
variable's signature from the document and walks its general coercion on every request;
here the signatures are worked out once per operation, and a request whose every variable
is of that common kind gets its values as they are. Anything else — input objects, lists,
defaults, a missing or null value for a non-null variable, a value of another type — goes
to graphql-core, which reports errors as the specification asks.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

from graphql import (
    GraphQLError,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
    get_variable_values,
)
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource

from engine.scalars import AS_IS, INT_RANGE


class _Simple(NamedTuple):
    name: str
    source: VariableValueSource  # the signature, with no value
    as_is: type
    non_null: bool


class DocumentVariables:
    """The variables of one document's operations. Kept with the document (in
    `engine.documents.DocumentCache`): operations are known by identity, which lasts as long
    as the document does (a node's hash walks its whole tree)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self._simple: dict[int, list[_Simple] | None] = {}

    def coerce(
        self,
        operation: OperationDefinitionNode,
        inputs: dict[str, Any],
        *,
        max_errors: int,
        hide_suggestions: bool,
    ) -> VariableValues | list[GraphQLError]:
        """The coerced variables, or the errors that stop the request, as
        `graphql.get_variable_values` gives them."""
        key = id(operation)
        if key in self._simple:
            simple = self._simple[key]
        else:
            simple = self._simple[key] = _simple_variables(self.schema, operation)
        if simple is not None:
            coerced = _as_they_are(simple, inputs)
            if coerced is not None:
                return coerced
        return get_variable_values(
            self.schema,
            operation.variable_definitions or (),
            inputs,
            max_errors=max_errors,
            hide_suggestions=hide_suggestions,
        )


def _simple_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode
) -> list[_Simple] | None:
    simple = []
    for definition in operation.variable_definitions or ():
        signature = get_variable_signature(schema, definition)
        if isinstance(signature, GraphQLError) or definition.default_value is not None:
            return None
        type_ = signature.type
        non_null = isinstance(type_, GraphQLNonNull)
        named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        as_is = AS_IS.get(named.name) if isinstance(named, GraphQLScalarType) else None
        if as_is is None:
            return None
        simple.append(_Simple(signature.name, VariableValueSource(signature), as_is, non_null))
    return simple


_with_value = partial(tuple.__new__, VariableValueSource)
"""A variable's source with its value: `_replace`, without its two Python calls."""


def _as_they_are(simple: list[_Simple], inputs: dict[str, Any]) -> VariableValues | None:
    """The variables when each is missing (nullable), null (nullable) or of its type's
    own Python type; None for anything graphql-core has to see."""
    sources: dict[str, VariableValueSource] = {}
    coerced: dict[str, Any] = {}
    for name, source, as_is, non_null in simple:
        value = inputs.get(name, Undefined)
        if value is Undefined or value is None:
            if non_null:
                return None  # graphql-core's error
            if value is Undefined:
                sources[name] = source  # omitted: no coerced value
                continue
        elif type(value) is not as_is or (as_is is int and value not in INT_RANGE):
            return None
        sources[name] = _with_value((source.signature, value))
        coerced[name] = value
    return VariableValues(sources, coerced)
