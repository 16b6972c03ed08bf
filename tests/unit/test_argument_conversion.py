"""Arguments converted with each input type's fields read once give Strawberry's values."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType
from graphql.utilities import coerce_input_value
from strawberry.types.arguments import convert_arguments as strawberry_convert_arguments

from engine.compiled.conversion import convert_arguments
from gql.schema import schema

TERM = {"name": {"contains": "lamp"}}

ARGUMENTS = [
    {"first": 1},
    {"filter": None, "orderBy": None},
    {"filter": {"or": [TERM] * 20}},
    {
        "filter": {
            "and": [{"price": {"gte": "1.50"}}, {"not": {"stock": {"in": [1, 2], "eq": None}}}],
            "category": {"name": {"startsWith": "L"}},
            "createdAt": {"lt": "2026-01-01T00:00:00Z"},
            "id": {"in": ["UHJvZHVjdDox"]},
        },
        "orderBy": [{"field": "PRICE", "direction": "DESC"}, {"field": "NAME"}],
    },
    {"filter": {"or": []}, "orderBy": [{"field": "SKU", "nulls": "LAST"}]},
]


def _field(name: str) -> Any:
    query: Any = schema.get_type_by_name("Query")
    return next(f for f in query.fields if schema.config.name_converter.from_field(f) == name)


@pytest.mark.parametrize("raw", ARGUMENTS)
def test_conversion_is_strawberrys(raw: dict[str, Any]) -> None:
    query_type = schema._schema.query_type
    assert isinstance(query_type, GraphQLObjectType)
    definitions = query_type.fields["products"].args
    coerced = {name: coerce_input_value(v, definitions[name].type) for name, v in raw.items()}
    field = _field("products")
    registry = schema.schema_converter.scalar_registry
    ours = convert_arguments(coerced, field.arguments, registry, schema.config)
    theirs = strawberry_convert_arguments(
        coerced, field.arguments, scalar_registry=registry, config=schema.config
    )
    assert ours == theirs
    assert repr(ours) == repr(theirs)
