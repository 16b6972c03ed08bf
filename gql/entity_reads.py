"""An entity's reading side of the schema, made from its spec and its standard reads:
its sort enum, ordering and filter inputs, its connection with `aggregate` and `groupBy`,
its objects by global id (`node`, and the root field `x(id:)`), and connection fields
over its rows, at the root or under a parent."""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import strawberry

from engine.compiled.fields import RENDER_PAGE
from engine.compiled.pages import rendered_page
from gql.aggregates import aggregate_kind
from gql.context import Info
from gql.filters import DateTimeFilter, DecimalFilter, IDFilter, IntFilter, StringFilter
from gql.generated import (
    REQUIRED,
    Arguments,
    Fields,
    bind,
    declared,
    filter_input,
    one,
    sort_enum,
)
from gql.group_types import KeyField, RowsOf, group_kind
from gql.node import by_id_field, register_node
from gql.pagination import (
    PAGE_ARGUMENTS,
    IncludeDeleted,
    connection,
    connection_args,
    connection_type,
    order_by_input,
)
from gql.row_types import RowObject
from resolvers.connections import Listing
from resolvers.context import RequestContext
from resolvers.standard_reads import Reads
from sql.entity import Relation
from sql.spec import SPECS, Spec

Listed = Callable[..., Awaitable[Listing[Any]]]


class EntityReads:
    """`node`'s reads. Its filter has a field per filterable column and relation of its
    spec (see `_filter_fields`; `texts` and `filters` replace a field's description and
    filter type), and `keys` are its group keys that are not timestamps;
    `default_order` says the default ordering in prose ("name")."""

    def __init__(
        self,
        node: type[RowObject[Any]],
        reads: Reads[Any],
        *,
        default_order: str,
        texts: Mapping[str, str] | None = None,
        filters: Mapping[str, Any] | None = None,
        keys: Mapping[str, KeyField] | None = None,
    ) -> None:
        spec = reads.spec
        name = spec.name
        self.node, self.reads, self.default_order = node, reads, default_order
        self.what = what = spec.table  # the rows in prose ("categories")
        self.sort_field = sort_enum(f"{name}SortField", spec.sortable, what=what)
        self.order_by = order_by_input(f"{name}OrderBy", self.sort_field, what=one(name.lower()))
        fields = _filter_fields(node, spec, texts or {}, filters or {})
        self.filter = filter_input(f"{name}Filter", name, fields, what=what)
        aggregate = aggregate_kind(name, spec.measures, what=what)
        rows = RowsOf(f"{name}Connection", self.order_by, node)
        groups = group_kind(name, spec.measures, keys or {}, aggregate, what=what, rows=rows)
        self.connection = bind(connection_type(f"{name}Connection", node, groups, what=what))
        register_node(node, spec.row, self.fetch)

    async def fetch(self, ctx: RequestContext, id: UUID, alone: bool = False) -> Any:
        """The live object with this id, as the viewer may see it, or None."""
        row = await self.reads.one(ctx, id, alone=alone)
        return None if row is None else self.node(row)

    def connection_field(
        self,
        description: str,
        listing: Listed | None = None,
        *,
        default_order: str | None = None,
        extra: Arguments | None = None,
        renders_pages: bool = False,
    ) -> Any:
        """A connection over the rows `listing(ctx, parent_row, args, **extra)` returns;
        the root connection when it is None. `renders_pages`: `listing` takes
        `rendered=shape` too (see `connection_field`); the root connection's does."""
        reads = self.reads
        return connection_field(
            connection_type=self.connection,
            filter=self.filter,
            order_by=self.order_by,
            listing=listing
            or (
                lambda ctx, _root, args, rendered=None: reads.listing(ctx, args, rendered=rendered)
            ),
            renders_pages=renders_pages or listing is None,
            to_node=self.node,
            description=description,
            what=self.what,
            default_order=default_order or self.default_order,
            extra=extra,
        )

    def by_key(self, key: str, description: str, *, argument: str | None = None) -> tuple[str, Any]:
        """The root field `x_by_<key>` reading one live object by a unique column (the
        entity's reads find it), and its name; the argument is typed as the row types the
        column, described by `argument` ("The category's name." by default)."""
        node, reads = self.node, self.reads
        spec = reads.spec
        name = f"{spec.name.lower()}_by_{key}"

        async def resolve(self: Any, info: Info, **given: Any) -> Any:
            row = await reads.by_key(info.context, key, given[key])
            return None if row is None else node(row)

        text = argument or f"The {spec.name.lower()}'s {key}."
        kind = typing.get_type_hints(spec.row)[key]
        arguments = {key: (Annotated[kind, strawberry.argument(description=text)], REQUIRED)}
        field = strawberry.field(
            resolver=declared(resolve, arguments, node | None), description=description
        )
        return name, field

    def queries(self, root: Any, *by_key: tuple[str, Any]) -> type:
        """`XQueries` to mix into `Query`: `x(id:)`, the fields `by_key` made, and the root
        connection, `root` (a field, or the standard one's description)."""
        name = self.node.__name__
        if isinstance(root, str):
            root = self.connection_field(root)
        body = {name[0].lower() + name[1:]: by_id_field(self.node), **dict(by_key)}
        body[self.what] = root
        return strawberry.type(type(f"{name}Queries", (), body))


_SCALAR_FILTERS = {
    UUID: IDFilter,
    str: StringFilter,
    int: IntFilter,
    Decimal: DecimalFilter,
    datetime: DateTimeFilter,
}


def _filter_fields(
    node: type[RowObject[Any]],
    spec: Spec[Any],
    texts: Mapping[str, str],
    filters: Mapping[str, Any],
) -> Fields:
    """A filter field per filterable column, of the filter of its kind, and per relation,
    the related entity's filter (by name). Said "The order's id.", "Its customer matches
    this.", "Its total." and, for a timestamp, as the type says its field."""
    shown = {f.python_name: f.description for f in node.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    fields: dict[str, tuple[Any, str]] = {}
    for name, filterable in spec.filterable.items():
        if isinstance(filterable, Relation):
            kind: Any = f"{SPECS[filterable.target().table].name}Filter"
            text = f"{node.ITS} {name} matches this."
        elif name == "id":
            kind, text = IDFilter, f"The {spec.name.lower()}'s id."
        else:
            kind = _SCALAR_FILTERS[filterable.kind]
            text = (
                shown[name]
                if filterable.kind is datetime
                else f"{node.ITS} {name.replace('_', ' ')}."
            )
        fields[name] = (filters.get(name, kind), texts.get(name, text))
    return fields


def connection_field(
    *,
    connection_type: Any,
    filter: Any,
    order_by: Any,
    listing: Listed,
    to_node: Callable[[Any], Any],
    description: str,
    what: str,
    default_order: str,
    extra: Arguments | None = None,
    renders_pages: bool = False,
) -> Any:
    """A connection field with the standard arguments, for a root query (`parent` is
    None) or a nested one (`parent` is the parent's row); the argument list is built once
    here instead of being repeated in every entity. `extra` arguments come before
    `includeDeleted`, and go to `listing` by name. `renders_pages`: `listing(...,
    rendered=shape)` reads the page with its nodes rendered by the database, which a
    compiled plan may ask for (`engine.compiled.pages`)."""
    more = tuple(extra or ())

    async def resolve(self: Any, info: Info, **given: Any) -> Any:
        args = connection_args(given, info)
        parent = getattr(self, "row", None)
        passed = {k: given.get(k) for k in more}
        shape = rendered_page() if renders_pages else None
        if shape is not None:
            found = await listing(info.context, parent, args, **passed, rendered=shape)
            return connection(found, None, connection_type)
        found = await listing(info.context, parent, args, **passed)
        return connection(found, to_node, connection_type)

    arguments = {
        **PAGE_ARGUMENTS,
        "filter": (
            Annotated[
                filter | None, strawberry.argument(description=f"Only {what} matching this.")
            ],
            None,
        ),
        "order_by": (
            Annotated[
                list[order_by] | None,
                strawberry.argument(description=f"Ordering; by {default_order} when omitted."),
            ],
            None,
        ),
        **(extra or {}),
        "include_deleted": (IncludeDeleted, False),
    }
    return strawberry.field(
        resolver=declared(resolve, arguments, connection_type),
        description=description,
        metadata={RENDER_PAGE: True} if renders_pages else {},
    )
