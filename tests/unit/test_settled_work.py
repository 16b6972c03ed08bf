"""A request's work ends before its answer: when a field error nulls its parent at once,
graphql-core settles the parent's other fields in the background, and the engine waits
for them. Otherwise they would go on reading through the request's loaders after it ended,
or be left pending when their loop closes and surface later, in whatever frame the
collector runs, as coroutines never awaited. Served by the engine over a schema of its own:
the engine serves any schema."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
)

from engine.auth import TokenVerifier
from engine.http import GraphQLEndpoint
from resolvers.viewer import Viewer


@dataclass
class _Scope:
    request_id: str = "settled"
    written: Any = field(default_factory=lambda: _Written())

    def read_once(self) -> None:
        pass


@dataclass
class _Written:
    lsn: int = 0


def _context(
    request_id: str, viewer: Viewer, *, writes: bool = False, read_after: int = 0
) -> _Scope:
    return _Scope()


def _schema(seen: list[str]) -> GraphQLSchema:
    async def slow(_root: Any, _info: Any) -> str:
        seen.append("started")
        await asyncio.sleep(0.05)
        seen.append("ended")
        return "done"

    def broken(_root: Any, _info: Any) -> str:
        raise ValueError("fails at once")

    query = GraphQLObjectType(
        "Query",
        {
            "slow": GraphQLField(GraphQLString, resolve=slow),
            "broken": GraphQLField(GraphQLNonNull(GraphQLString), resolve=broken),
        },
    )
    return GraphQLSchema(query)


@pytest.mark.parametrize("compiled", [True, False])
async def test_no_field_runs_on_after_the_answer(compiled: bool) -> None:
    seen: list[str] = []
    endpoint = GraphQLEndpoint(
        _schema(seen),
        context=_context,
        tokens=TokenVerifier(secret="s" * 32),
        compiled=compiled,
    )
    transport = httpx.ASGITransport(app=endpoint)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.post("/graphql", json={"query": "{ slow broken }"})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert [e["path"] for e in body["errors"]] == [["broken"]]
    assert seen == ["started", "ended"]  # `slow` ran to its end before the answer
