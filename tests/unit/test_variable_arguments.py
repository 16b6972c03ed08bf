"""A field whose every argument is a variable takes its arguments off the coerced
variables (`engine.compiled.arguments.variable_arguments`) exactly when graphql-core's
`get_argument_values` would give the variables' values as they are; otherwise it says so
(None), and the plan coerces them as graphql-core does."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    FieldNode,
    OperationDefinitionNode,
    build_schema,
    get_argument_values,
    get_variable_values,
    parse,
)

from engine.compiled.arguments import by_variable, variable_arguments

SCHEMA = build_schema(
    """
    type Query {
      one(id: ID!): String
      page(first: Int, after: String): String
      sized(first: Int = 5): String
    }
    """
)


def field_of(document: str) -> tuple[OperationDefinitionNode, FieldNode]:
    operation = parse(document).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    return operation, node


@pytest.mark.parametrize(
    ("document", "inputs"),
    [
        ("query($id: ID!) { one(id: $id) }", {"id": "x"}),
        ("query($f: Int, $a: String) { page(first: $f, after: $a) }", {"f": 3, "a": "c"}),
        ("query($f: Int, $a: String) { page(first: $f, after: $a) }", {"f": None, "a": None}),
        ("query($f: Int, $a: String) { page(first: $f, after: $a) }", {"f": 2}),  # $a left out
        ("query($f: Int) { sized(first: $f) }", {}),  # the argument's default
        ("query($f: Int) { sized(first: $f) }", {"f": None}),  # null, not the default
        ("query($f: Int = 7) { sized(first: $f) }", {}),  # the variable's default
    ],
)
def test_arguments_off_the_variables_are_graphql_cores(
    document: str, inputs: dict[str, Any]
) -> None:
    operation, node = field_of(document)
    definition = SCHEMA.query_type.fields[node.name.value]  # type: ignore[union-attr]
    variables = get_variable_values(SCHEMA, operation.variable_definitions or (), inputs)
    assert not isinstance(variables, list)
    expected = get_argument_values(definition, node, variables)
    pairs = by_variable(definition, node)
    assert pairs is not None
    taken = variable_arguments(pairs, variables.coerced)
    # Taken as they are only where graphql-core gives each variable's value as it is.
    assert taken is None or taken == expected
    if all(name in variables.coerced for _, name, _ in pairs):
        assert taken == expected


def test_a_left_out_variable_is_worked_out_as_graphql_core_does() -> None:
    operation, node = field_of("query($f: Int) { sized(first: $f) }")
    definition = SCHEMA.query_type.fields["sized"]  # type: ignore[union-attr]
    variables = get_variable_values(SCHEMA, operation.variable_definitions or (), {})
    assert not isinstance(variables, list)
    pairs = by_variable(definition, node)
    assert pairs is not None
    assert variable_arguments(pairs, variables.coerced) is None  # the default is graphql-core's
    assert get_argument_values(definition, node, variables) == {"first": 5}


def test_a_null_for_a_non_null_argument_is_left_to_graphql_core() -> None:
    definition = SCHEMA.query_type.fields["one"]  # type: ignore[union-attr]
    _, node = field_of("query($id: ID!) { one(id: $id) }")
    pairs = by_variable(definition, node)
    assert pairs == (("id", "id", True),)
    assert variable_arguments(pairs, {"id": None}) is None


@pytest.mark.parametrize(
    "document",
    [
        'query { one(id: "x") }',  # a literal
        "query($f: Int) { page(first: $f) }",  # `after` not given
        "query { sized }",
    ],
)
def test_only_fields_whose_every_argument_is_a_variable_qualify(document: str) -> None:
    _, node = field_of(document)
    definition = SCHEMA.query_type.fields[node.name.value]  # type: ignore[union-attr]
    assert by_variable(definition, node) is None
