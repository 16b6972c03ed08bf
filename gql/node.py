"""The Relay `Node` interface, and `node`/`nodes` over every type that registers itself.

Each entity module registers how to fetch a visible object of its type by uuid; fetching
goes through that type's DataLoader, so `nodes` runs one statement per type present,
whatever the number of ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import nullcontext
from functools import partial
from types import MappingProxyType
from typing import Annotated, Any
from uuid import UUID

import strawberry

from engine.compiled.fields import Narrowing, batched_field, narrow_reads_with
from engine.node_ids import from_global_id, read_uuids_with, to_global_ids
from gql.context import Info
from gql.generated import one
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from sql.rendered import Base64Of
from sql.rows import leavable, leaving_out, uuid_of_text

MAX_NODES = 100


ID_DESCRIPTION = "Opaque global id of this object."


@strawberry.interface(description="An object with a global id, refetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description=ID_DESCRIPTION)


def global_id_field(type_name: str) -> Any:
    """`id` of a type whose objects keep their row: encoded only when asked for, which a
    page of orders with its lines and products mostly is not."""

    def ids(_ctx: RequestContext, parents: list[Any]) -> list[str]:
        return to_global_ids(type_name, [p.row.id for p in parents])

    # The database writes the same text where it renders the objects (`gql.rendered`).
    written = Base64Of(f"{type_name}:", "id")
    return batched_field(ids, returns=strawberry.ID, description=ID_DESCRIPTION, render=written)


Fetch = Callable[[RequestContext, UUID, bool], Awaitable[Any]]
_FETCHERS: dict[str, Fetch] = {}
_OF_ROW: dict[type, Callable[[Any], Any]] = {}
_ROW_TYPES: dict[str, type] = {}


def register_node(node: type, row_type: type, fetch: Fetch) -> None:
    """`fetch(ctx, uuid)` returns the `node` object as the viewer may see it, or None; a
    row of `row_type` makes `node`'s object (a conflict shows the current one)."""
    _FETCHERS[node.__name__] = fetch
    _OF_ROW[row_type] = node
    _ROW_TYPES[node.__name__] = row_type


def _narrowing(reads: Mapping[str, frozenset[str]]) -> Narrowing:
    """While a compiled plan runs, rows of the types it selects are read without the
    timestamps and texts it does not ask for (`sql.rows.leavable`): their objects read
    their fields off the rows by name, so a field left out raises and the plan is
    abandoned."""
    omitted = {}
    for type_name, names in reads.items():
        row_type = _ROW_TYPES.get(type_name)
        if row_type is not None and (left := leavable(row_type) - names):
            omitted[row_type] = left
    return partial(leaving_out, MappingProxyType(omitted)) if omitted else nullcontext


narrow_reads_with(_narrowing)
read_uuids_with(uuid_of_text)


def node_of(row: Any) -> Any:
    """The GraphQL object for a row of any registered type."""
    return _OF_ROW[type(row)](row)


def resolve_node(
    ctx: RequestContext, global_id: str, type_name: str | None = None, *, alone: bool = False
) -> Awaitable[Any]:
    """The visible object a global id names (of `type_name` only, when given), or None;
    `alone`: nothing else in the request runs beside this lookup (`_alone`). The fetch's
    coroutine itself, not one that awaits it."""
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] not in _FETCHERS or type_name not in (None, decoded[0]):
        return _nothing()
    return _FETCHERS[decoded[0]](ctx, decoded[1], alone)


async def _nothing() -> None:
    return None


def _alone(info: Info) -> bool:
    """Whether this field is all the operation selects at its root: then nothing runs
    beside its lookup (its own fields run after it), which may read its one key without a
    batch (`SharedLoader.load_alone`)."""
    raw = info._raw_info
    selections = raw.operation.selection_set.selections
    return len(selections) == 1 and selections[0] is raw.field_nodes[0]


def by_id_field(node: type) -> Any:
    """The root field reading one live `node` by its global id (`product(id:)`)."""
    name = node.__name__

    async def resolve(self: Any, info: Info, id: str) -> Any:
        return await resolve_node(info.context, id, name, alone=_alone(info))

    resolve.__annotations__ = {
        "info": Info,
        "id": Annotated[
            strawberry.ID, strawberry.argument(description=f"Global id of {one(name)}.")
        ],
        "return": node | None,
    }
    return strawberry.field(
        resolver=resolve, description=f"A live {name.lower()} by id; null when there is none."
    )


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global id; null when it is not visible.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")],
    ) -> Node | None:
        found: Node | None = await resolve_node(info.context, id, alone=_alone(info))
        return found

    @strawberry.field(
        description=f"Objects by global id, in the order asked (at most {MAX_NODES}); "
        "null where one is not visible."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global ids.")],
    ) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise BadUserInput(f"`nodes` takes at most {MAX_NODES} ids (got {len(ids)})")
        return list(await asyncio.gather(*(resolve_node(info.context, i) for i in ids)))
