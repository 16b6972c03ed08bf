"""Variables coerced the short way give exactly what graphql-core's coercion gives."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError, get_variable_values, parse
from hypothesis import given
from hypothesis import strategies as st

from engine import variables
from engine.variables import DocumentVariables
from gql.schema import schema

GRAPHQL_SCHEMA = schema._schema

TYPES = ["ID", "ID!", "String", "String!", "Int", "Int!", "Boolean", "Boolean!", "Float",
         "Decimal!", "[ID!]", "ProductFilter", "Int = 3", "ID! = \"x\""]  # fmt: skip

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1]),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.lists(st.text(max_size=3), max_size=2),
    st.just({"price": {"gte": "1"}}),
)


def outcome(result: Any) -> Any:
    """A comparable form: errors by message, values with their sources."""
    if isinstance(result, list):
        return [e.message for e in result if isinstance(e, GraphQLError)]
    return (
        result.coerced,
        {
            name: (s.signature.name, str(s.signature.type), s.value)
            for name, s in result.sources.items()
        },
    )


@given(
    types=st.lists(st.sampled_from(TYPES), min_size=0, max_size=3),
    inputs=st.dictionaries(st.sampled_from(["v0", "v1", "v2"]), VALUES, max_size=3),
)
def test_coercion_matches_graphql_core(types: list[str], inputs: dict[str, Any]) -> None:
    definitions = ", ".join(f"$v{i}: {t}" for i, t in enumerate(types))
    text = f"query({definitions}) {{ __typename }}" if types else "{ __typename }"
    operation = parse(text).definitions[0]
    ours = DocumentVariables(GRAPHQL_SCHEMA).coerce(
        operation,  # type: ignore[arg-type]
        inputs,
        max_errors=50,
        hide_suggestions=False,
    )
    theirs = get_variable_values(
        GRAPHQL_SCHEMA,
        operation.variable_definitions or (),  # type: ignore[attr-defined]
        inputs,
        max_errors=50,
    )
    assert outcome(ours) == outcome(theirs)


def test_the_common_kind_never_reaches_graphql_core(monkeypatch: pytest.MonkeyPatch) -> None:
    operation = parse("query($id: ID!, $n: Int, $b: Boolean) { __typename }").definitions[0]
    known = DocumentVariables(GRAPHQL_SCHEMA)

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("graphql-core coerced variables of the common kind")

    monkeypatch.setattr(variables, "get_variable_values", refuse)
    result = known.coerce(
        operation,  # type: ignore[arg-type]
        {"id": "UHJvZHVjdDox", "n": None},
        max_errors=50,
        hide_suggestions=True,
    )
    assert not isinstance(result, list)
    assert result.coerced == {"id": "UHJvZHVjdDox", "n": None}
    assert list(result.sources) == ["id", "n", "b"]
    with pytest.raises(AssertionError):  # a wrong type is graphql-core's to report
        known.coerce(operation, {"id": 7}, max_errors=50, hide_suggestions=True)  # type: ignore[arg-type]
