"""Which relations' subtrees the database renders (`engine.compiled.rendering`), and how:
a shape the plan hands over becomes a `sql.rendered.Subtree` when every field in it can be
written by PostgreSQL exactly as the response would show it.

Rendered exactly: `__typename`; plain fields that are columns of the row as they are
(`RowObject.COLUMNS`) of type `str` (JSON as `to_json` writes it, which escapes strings as
orjson does), `int` or `bool` (their text is their JSON), or `Decimal` (the numeric
columns here all have scale 2, which `str(Decimal)` writes digit for digit as PostgreSQL
does); global ids (base64 of `Type:uuid`, as `engine.node_ids` writes them); and relations
declared with their rows' `Source`, non-null, to one object or to a list. Not rendered:
enums and computed fields, timestamps, arguments. A non-null field found null makes the
parent's text null, and the run goes to graphql-core, as it would have.

A root connection's page (`engine.compiled.pages`) is rendered the same way when its nodes
show such fields of their own rows alone (`sql.rendered_pages`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from strawberry.types.base import StrawberryOptional
from strawberry.utils.str_converters import to_camel_case

from engine.compiled.pages import render_pages_with
from engine.compiled.rendering import Renderer, Shape, Shown, render_relations_with
from gql.row_types import RowObject
from resolvers.rendered import render_level
from sql.rendered import Base64Of, Kind, Output, Source, Subtree, level_statement
from sql.rendered_pages import PageShape

_KINDS: dict[Any, Kind] = {str: "json", int: "plain", bool: "plain", Decimal: "decimal"}


def _renderer(parent: type | None, relations: Sequence[Shown]) -> tuple[list[int], Renderer] | None:
    if parent is None or not issubclass(parent, RowObject):
        return None
    subtrees = [_subtree(shown) for shown in relations]
    taken = [position for position, subtree in enumerate(subtrees) if subtree is not None]
    if not taken:
        return None
    statement = level_statement([s for s in subtrees if s is not None])
    type_name = parent.__strawberry_definition__.name  # type: ignore[attr-defined]
    fields = ", ".join(
        f"{type_name}.{to_camel_case(relations[position].name or '')}" for position in taken
    )

    def name() -> str:  # in traces, as a loader's batch is named
        return f"rendered {fields}"

    async def render(ctx: Any, parents: list[RowObject[Any]]) -> list[list[Any]]:
        rows = [p.row for p in parents]
        texts: list[list[Any]] = await render_level(ctx, statement, rows, name)
        return texts

    return taken, render


def _subtree(shown: Shown) -> Subtree | None:
    source, shape = shown.token, shown.shape
    if not isinstance(source, Source) or shape is None:
        return None
    outputs = _outputs(shape)
    return None if outputs is None else Subtree(source, shown.many, outputs)


def _page(_token: Any, shape: Shape, count: bool) -> PageShape | None:
    """A root page's nodes, when they are columns of their rows alone (no relation)."""
    if any(f.shape is not None for f in shape.fields):
        return None
    outputs = _outputs(shape)
    return None if outputs is None else PageShape(outputs, count)


def _outputs(shape: Shape) -> tuple[Output, ...] | None:
    columns = _columns(shape)
    outputs: list[Output] = []
    for field in shape.fields:
        if field.name is None:
            outputs.append(Output(field.key, "literal", json.dumps(shape.type_name)))
        elif isinstance(field.token, Base64Of):  # a global id
            outputs.append(Output(field.key, "base64", field.token, not field.non_null))
        elif field.token is not None:
            nested = _subtree(field)
            if nested is None:
                return None
            outputs.append(Output(field.key, "many" if field.many else "one", nested))
        else:
            found = columns.get(field.name)
            if found is None:
                return None
            kind, nullable = found
            if nullable and field.non_null:  # a null there sends the run to graphql-core
                nullable = False
            outputs.append(Output(field.key, kind, field.name, nullable))
    return tuple(outputs)


def _columns(shape: Shape) -> dict[str, tuple[Kind, bool]]:
    """The fields of the shape's type that render exactly, with whether they may be null."""
    origin = shape.origin
    if origin is None or not issubclass(origin, RowObject):
        return {}
    found: dict[str, tuple[Kind, bool]] = {}
    for field in origin.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if field.python_name not in origin.COLUMNS:
            continue
        type_, nullable = field.type, False
        if isinstance(type_, StrawberryOptional):
            type_, nullable = type_.of_type, True
        kind = _KINDS.get(type_)
        if kind is not None:
            found[field.python_name] = (kind, nullable)
    return found


render_relations_with(_renderer)
render_pages_with(_page)
