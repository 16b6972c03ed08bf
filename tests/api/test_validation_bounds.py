"""What bounds validation: directives, selections and fields per object, each at its
boundary through the app in process, and validation errors merged and bounded.

The four documents that cost validation 100-200 ms before these limits are refused before
it runs.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import GraphQLClient, StatementRecorder, staff_client
from tests.api.test_limits import BOTH, GQL, JSON, ran, refused

SELECTIONS_NOTE = (
    "(fields and fragments in all its operations and fragments, a fragment's counted each "
    "time it is spread); at most 1000 are allowed"
)
FIELDS_NOTE = "repeated fields and the fields of fragments count too); at most 50 are allowed"


def failed(response: Any, accept: str = JSON) -> list[dict[str, Any]]:
    """The errors of a request refused by validation."""
    assert response.status_code == (400 if accept == GQL else 200), response.text
    body = response.json()
    assert "data" not in body
    errors: list[dict[str, Any]] = body["errors"]
    assert {error["extensions"]["code"] for error in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    return errors


# The documents that were slow to validate


@BOTH
@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "{ " + "__typename " * 2400 + "}",
            f"the document makes 2400 selections {SELECTIONS_NOTE}",
        ),
        (
            "{ products(first: 1) { nodes { " + "name " * 2400 + "} } }",
            f"the document makes 2402 selections {SELECTIONS_NOTE}",
        ),
        (
            # Refused before it is parsed, for the selections written: 3,201 once the
            # spreads are followed.
            "{ " + "...F " * 1600 + "} fragment F on Query { __typename }",
            f"the document makes at least 1601 selections {SELECTIONS_NOTE}",
        ),
        (
            "{ __typename " + "@aa" * 2400 + " }",
            "the document uses more than 50 directives; at most 50 are allowed",
        ),
    ],
    ids=["typename", "name", "spreads", "directives"],
)
async def test_the_documents_that_kept_validation_busy_are_refused_before_it(
    client: GraphQLClient, accept: str, query: str, message: str
) -> None:
    assert refused(await client.post({"query": query}, accept=accept), accept) == message


# Directives


async def test_directives_at_the_limit_run_one_more_is_refused(client: GraphQLClient) -> None:
    fields = " ".join(f"a{i}: __typename @include(if: true) @skip(if: false)" for i in range(25))
    assert len(ran(await client.post({"query": "{ " + fields + " }"}))["data"]) == 25
    one_more = "{ __typename @include(if: true) " + fields + " }"
    message = refused(await client.post({"query": one_more}), JSON)
    assert message == "the document uses more than 50 directives; at most 50 are allowed"


# Operations


async def test_operations_at_the_limit_run_one_more_is_refused(client: GraphQLClient) -> None:
    fifty = " ".join(f"query Q{i} {{ __typename }}" for i in range(50))
    body = ran(await client.post({"query": fifty, "operationName": "Q49"}))
    assert body["data"] == {"__typename": "Query"}
    one_more = fifty + " { __typename }"
    message = refused(await client.post({"query": one_more, "operationName": "Q49"}), JSON)
    assert message == "the document holds more than 50 operations; at most 50 are allowed"


# Selections


def wide(objects: int, fields: int) -> str:
    """`objects` aliased product pages, each selecting `fields` names on its nodes:
    objects * (fields + 2) selections."""
    names = "name " * fields
    pages = (f"p{i}: products(first: 1) {{ nodes {{ {names}}} }}" for i in range(objects))
    return "{ " + " ".join(pages) + " }"


async def test_selections_at_the_limit_run_one_more_is_refused(client: GraphQLClient) -> None:
    ran(await client.post({"query": wide(20, 48)}))  # 1000
    one_more = wide(20, 48).replace("nodes { name", "nodes { id name", 1)
    assert refused(await client.post({"query": one_more}), JSON) == (
        f"the document makes 1001 selections {SELECTIONS_NOTE}"
    )


async def test_selections_count_fragments_each_time_they_are_spread_and_where_defined(
    client: GraphQLClient,
) -> None:
    # 300 fields in a fragment: 300 where it is defined, 301 for each operation spreading it.
    fragment = "fragment F on Query { " + "__typename " * 50 + "} "
    nested = "fragment G on Query { " + "...F " * 6 + "} "  # 6 + 6 * 50 = 306
    three = " ".join(f"query Q{i} {{ ...G }}" for i in range(2)) + " " + fragment + nested
    # Q0, Q1: 307 each; G: 306; F: 50 -> 970.
    ran(await client.post({"query": three, "operationName": "Q1"}))
    four = three + " query Q2 { ...F }"  # 51 more
    message = refused(await client.post({"query": four, "operationName": "Q1"}), JSON)
    assert message == f"the document makes 1021 selections {SELECTIONS_NOTE}"


# Fields per object


@BOTH
async def test_fields_on_one_object_at_the_limit_run_one_more_is_refused(
    client: GraphQLClient, accept: str
) -> None:
    assert ran(await client.post({"query": "{ " + "__typename " * 50 + "}"}, accept=accept))[
        "data"
    ] == {"__typename": "Query"}
    message = refused(
        await client.post({"query": "{ " + "__typename " * 51 + "}"}, accept=accept), accept
    )
    assert message == f"the query selects 51 fields on one object (at the root; {FIELDS_NOTE}"


async def test_fields_of_one_name_merge_into_one_object(client: GraphQLClient) -> None:
    # Two `products` merge: their nodes are one object of 30 + 21 fields.
    query = (
        "{ products(first: 1) { nodes { " + "name " * 30 + "} } "
        "products(first: 1) { nodes { ...P } } } "
        "fragment P on Product { " + "id " * 21 + "}"
    )
    message = refused(await client.post({"query": query}), JSON)
    assert message == (
        f"the query selects 51 fields on one object (at products.nodes; {FIELDS_NOTE}"
    )
    # Under different names they are two objects.
    ran(
        await client.post(
            {
                "query": query.replace(
                    "products(first: 1) { nodes { ...P", "o: products(first: 1) { nodes { ...P"
                )
            }
        )
    )


async def test_fields_count_in_fragments_nobody_spreads(client: GraphQLClient) -> None:
    query = "{ __typename } fragment Unused on Product { category { " + "name " * 51 + "} }"
    message = refused(await client.post({"query": query}), JSON)
    assert message == (
        f"the query selects 51 fields on one object (at fragment Unused, category; {FIELDS_NOTE}"
    )


# Errors


async def test_an_error_found_in_several_places_is_reported_once_with_every_location(
    client: GraphQLClient,
) -> None:
    errors = failed(await client.post({"query": "{ __typename " + "@aa " * 10 + "}"}))
    assert [error["message"] for error in errors] == ["Unknown directive '@aa'."]
    columns = [location["column"] for location in errors[0]["locations"]]
    assert columns == [14 + 4 * i for i in range(10)]


@BOTH
async def test_validation_stops_at_the_error_limit(client: GraphQLClient, accept: str) -> None:
    unknown = "{ " + " ".join(f"f{i}" for i in range(40)) + " }"
    errors = failed(await client.post({"query": unknown}, accept=accept), accept)
    assert len(errors) == 20
    assert [error["message"] for error in errors[:19]] == [
        f"Cannot query field 'f{i}' on type 'Query'." for i in range(19)
    ]
    assert errors[19]["message"] == (
        "validation stopped after 19 distinct errors; at most 20 errors are reported"
    )


async def test_repeats_of_one_error_stop_validation_too(client: GraphQLClient) -> None:
    # 40 fields of one name, each pair conflicting: 780 conflicts of one message.
    query = "{ " + " ".join(f'product(id: "{i}") {{ id }}' for i in range(40)) + " }"
    errors = failed(await client.post({"query": query}))
    assert [error["message"] for error in errors] == [
        "Fields 'product' conflict because they have differing arguments."
        " Use different aliases on the fields to fetch both if this was intentional.",
        "validation stopped after 1 distinct errors; at most 20 errors are reported",
    ]
    assert len(errors[0]["locations"]) == 40  # each field once, though in many pairs


async def test_the_limits_are_settings(database_url: str, db: object) -> None:
    settings = {
        "max_directives": 1,
        "max_selections": 5,
        "max_fields": 2,
        "max_errors": 3,
        "max_operations": 1,
        "max_document_chars": 100,
    }
    async with staff_client(database_url, StatementRecorder(), **settings) as limited:
        message = refused(await limited.post({"query": "{ a }" + " " * 96}), JSON)
        assert message == "the document is 101 characters long; at most 100 are allowed"
        message = refused(await limited.post({"query": "{ a @aa @bb }"}), JSON)
        assert "at most 1 are allowed" in message
        message = refused(await limited.post({"query": "query A { a } query B { a }"}), JSON)
        assert "at most 1 are allowed" in message
        message = refused(await limited.post({"query": "{ a b c }"}), JSON)
        assert message.startswith("the query selects 3 fields on one object")
        message = refused(await limited.post({"query": "{ a { b } c { d } e { f } }"}), JSON)
        assert message == f"the document makes 6 selections {SELECTIONS_NOTE}".replace("1000", "5")
        errors = failed(await limited.post({"query": "{ a b }"}))
        assert len(errors) == 2  # two distinct errors, within three
        errors = failed(await limited.post({"query": "{ a { b } }"}))
        assert len(errors) == 1
        # Variable errors are bounded by the same setting.
        ids = ", ".join(f"$v{i}" for i in range(4))
        variables = "query(" + ids.replace(",", ": ID!,") + ": ID!) { nodes(ids: [" + ids
        variables += "]) { id } }"
        response = await limited.post(
            {"query": variables, "variables": {f"v{i}": {} for i in range(4)}}
        )
        messages = [error["message"] for error in response.json()["errors"]]
        assert len(messages) == 3
        assert messages[2].startswith("Too many errors processing variables")
