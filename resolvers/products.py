"""Reading products."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from resolvers.connections import ConnectionArgs, Listing, Ordering
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from resolvers.groups import related_rows
from resolvers.standard_reads import Reads, existing
from sql.categories import CATEGORY, CategoryRow
from sql.entity import SortKey
from sql.products import MAX_SEARCH_CHARS, PRODUCT, SEARCH_MATCH, SEARCH_RANK, ProductRow
from sql.rendered import Source
from sql.rendered_pages import PageShape

READS = Reads(PRODUCT, "products", (Ordering("NAME"),))

CATEGORY_OF_PRODUCT = Source(CATEGORY.by_ids_statement, key="category_id")
"""The rows `categories_of` reads, for the database to render (`sql.rendered`)."""


async def products_listing(
    ctx: RequestContext,
    args: ConnectionArgs,
    *,
    search: str | None = None,
    rendered: PageShape | None = None,
) -> Listing[ProductRow]:
    """Live products; with `search`, only matches, ranked by relevance unless `orderBy`
    says otherwise (`rendered`: see `Reads.listing`)."""
    extra: dict[str, Any] = {}
    if search is not None and len(search) > MAX_SEARCH_CHARS:
        raise BadUserInput(f"`search` is at most {MAX_SEARCH_CHARS} characters (got {len(search)})")
    if search is not None and search.strip():
        extra = {
            "where": (SEARCH_MATCH,),
            "extra_args": (search,),
            "leading": (SortKey(SEARCH_RANK.expression, float, descending=True),),
        }
    return await READS.listing(ctx, args, rendered=rendered, **extra)


async def categories_of(ctx: RequestContext, products: Sequence[ProductRow]) -> list[CategoryRow]:
    ids = [p.category_id for p in products]
    return await existing(ctx.loaders.by_id(CATEGORY), ids, what="category")


async def categories_of_groups(ctx: RequestContext, ids: list[UUID | None]) -> list[Any]:
    """The categories groups of products are keyed by."""
    return await related_rows(ctx.loaders.by_id(CATEGORY), ids)
