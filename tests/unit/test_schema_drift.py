"""`schema.graphql` is what the code exports: frontends generate types from it."""

from __future__ import annotations

from pathlib import Path

from gql.schema import schema_sdl


def test_checked_in_schema_matches_the_code(repo_root: Path) -> None:
    checked_in = (repo_root / "schema.graphql").read_text(encoding="utf-8")
    assert checked_in == schema_sdl(), "schema.graphql is stale: run `storefront export-schema`"


def test_every_type_field_and_argument_is_described() -> None:
    from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

    from gql.schema import schema

    missing = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg})"
                    for arg, definition in field.args.items()
                    if not definition.description
                ]
        if isinstance(graphql_type, GraphQLInputObjectType):
            missing += [
                f"{name}.{field_name}"
                for field_name, field in graphql_type.fields.items()
                if not field.description
            ]
    assert missing == []
