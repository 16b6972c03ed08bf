"""An entity's batch mutations made from its rules: `update<Rows>(items:)` and
`delete<Rows>(items:)`, all or nothing (see `resolvers.batch`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import strawberry

from gql.context import Info
from gql.error_types import BatchError, ForbiddenError, ValidationError, outcome
from gql.inputs import target
from resolvers import batch, crud
from resolvers.errors import BatchFailed, Failure, NotFound
from sql.spec import MAX_BATCH

T = TypeVar("T")


@strawberry.input(description="A row to delete, at the revision you last saw.")
class DeleteItem:
    id: strawberry.ID = strawberry.field(description="The row's id.")
    rev: int = strawberry.field(description="The revision the change is based on.")


def batch_fields(
    node: type, rules: crud.Rules[Any], *, patch_input: type, columns_of: Callable[..., Any]
) -> dict[str, Any]:
    """`update_<rows>` and `delete_<rows>` by Python name. `columns_of` turns a patch
    input into changes by column (see `gql.standard_mutations`)."""
    name, rows = rules.spec.name, rules.spec.table
    plural = rows.capitalize()
    to_node: Callable[[Any], Any] = node
    item = strawberry.input(
        type(
            f"Update{plural}Item",
            (),
            {
                "__annotations__": {"id": strawberry.ID, "rev": int, "patch": patch_input},
                "id": strawberry.field(description=f"The {name}'s id."),
                "rev": strawberry.field(description="The revision the change is based on."),
                "patch": strawberry.field(description="What to change."),
            },
        ),
        description=f"One {name} to change.",
    )
    made = {
        verb: strawberry.type(
            type(
                f"{verb}{plural}Success",
                (),
                {
                    "__annotations__": {rows: list[node]},  # type: ignore[valid-type]
                    rows: strawberry.field(description="The rows as they are now, in item order."),
                },
            ),
            description=f"Every item was {'changed' if verb == 'Update' else 'soft-deleted'}.",
        )
        for verb in ("Update", "Delete")
    }
    unions = {
        verb: Annotated[
            made[verb] | BatchError | ValidationError | ForbiddenError,
            strawberry.union(
                f"{verb}{plural}Result", description=f"What {verb.lower()}{plural} did."
            ),
        ]
        for verb in ("Update", "Delete")
    }

    def items_argument(kind: Any) -> Any:
        text = f"1 to {MAX_BATCH}, each a different row."
        return Annotated[list[kind], strawberry.argument(description=text)]

    def succeed(verb: str) -> Callable[[list[Any]], Any]:
        return lambda found: made[verb](**{rows: [to_node(row) for row in found]})

    async def update_many(self: Any, info: Info, items: Any) -> Any:
        async def work() -> Any:
            commands = _decoded(
                items,
                lambda i: crud.Update(target(i.id, type_name=name), i.rev, columns_of(i.patch)),
            )
            return await batch.update_many(info.context.unit_of_work(), rules, commands)

        return await outcome(work(), succeed("Update"), result=unions["Update"])

    async def delete_many(self: Any, info: Info, items: Any) -> Any:
        async def work() -> Any:
            commands = _decoded(items, lambda i: crud.Target(target(i.id, type_name=name), i.rev))
            return await batch.delete_many(info.context.unit_of_work(), rules, commands)

        return await outcome(work(), succeed("Delete"), result=unions["Delete"])

    update_many.__annotations__ = {
        "info": Info,
        "items": items_argument(item),
        "return": unions["Update"],
    }
    delete_many.__annotations__ = {
        "info": Info,
        "items": items_argument(DeleteItem),
        "return": unions["Delete"],
    }
    what = f"at most {MAX_BATCH}, each at the revision you last saw: all of them or none"
    return {
        f"update_{rows}": strawberry.mutation(
            resolver=update_many, description=f"Change many {rows}, {what}."
        ),
        f"delete_{rows}": strawberry.mutation(
            resolver=delete_many, description=f"Soft-delete many {rows}, {what}."
        ),
    }


def _decoded(items: list[Any], command: Callable[[Any], T]) -> list[T]:
    """Each item as its command; an id that names no row of its type fails its item."""
    commands: list[T] = []
    failures: list[Failure] = []
    for index, item in enumerate(items):
        try:
            commands.append(command(item))
        except NotFound as missing:
            failures.append(Failure(("items", str(index)), missing))
    if failures:
        raise BatchFailed(failures)
    return commands
