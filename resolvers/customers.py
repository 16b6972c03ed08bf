"""Reading and writing customers."""

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
from resolvers.orders import DEFAULT_ORDER as ORDER_ORDER
from resolvers.validation import Email, Input, Name, parse, parse_patch
from resolvers.viewer import allow
from resolvers.writes import explain_miss, explain_miss_after, idempotent, write
from sql import customers
from sql.customers import CUSTOMERS, CustomerRow, CustomerStats
from sql.orders import ORDERS, OrderRow
from sql.rows import row_from_json, row_to_json

DEFAULT_ORDER = (Ordering("NAME"),)


async def customer(ctx: RequestContext, *, id: UUID) -> CustomerRow | None:
    return await live(ctx.loaders.customer_by_id, id)


async def customer_by_email(ctx: RequestContext, *, email: str) -> CustomerRow | None:
    return await customers.live_customer_by_email(ctx.reads, email=email, owner=ctx.viewer.owner)


def _plan(ctx: RequestContext, args: ConnectionArgs) -> PagePlan:
    return plan_page(ctx, args, entity=CUSTOMERS, scope="customers", default_order=DEFAULT_ORDER)


async def customers_listing(ctx: RequestContext, args: ConnectionArgs) -> Listing[CustomerRow]:
    return await root_listing(ctx, _plan(ctx, args))


def customer_edge(ctx: RequestContext, row: CustomerRow) -> Page[CustomerRow]:
    """`row` with its cursor in `customers` in the default ordering."""
    return edge_page(_plan(ctx, ConnectionArgs()), row)


async def orders_of(
    ctx: RequestContext, customer: CustomerRow, args: ConnectionArgs
) -> Listing[OrderRow]:
    """The customer's live orders; batched over every customer in the response."""
    plan = plan_page(ctx, args, entity=ORDERS, scope="customer.orders", default_order=ORDER_ORDER)
    return await nested_listing(ctx, plan, parent_key="customer_id", parent_id=customer.id)


async def stats(ctx: RequestContext, customers: Sequence[CustomerRow]) -> list[CustomerStats]:
    return await load_all(ctx.loaders.customer_stats, [c.id for c in customers])


class CustomerInput(Input):
    email: Email
    name: Name


async def create_customer(
    ctx: RequestContext, *, input: Mapping[str, Any], idempotency_key: str | None = None
) -> CustomerRow:
    ctx.viewer.require_staff("create customers")
    data = parse(CustomerInput, input, path=("input",))
    async with write(ctx, values=input) as conn:
        row = await idempotent(
            ctx,
            conn,
            operation="createCustomer",
            key=idempotency_key,
            arguments=input,
            run=lambda: customers.insert_customer(conn, email=data.email, name=data.name),
            encode=row_to_json,
            decode=lambda stored: row_from_json(CustomerRow, stored),
        )
    ctx.loaders.customer_by_id.prime_row(row)
    return row


async def update_customer(
    ctx: RequestContext, *, id: UUID, rev: int, patch: Mapping[str, Any]
) -> CustomerRow:
    own = ctx.viewer.customer_id == id
    allow(
        permitted=ctx.viewer.is_staff or own,
        visible=own,
        type_name="Customer",
        id=id,
        action="change other customers",
    )
    changes = parse_patch(CustomerInput, patch, path=("patch",))
    async with write(ctx, values=patch, path="patch") as conn:
        row = await customers.patch_customer(conn, id=id, rev=rev, changes=changes)
        if row is None:
            await explain_miss_after(
                customers.customers_by_ids(conn, ids=[id], owner=ctx.viewer.owner),
                type_name="Customer",
                id=id,
                expected_rev=rev,
            )
    ctx.loaders.customer_by_id.prime_row(row)
    return row


async def delete_customer(ctx: RequestContext, *, id: UUID, rev: int) -> CustomerRow:
    """Soft delete; their orders stay and keep pointing at them. Staff only: customers see
    themselves (while live) but may not delete themselves."""
    own = ctx.viewer.customer_id == id
    allow(
        permitted=ctx.viewer.is_staff,
        visible=own and await live(ctx.loaders.customer_by_id, id) is not None,
        type_name="Customer",
        id=id,
        action="delete customers",
    )
    async with write(ctx) as conn:
        row = await customers.soft_delete_customer(conn, id=id, rev=rev)
        if row is None:
            await explain_miss_after(
                customers.customers_by_ids(conn, ids=[id], owner=ctx.viewer.owner),
                type_name="Customer",
                id=id,
                expected_rev=rev,
            )
    ctx.loaders.customer_by_id.prime_row(row)
    return row


async def restore_customer(ctx: RequestContext, *, id: UUID, rev: int) -> CustomerRow:
    """Undoes a soft delete; a live customer at that rev is returned unchanged. Their email
    may have been taken meanwhile: then nothing changes and the email is reported. Staff
    only (a deleted customer is invisible to everyone else)."""
    if not ctx.viewer.is_staff:  # only then does it matter whether they can see the row
        allow(
            permitted=False,
            visible=await live(ctx.loaders.customer_by_id, id) is not None,
            type_name="Customer",
            id=id,
            action="restore customers",
        )
    taken: dict[str, Any] = {}  # filled in once known, for the AlreadyExists report
    async with write(ctx, values=taken) as conn:
        current = await customers.lock_customer(conn, id=id)
        if current is not None and current.deleted_at is None and current.rev == rev:
            return current
        if current is not None:
            taken["email"] = current.email
        row = await customers.restore_customer(conn, id=id, rev=rev)
        if row is None:
            explain_miss(current, type_name="Customer", id=id, expected_rev=rev, deleted=True)
    ctx.loaders.customer_by_id.prime_row(row)
    return row
