"""Reading categories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from loaders.loaders import load_all
from resolvers.connections import (
    ConnectionArgs,
    Listing,
    Ordering,
    Page,
    PagePlan,
    edge_page,
    live,
    nested_listing,
    plan_page,
    root_listing,
)
from resolvers.context import RequestContext
from resolvers.errors import Referenced
from resolvers.products import DEFAULT_ORDER as PRODUCT_ORDER
from resolvers.validation import Description, Input, Name, parse, parse_patch
from resolvers.writes import explain_miss, explain_miss_after, guard_catalogue, idempotent, write
from sql import categories
from sql.categories import CATEGORIES, CategoryRow
from sql.products import PRODUCTS, ProductRow
from sql.rows import row_from_json, row_to_json

DEFAULT_ORDER = (Ordering("NAME"),)


async def category(ctx: RequestContext, *, id: UUID) -> CategoryRow | None:
    return await live(ctx.loaders.category_by_id, id)


async def category_by_name(ctx: RequestContext, *, name: str) -> CategoryRow | None:
    return await categories.live_category_by_name(ctx.reads, name=name)


def _plan(ctx: RequestContext, args: ConnectionArgs) -> PagePlan:
    return plan_page(ctx, args, entity=CATEGORIES, scope="categories", default_order=DEFAULT_ORDER)


async def categories_listing(ctx: RequestContext, args: ConnectionArgs) -> Listing[CategoryRow]:
    return await root_listing(ctx, _plan(ctx, args))


def category_edge(ctx: RequestContext, row: CategoryRow) -> Page[CategoryRow]:
    """`row` with its cursor in `categories` in the default ordering."""
    return edge_page(_plan(ctx, ConnectionArgs()), row)


async def products_of(
    ctx: RequestContext, category: CategoryRow, args: ConnectionArgs
) -> Listing[ProductRow]:
    """The category's live products; batched over every category in the response."""
    plan = plan_page(
        ctx, args, entity=PRODUCTS, scope="category.products", default_order=PRODUCT_ORDER
    )
    return await nested_listing(ctx, plan, parent_key="category_id", parent_id=category.id)


async def product_counts(ctx: RequestContext, categories: Sequence[CategoryRow]) -> list[int]:
    return await load_all(ctx.loaders.product_count_by_category, [c.id for c in categories])


class CategoryInput(Input):
    name: Name
    description: Description | None = None


async def create_category(
    ctx: RequestContext, *, input: Mapping[str, Any], idempotency_key: str | None = None
) -> CategoryRow:
    ctx.viewer.require_staff("change the catalogue")
    data = parse(CategoryInput, input, path=("input",))
    async with write(ctx, values=input) as conn:
        row = await idempotent(
            ctx,
            conn,
            operation="createCategory",
            key=idempotency_key,
            arguments=input,
            run=lambda: categories.insert_category(
                conn, name=data.name, description=data.description
            ),
            encode=row_to_json,
            decode=lambda stored: row_from_json(CategoryRow, stored),
        )
    ctx.loaders.category_by_id.prime_row(row)
    return row


async def update_category(
    ctx: RequestContext, *, id: UUID, rev: int, patch: Mapping[str, Any]
) -> CategoryRow:
    await guard_catalogue(
        ctx, ctx.loaders.category_by_id, id, type_name="Category", action="change the catalogue"
    )
    changes = parse_patch(CategoryInput, patch, path=("patch",))
    async with write(ctx, values=patch, path="patch") as conn:
        row = await categories.patch_category(conn, id=id, rev=rev, changes=changes)
        if row is None:
            await explain_miss_after(
                categories.categories_by_ids(conn, ids=[id]),
                type_name="Category",
                id=id,
                expected_rev=rev,
            )
    ctx.loaders.category_by_id.prime_row(row)
    return row


async def delete_category(ctx: RequestContext, *, id: UUID, rev: int) -> CategoryRow:
    """Soft delete; refused while live products are in the category."""
    await guard_catalogue(
        ctx, ctx.loaders.category_by_id, id, type_name="Category", action="change the catalogue"
    )
    async with write(ctx) as conn:
        current = await categories.lock_category(conn, id=id)
        row = await categories.soft_delete_category(conn, id=id, rev=rev)
        if row is None:
            explain_miss(current, type_name="Category", id=id, expected_rev=rev)
        if await categories.has_live_products(conn, id=id):
            raise Referenced("Category", id)
    ctx.loaders.category_by_id.prime_row(row)
    return row


async def restore_category(ctx: RequestContext, *, id: UUID, rev: int) -> CategoryRow:
    """Undoes a soft delete; a live category at that rev is returned unchanged. Its name
    may have been taken meanwhile: then nothing changes and the name is reported."""
    await guard_catalogue(
        ctx, ctx.loaders.category_by_id, id, type_name="Category", action="change the catalogue"
    )
    taken: dict[str, Any] = {}  # filled in once known, for the AlreadyExists report
    async with write(ctx, values=taken) as conn:
        current = await categories.lock_category(conn, id=id)
        if current is not None and current.deleted_at is None and current.rev == rev:
            return current
        if current is not None:
            taken["name"] = current.name
        row = await categories.restore_category(conn, id=id, rev=rev)
        if row is None:
            explain_miss(current, type_name="Category", id=id, expected_rev=rev, deleted=True)
    ctx.loaders.category_by_id.prime_row(row)
    return row
