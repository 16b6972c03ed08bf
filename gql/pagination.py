"""Relay cursor connections, one generic shape for every paginated list.

Each entity's connection (`connection_type`) is `Connection[Product]` with the entity's
`aggregate` field, named `ProductConnection` in the schema (and `Edge[Product]`
`ProductEdge`), as the contract spells them.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable, Mapping
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from orjson import Fragment

from engine.compiled.fields import batched_field
from gql.context import Info
from gql.filters import NullsOrder, SortDirection, orderings, to_filter
from gql.generated import REQUIRED, declared, made_type
from gql.groups import GroupKind
from resolvers.connections import ConnectionArgs, Listing, Page, PageArgs
from resolvers.context import RequestContext
from sql.aggregates import Figures, Measure

NodeT = TypeVar("NodeT")
T = TypeVar("T")


@strawberry.type(description="Where a page sits in its connection.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more items follow this page.")
    has_previous_page: bool = strawberry.field(description="True when items come before this page.")
    start_cursor: str | None = strawberry.field(
        description="Cursor of the first item of the page; null for an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item of the page; null for an empty page."
    )


def _cursors(_ctx: RequestContext, edges: list[Edge[Any]]) -> list[str]:
    return [edge.page.cursor(edge.index) for edge in edges]


@strawberry.type(description="One item of a page and the cursor that points at it.")
class Edge(Generic[NodeT]):
    cursor: str = batched_field(  # encoded only when asked for
        _cursors, returns=str, description="Pass as `after` or `before` to page from here."
    )
    node: NodeT = strawberry.field(description="The item.")
    page: strawberry.Private[Page[Any]]
    index: strawberry.Private[int]


def created(success: Callable[..., T], field: str, node: Any, page: Page[Any]) -> T:
    """A create's success: the new `node` under `field`, its edge under `<field>_edge`.

    `page` holds the new row alone with its cursor (`resolvers.connections.edge_page`)."""
    return success(**{field: node, f"{field}_edge": Edge(node=node, page=page, index=0)})


def new_edge_description(connection: str) -> str:
    """What a create's `xEdge` field says: one text for every entity."""
    return (
        f"The same node with its cursor in `{connection}` in the default ordering, to add to "
        "a connection the client holds (Relay's @appendEdge) and to page on after it."
    )


def _edges(self: Connection[NodeT]) -> list[Edge[NodeT]]:
    # Made when asked for: a page read for its nodes alone made a hundred for nothing.
    page = self.listing.page
    return [Edge(node=n, page=page, index=i) for i, n in enumerate(self.nodes)]


@strawberry.type(description="A page of items, with cursors for keyset pagination.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(
        resolver=_edges, description="The items with their cursors."
    )
    nodes: list[NodeT] = strawberry.field(description="The items, when cursors are not needed.")
    page_info: PageInfo = strawberry.field(description="Cursors and neighbours of this page.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]
    aggregates: strawberry.Private[Callable[[tuple[Measure, ...]], Awaitable[Figures]]]
    listing: strawberry.Private[Listing[Any]]

    @strawberry.field(description="How many items match, over all pages (counted on request).")
    async def total_count(self) -> int:
        return await self.count()


First = Annotated[
    int | None, strawberry.argument(description="Page size reading forward (default 20, max 100).")
]
After = Annotated[
    str | None, strawberry.argument(description="Read forward from after this cursor.")
]
Last = Annotated[
    int | None, strawberry.argument(description="Page size reading backward (max 100).")
]
Before = Annotated[
    str | None, strawberry.argument(description="Read backward from before this cursor.")
]


PAGE_ARGUMENTS = {"first": (First, None), "after": (After, None), "last": (Last, None)}
PAGE_ARGUMENTS["before"] = (Before, None)
"""A page's arguments, as every paginated field declares them (see `declared`)."""

IncludeDeleted = Annotated[
    bool,
    strawberry.argument(
        description="Staff only: list soft-deleted items too (to others they do not exist)."
    ),
]


def page_args(given: Mapping[str, Any]) -> PageArgs:
    """The page a field's arguments (by Python name) ask for."""
    return PageArgs(
        first=given.get("first"),
        after=given.get("after"),
        last=given.get("last"),
        before=given.get("before"),
    )


def connection_args(given: Mapping[str, Any], info: Info | None = None) -> ConnectionArgs:
    """What a connection field's arguments (by Python name) ask for."""
    return ConnectionArgs(
        page=page_args(given),
        filter=_filter(given.get("filter"), info),
        order_by=orderings(given.get("order_by")),
        include_deleted=given.get("include_deleted", False),
        read_rows=info is None or _reads_rows(info),
    )


def _filter(value: Any, info: Info | None) -> Any:
    """`to_filter`, once per input object in a request: a compiled plan gives every alias
    of a field that passes the same variable (one filter in thirty fields) one object."""
    if value is None or info is None:
        return to_filter(value)
    return info.context.derive(("filter", id(value)), value, lambda: to_filter(value))


_ROW_FIELDS = frozenset({"edges", "nodes", "pageInfo"})


def _reads_rows(info: Info) -> bool:
    """Whether the connection's selection shows its page (fragments looked into,
    `@skip`/`@include` not: reading a page not shown costs only time)."""
    raw = info._raw_info
    return any(_shows_rows(node.selection_set, raw.fragments) for node in raw.field_nodes)


def _shows_rows(selection_set: SelectionSetNode | None, fragments: dict[str, Any]) -> bool:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            if selection.name.value in _ROW_FIELDS:
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _shows_rows(selection.selection_set, fragments):
                return True
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _shows_rows(fragment.selection_set, fragments):
                return True
    return False


def connection_type(name: str, node: type, groups: GroupKind, *, what: str) -> Any:
    """An entity's connection: the generic shape plus `aggregate` and `groupBy` over the
    whole set."""
    aggregate = groups.aggregate

    async def resolve(self: Connection[Any], info: Info) -> Any:
        return await aggregate.resolve(self.aggregates, info)

    async def group_by(self: Connection[Any], info: Info, **given: Any) -> Any:
        return await groups.resolve(
            info.context,
            self.listing,
            info.selected_fields,
            by=given["by"],
            time_zone=given["time_zone"],
            having=given.get("having"),
            order_by=given.get("order_by"),
            page=page_args(given),
        )

    resolve.__annotations__ = {"info": Info, "return": aggregate.object_type}
    arguments = {
        "by": (
            Annotated[
                list[groups.by_input],  # type: ignore[name-defined]
                strawberry.argument(description="The keys groups are made by, in this order."),
            ],
            REQUIRED,
        ),
        "time_zone": (
            Annotated[
                str,
                strawberry.argument(
                    description="IANA time zone (e.g. Europe/Paris) that time buckets follow, "
                    "and that their instants are shown in; UTC by default."
                ),
            ],
            "UTC",
        ),
        "having": (
            Annotated[
                groups.having_input | None,
                strawberry.argument(description="Only groups whose figures match this."),
            ],
            None,
        ),
        "order_by": (
            Annotated[
                list[groups.order_input] | None,  # type: ignore[name-defined]
                strawberry.argument(
                    description="Ordering of the groups; by their keys when omitted."
                ),
            ],
            None,
        ),
        **PAGE_ARGUMENTS,
    }
    declared(group_by, arguments, groups.connection_type)
    namespace = {
        "aggregate": strawberry.field(
            resolver=resolve,
            description=f"Count and figures over all the {what} that match the filter (and "
            "the search, where there is one); pagination does not apply.",
        ),
        "group_by": strawberry.field(
            resolver=group_by,
            description=f"The {what} that match the filter (and the search, where there is "
            "one) in groups that share keys, with figures per group; pagination of the "
            "connection does not apply, groups have pages of their own.",
        ),
    }
    made = types.new_class(
        name,
        (Connection[node],),  # type: ignore[valid-type]
        exec_body=lambda body: body.update(namespace),
    )
    return strawberry.type(
        made,
        name=name,
        description=f"A page of {what}, with cursors for keyset pagination.",
    )


def connection(
    listing: Listing[Any], to_node: Callable[[Any], NodeT] | None, type_: Any
) -> Connection[NodeT]:
    """`to_node` None: the nodes are the text the database rendered (`listing.rendered`;
    None: a non-null value was null, and the compiled run goes to graphql-core)."""
    page = listing.page
    nodes: Any = [to_node(item) for item in page.items] if to_node else None
    if to_node is None and listing.rendered is not None:
        nodes = Fragment(listing.rendered)
    values = page.sort_values
    made: Connection[NodeT] = type_(
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursor(0) if values else None,
            end_cursor=page.cursor(len(values) - 1) if values else None,
        ),
        count=listing.count,
        aggregates=listing.aggregate,
        listing=listing,
    )
    return made


def order_by_input(name: str, sort_field: type[Enum], *, what: str) -> Any:
    """The `XOrderBy` input of a connection: a sort field, a direction, nulls placement."""
    fields = {
        "field": (sort_field, strawberry.field(description="What to order by.")),
        "direction": (
            SortDirection,
            strawberry.field(
                default=SortDirection.ASC, description="Ascending (default) or descending."
            ),
        ),
        "nulls": (
            NullsOrder | None,
            strawberry.field(
                default=None, description="Where nulls go; the database default when omitted."
            ),
        ),
    }
    return made_type(name, fields, description=f"One step of {what} ordering.", input=True)
