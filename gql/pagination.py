"""Relay cursor connections, one generic shape for every paginated list.

`Connection[Product]` is named `ProductConnection` in the schema (and `Edge[Product]`
`ProductEdge`), as the contract spells them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from gql.filters import orderings, to_filter
from resolvers.connections import ConnectionArgs, Listing, PageArgs

NodeT = TypeVar("NodeT")


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


@strawberry.type(description="One item of a page and the cursor that points at it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Pass as `after` or `before` to page from here.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of items, with cursors for keyset pagination.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items with their cursors.")
    nodes: list[NodeT] = strawberry.field(description="The items, when cursors are not needed.")
    page_info: PageInfo = strawberry.field(description="Cursors and neighbours of this page.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

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


def connection_args(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    filter: Any,
    order_by: Any,
) -> ConnectionArgs:
    return ConnectionArgs(
        page=PageArgs(first=first, after=after, last=last, before=before),
        filter=to_filter(filter),
        order_by=orderings(order_by),
    )


def connection(listing: Listing[Any], to_node: Callable[[Any], NodeT]) -> Connection[NodeT]:
    page = listing.page
    nodes = [to_node(item) for item in page.items]
    return Connection(
        edges=[Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)],
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        count=listing.count,
    )
