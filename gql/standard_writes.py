"""The schema's edge of the standard writes (`resolvers.crud`): arguments into typed
commands by column name, the outcome into the mutation's result union."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import strawberry

from gql.context import Info
from gql.error_types import outcome
from gql.inputs import target
from resolvers import crud


def columns_of(value: Any, *, ids: dict[str, str] | None = None) -> dict[str, Any]:
    """An input's fields by their Python (column) names, leaving out those the client did
    not send (an explicit null stays: patches clear fields with it). `ids` names the fields
    holding global ids and the type each must be of: any other id is not found."""
    found = {
        f.name: getattr(value, f.name)
        for f in dataclasses.fields(value)
        if getattr(value, f.name) is not strawberry.UNSET
    }
    for name, type_name in (ids or {}).items():
        if found.get(name) is not None:
            found[name] = target(found[name], type_name=type_name)
    return found


async def create(
    info: Info,
    rules: crud.Rules[Any],
    *,
    values: dict[str, Any],
    idempotency_key: str | None,
    success: Callable[[Any], Any],
    result: Any,
) -> Any:
    command = crud.Create(values, idempotency_key)
    return await outcome(
        crud.create(info.context.unit_of_work(), rules, command), success, result=result
    )


async def update(
    info: Info,
    rules: crud.Rules[Any],
    *,
    id: str,
    rev: int,
    patch: dict[str, Any],
    success: Callable[[Any], Any],
    result: Any,
) -> Any:
    async def work() -> Any:
        command = crud.Update(target(id, type_name=rules.spec.name), rev, patch)
        return await crud.update(info.context.unit_of_work(), rules, command)

    return await outcome(work(), success, result=result)


async def delete(
    info: Info,
    rules: crud.Rules[Any],
    *,
    id: str,
    rev: int,
    success: Callable[[Any], Any],
    result: Any,
) -> Any:
    async def work() -> Any:
        command = crud.Target(target(id, type_name=rules.spec.name), rev)
        return await crud.delete(info.context.unit_of_work(), rules, command)

    return await outcome(work(), success, result=result)


async def restore(
    info: Info,
    rules: crud.Rules[Any],
    *,
    id: str,
    rev: int,
    success: Callable[[Any], Any],
    result: Any,
) -> Any:
    async def work() -> Any:
        command = crud.Target(target(id, type_name=rules.spec.name), rev)
        return await crud.restore(info.context.unit_of_work(), rules, command)

    return await outcome(work(), success, result=result)
