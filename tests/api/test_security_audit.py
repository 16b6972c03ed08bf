"""graphql-cop's checks, request for request, against the app as production serves it.

graphql-cop (github.com/dolevf/graphql-cop) is the public auditor operators run before going
live; each test sends what its check sends and applies its criterion for a finding. Only
"GET Method Query Support" remains a finding, on purpose (see README, Security audit).
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import GraphQLClient
from tests.api.test_limits import production

__all__ = ["production"]  # the fixture, shared with the limits' tests


async def cop(client: GraphQLClient, payload: str) -> Any:
    """graphql-cop's POST: JSON with the operation named `cop`."""
    response = await client.http.post("/graphql", json={"query": payload, "operationName": "cop"})
    return response.json()


def data(body: Any) -> Any:
    return body.get("data") if isinstance(body, dict) else None


async def test_alias_overloading_is_refused(production: GraphQLClient) -> None:
    aliases = "".join(f"alias{i}:__typename \n" for i in range(101))
    body = await cop(production, "query cop { " + aliases + " }")
    assert data(body) is None
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_batches_are_refused(production: GraphQLClient) -> None:
    batch = [{"query": "query cop { __typename }"}] * 10
    response = await production.http.post("/graphql", json=batch)
    assert response.status_code == 400
    assert not isinstance(response.json(), list)


async def test_circular_introspection_is_closed(production: GraphQLClient) -> None:
    circular = "{ type { fields { type { fields { type { fields { type { name } } } } } } } }"
    body = await cop(production, "query cop { __schema { types { fields " + circular + " } }")
    assert data(body) is None


async def test_directive_overloading_is_one_error(production: GraphQLClient) -> None:
    body = await cop(production, "query cop { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }")
    [error] = body["errors"]
    assert error["message"] == "Unknown directive '@aa'."
    assert len(error["locations"]) == 10


async def test_field_duplication_is_refused(production: GraphQLClient) -> None:
    body = await cop(production, "query cop { " + "__typename \n" * 500 + "} ")
    assert data(body) is None
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_no_field_suggestions(production: GraphQLClient) -> None:
    body = await cop(production, "query cop { __schema { directive } }")
    assert "Did you mean" not in body["errors"][0]["message"]


async def test_get_runs_queries_but_never_mutations(production: GraphQLClient) -> None:
    query = await production.http.get("/graphql", params={"query": "query cop {__typename}"})
    assert query.json()["data"] == {"__typename": "Query"}  # the one finding, kept
    mutation = await production.http.get("/graphql", params={"query": "mutation cop {__typename}"})
    assert mutation.status_code == 405
    assert data(mutation.json()) is None


async def test_no_graphiql(production: GraphQLClient) -> None:
    response = await production.http.get("/graphql", headers={"Accept": "text/html"})
    heuristics = ("graphiql.min.css", "GraphQL Playground", "GraphiQL", "graphql-playground")
    assert not any(word in response.text for word in heuristics), response.text


async def test_introspection_is_closed(production: GraphQLClient) -> None:
    body = await cop(production, "query cop { __schema { types { name fields { name } } } }")
    assert data(body) is None


async def test_form_posts_are_refused(production: GraphQLClient) -> None:
    response = await production.http.post("/graphql", data={"query": "query cop { __typename }"})
    assert response.status_code == 415
    assert data(response.json()) is None


async def test_no_tracing_and_no_exceptions_in_answers(production: GraphQLClient) -> None:
    traced = await cop(production, "query cop { __typename }")
    assert "tracing" not in str(traced).lower()
    unhandled = await cop(production, "qwerty cop { abc }")
    assert "exception" not in str(unhandled).lower()
    assert isinstance(unhandled, dict)
    assert unhandled["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
