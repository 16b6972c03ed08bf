"""The `Subscription` root and the change types it streams.

Subscriptions are served by `gql.subscriptions` (the per-process fan-out of the change feed)
over `engine.ws`; each event's selection runs with the event's payload as its root value, which
these root fields hand on as it is. Their `subscribe` functions are therefore never called.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

import strawberry

from engine.node_ids import to_global_id, uuid_of
from gql.generated import declared, made_type, one
from gql.node import Node, node_of
from gql.orders import Order
from gql.products import Product
from resolvers.changes import sees_row
from resolvers.viewer import Viewer
from sql.feed import ChangeEvent
from sql.spec import SPECS


def type_name(table: str) -> str:
    """The GraphQL type of a table's rows: its entity's name."""
    return SPECS[table].name


@strawberry.enum(description="What a write did to a document.")
class ChangeKind(Enum):
    CREATED = strawberry.enum_value("CREATED", description="The document was created.")
    UPDATED = strawberry.enum_value(
        "UPDATED", description="Fields changed (an order's status change is one)."
    )
    DELETED = strawberry.enum_value("DELETED", description="The document was soft-deleted.")
    RESTORED = strawberry.enum_value("RESTORED", description="A soft-deleted document came back.")


CURSOR = "Position of this event in the feed, opaque; later events have later cursors."


def _change_of(node: type) -> Any:
    """`<Node>Change`: one write of a document of `node`'s type."""
    name = node.__name__
    field = name.lower()
    return made_type(
        f"{name}Change",
        {
            "cursor": (str, strawberry.field(description=CURSOR)),
            "kind": (ChangeKind, strawberry.field(description="What the write did.")),
            field: (
                node | None,
                strawberry.field(
                    description=f"The {field} after the write; null when the viewer can no "
                    "longer see it."
                ),
            ),
        },
        description=f"{one(field).capitalize()} was written.",
    )


_ONE_TYPE: dict[str, tuple[Any, type]] = {}
"""The root fields that stream one type's changes: their payload type and the node's."""


@strawberry.type(description="Any document was written.")
class Change:
    cursor: str = strawberry.field(description=CURSOR)
    kind: ChangeKind = strawberry.field(description="What the write did.")
    node_id: strawberry.ID = strawberry.field(
        description="Global id of the document (named `nodeId`, not `id`: a field named `id` "
        "belongs only to the node it identifies, or normalizing caches such as Relay's "
        "would file this change as that node)."
    )
    rev: int = strawberry.field(description="The document's revision after the write.")
    node: Node | None = strawberry.field(
        description="The document after the write; null when the viewer can no longer see it."
    )


@dataclass(frozen=True, slots=True)
class Interest:
    """Which events one subscription field wants."""

    tables: frozenset[str]
    target: UUID | None = None  # one document only

    def wants(self, event: ChangeEvent) -> bool:
        return event.table in self.tables and (self.target is None or event.id == self.target)


NOTHING = UUID(int=0)  # an id argument that names no document of the type matches nothing


def interest(field: str, arguments: dict[str, Any]) -> Interest:
    """What the root field `field` (its response name resolved) with these arguments wants."""
    if field == "changes":
        return Interest(frozenset(SPECS))
    type_name = _ONE_TYPE[field][1].__name__
    (table,) = (t for t, spec in SPECS.items() if spec.name == type_name)
    given = arguments.get("id")
    target = None if given is None else (uuid_of(given, type_name=type_name) or NOTHING)
    return Interest(frozenset({table}), target)


def payload(field: str, event: ChangeEvent, cursor: str, row: Any, viewer: Viewer) -> Any:
    """The root value one event gives the field, as this viewer may see it."""
    kind = ChangeKind(event.kind)
    visible = sees_row(viewer, row)
    if field in _ONE_TYPE:
        change, node = _ONE_TYPE[field]
        return change(
            cursor=cursor, kind=kind, **{node.__name__.lower(): node(row) if visible else None}
        )
    return Change(
        cursor=cursor,
        kind=kind,
        node_id=strawberry.ID(to_global_id(type_name(event.table), event.id)),
        rev=event.rev,
        node=node_of(row) if visible else None,
    )


ID_ARGUMENT = "Global id of one {0}; every {0} the viewer may see when omitted."
AFTER_ARGUMENT = (
    "The `cursor` of the last event the client holds: first every event after it the viewer "
    "may see, in order, then live ones, with no gap and no duplicate. An error with code "
    "CURSOR_EXPIRED when events after it are no longer kept (then subscribe afresh), "
    "BAD_USER_INPUT when it is not a cursor of this feed."
)
After = Annotated[str | None, strawberry.argument(description=AFTER_ARGUMENT)]


def _changes_of(node: type, description: str) -> Any:
    """The root field streaming the writes of one of `node`'s documents, or of all that
    the viewer may see, as `<Node>Change`s."""
    name = node.__name__.lower()
    change = _change_of(node)
    _ONE_TYPE[f"{name}Changed"] = (change, node)

    async def subscribe(self: Any, info: Any, **_: Any) -> AsyncGenerator[Any, None]:
        raise NotImplementedError("served by gql.subscriptions")
        yield  # an async generator, as Strawberry requires of subscriptions

    arguments = {
        "id": (
            Annotated[
                strawberry.ID | None,
                strawberry.argument(description=ID_ARGUMENT.format(name)),
            ],
            None,
        ),
        "after": (After, None),
    }
    returns = AsyncGenerator[change, None]  # type: ignore[valid-type]
    resolver = declared(subscribe, arguments, returns)
    return strawberry.subscription(resolver=resolver, description=description)


@strawberry.type(
    description="Live changes, in commit order, each event once, over graphql-transport-ws "
    "on /graphql. A subscriber sees an event only if it could read the document with a query."
)
class Subscription:
    product_changed = _changes_of(Product, "Each write of one product, or of every product.")
    order_changed = _changes_of(
        Order,
        "Each write of one order, or of every order the viewer may see (staff: all; a "
        "customer: their own); status changes are UPDATED.",
    )

    @strawberry.subscription(description="Every change the viewer may see, of any type.")
    async def changes(self, after: After = None) -> AsyncGenerator[Change, None]:
        raise NotImplementedError("served by gql.subscriptions")
        yield
