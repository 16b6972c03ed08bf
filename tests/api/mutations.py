"""Helpers for mutation tests: selections for result-union members, and the result itself."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import GraphQLClient

FRAGMENTS = {
    "NotFoundError": "... on NotFoundError { nodeId }",
    "ConflictError": "... on ConflictError { expectedRev currentRev current { id {current} } }",
    "ValidationError": "... on ValidationError { fields { path message code } }",
    "AlreadyExistsError": "... on AlreadyExistsError { field value }",
    "ReferencedError": "... on ReferencedError { nodeId }",
    "IdempotencyKeyReusedError": "... on IdempotencyKeyReusedError { key }",
    "InsufficientStockError": "... on InsufficientStockError { items { "
    "product { id stock } requested available } }",
    "InvalidTransitionError": "... on InvalidTransitionError { from to }",
}


def errors(*names: str, current: str = "") -> str:
    """Selections for a result union's error members (only members may be spread);
    `current` selects more of a ConflictError's current node, e.g. `... on Order { rev }`."""
    chosen = [FRAGMENTS[name].replace("{current}", current) for name in names]
    return "... on Error { __typename message code } " + " ".join(chosen)


async def result(client: GraphQLClient, query: str, **variables: Any) -> dict[str, Any]:
    """The one root field's result of a mutation document that must not error."""
    data = await client.data(query, variables)
    [value] = data.values()
    assert isinstance(value, dict)
    return value
