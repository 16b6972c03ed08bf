"""An entity's reading side of the schema, made from its spec and its standard reads:
its sort enum, ordering and filter inputs, its connection with `aggregate` and `groupBy`,
its objects by global id (`node`, and the root field `x(id:)`), and connection fields
over its rows, at the root or under a parent."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import strawberry

from gql.aggregates import aggregate_kind
from gql.context import Info
from gql.generated import Fields, bind, filter_input, sort_enum
from gql.group_types import KeyField, RowsOf, group_kind
from gql.node import by_id_field, register_node
from gql.pagination import connection_field, connection_type, order_by_input
from resolvers.connections import ConnectionArgs, Listing
from resolvers.context import RequestContext
from resolvers.standard_reads import Reads

Listed = Callable[[RequestContext, Any, ConnectionArgs], Awaitable[Listing[Any]]]


@dataclass(frozen=True)
class EntityReads:
    node: type
    reads: Reads[Any]
    what: str
    """The rows in prose ("categories")."""
    default_order: str
    """The default ordering in prose ("name")."""
    sort_field: Any
    order_by: Any
    filter: Any
    connection: Any

    async def fetch(self, ctx: RequestContext, id: UUID) -> Any:
        """The live object with this id, as the viewer may see it, or None."""
        row = await self.reads.one(ctx, id)
        return None if row is None else self.node(row)

    def connection_field(self, description: str, listing: Listed | None = None) -> Any:
        """A connection over the rows `listing(ctx, parent_row, args)` returns; the root
        connection when it is None."""
        reads = self.reads
        return connection_field(
            connection_type=self.connection,
            filter=self.filter,
            order_by=self.order_by,
            listing=listing or (lambda ctx, _root, args: reads.listing(ctx, args)),
            to_node=self.node,
            description=description,
            what=self.what,
            default_order=self.default_order,
        )

    def by_key(
        self,
        lookup: Callable[..., Awaitable[Any]],
        argument: tuple[str, Any, str],
        *,
        description: str,
    ) -> Any:
        """A root field reading one live object by a unique key: `argument` is the key's
        name, type and description, passed to `lookup(ctx, name=value)` as it is."""
        name, kind, text = argument
        node = self.node

        async def resolve(self: Any, info: Info, **key: Any) -> Any:
            row = await lookup(info.context, **key)
            return None if row is None else node(row)

        resolve.__annotations__ = {
            "info": Info,
            name: Annotated[kind, strawberry.argument(description=text)],
            "return": node | None,
        }
        resolve.__signature__ = _signature(resolve.__annotations__)  # type: ignore[attr-defined]
        return strawberry.field(resolver=resolve, description=description)

    def queries(self, **fields: Any) -> type:
        """`XQueries` to mix into `Query`: `x(id:)`, then `fields` in their order."""
        name = self.node.__name__
        body = {name[0].lower() + name[1:]: by_id_field(self.node), **fields}
        return strawberry.type(type(f"{name}Queries", (), body))


def entity_reads(
    node: type,
    reads: Reads[Any],
    *,
    filter: Fields,
    what: str,
    default_order: str,
    keys: Mapping[str, KeyField] | None = None,
) -> EntityReads:
    """`node`'s reads; `filter` names its filter's fields (besides `and`, `or`, `not`),
    `keys` its group keys that are not timestamps."""
    spec = reads.spec
    name = spec.name
    one = f"{'an' if name[0] in 'AEIOU' else 'a'} {name.lower()}"
    sort_field = sort_enum(f"{name}SortField", spec.sortable, what=what)
    order_by = bind(order_by_input(f"{name}OrderBy", sort_field, what=one))
    aggregate = aggregate_kind(name, spec.measures, what=what)
    rows = RowsOf(f"{name}Connection", order_by, node)
    groups = group_kind(name, spec.measures, keys or {}, aggregate, what=what, rows=rows)
    made = EntityReads(
        node=node,
        reads=reads,
        what=what,
        default_order=default_order,
        sort_field=sort_field,
        order_by=order_by,
        filter=filter_input(f"{name}Filter", name, filter, what=what),
        connection=bind(connection_type(f"{name}Connection", node, groups, what=what)),
    )
    register_node(node, spec.row, made.fetch)
    return made


def _signature(annotations: dict[str, Any]) -> inspect.Signature:
    """`(self, info, <key>)` with their annotations: what Strawberry reads a resolver's
    arguments from."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [inspect.Parameter("self", kind)]
    parameters += [
        inspect.Parameter(name, kind, annotation=annotation)
        for name, annotation in annotations.items()
        if name != "return"
    ]
    return inspect.Signature(parameters, return_annotation=annotations["return"])
