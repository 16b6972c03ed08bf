"""Turning mutation arguments into what use-cases take."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any
from uuid import UUID

import strawberry

from engine.node_ids import uuid_of
from resolvers.errors import NotFound


def provided(value: Any, *, ids: dict[str, str] | None = None) -> dict[str, Any]:
    """An input object as {field name: value} by its Python (snake_case) names, which are
    the use-cases' names; nested inputs likewise. Fields the client did not send are left
    out (an explicit null stays, as None: patches clear fields with it). `ids` names the
    fields holding global ids and the type each must be of: any other id is not found."""
    found = {
        f.name: _plain(getattr(value, f.name))
        for f in dataclasses.fields(value)
        if getattr(value, f.name) is not strawberry.UNSET
    }
    for name, type_name in (ids or {}).items():
        if found.get(name) is not None:
            found[name] = target(found[name], type_name=type_name)
    return found


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return provided(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def target(global_id: str, *, type_name: str) -> UUID:
    """The uuid of the object a mutation acts on; any other id is simply not found."""
    uuid = uuid_of(global_id, type_name=type_name)
    if uuid is None:
        raise NotFound(type_name, None, raw_id=global_id)
    return uuid


Rev = Annotated[int, strawberry.argument(description="The revision the change is based on.")]
IdempotencyKey = Annotated[
    str | None,
    strawberry.argument(
        description="Makes retries safe: the same key with the same arguments returns the "
        "first result and writes nothing more (keys are remembered for 24 hours)."
    ),
]
