"""An entity's standard mutations made from its rules: `createX`, `updateX`, `deleteX` and
`restoreX`, each with its success type and result union, for entities whose writes are the
standard ones (`resolvers.crud`). Errors in each union are those the rules can raise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from gql import standard_writes
from gql.context import Info
from gql.error_types import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    NotFoundError,
    ReferencedError,
    ValidationError,
)
from gql.inputs import IdempotencyKey, Rev
from gql.pagination import Edge, created, new_edge_description
from resolvers import crud
from resolvers.connections import Page
from resolvers.context import RequestContext


def _success(name: str, field: str, node: type, did: str, edge_of: str | None = None) -> Any:
    annotations: dict[str, Any] = {field: node}
    body: dict[str, Any] = {field: strawberry.field(description=f"The {field} as it is now.")}
    if edge_of is not None:
        annotations[f"{field}_edge"] = Edge[node]  # type: ignore[valid-type]
        body[f"{field}_edge"] = strawberry.field(description=new_edge_description(edge_of))
    body["__annotations__"] = annotations
    return strawberry.type(type(name, (), body), description=f"The {field} was {did}.")


def _union(name: str, members: tuple[Any, ...], what: str) -> Any:
    union: Any = members[0]
    for member in members[1:]:
        union = union | member
    return Annotated[union, strawberry.union(name, description=f"What {what} did.")]


def standard_mutations(
    node: type,
    rules: crud.Rules[Any],
    *,
    create_input: type,
    patch_input: type,
    edge: Callable[[RequestContext, Any], Page[Any]],
    connection: str,
    ids: dict[str, str] | None = None,
) -> type:
    """`node`'s four mutations as one Strawberry type to mix into `Mutation`. `edge` places
    a new row in the root connection `connection`; `ids` names the input fields holding
    global ids and the types they must be of."""
    name, field = rules.spec.name, rules.spec.name[0].lower() + rules.spec.name[1:]
    to_node: Callable[[Any], Any] = node.from_row  # type: ignore[attr-defined]
    nested = (NotFoundError,) if ids else ()
    referenced = (ReferencedError,) if rules.after_delete is not None else ()
    made = {
        verb: _success(f"{verb}{name}Success", field, node, did, edge_of)
        for verb, did, edge_of in (
            ("Create", "created", connection),
            ("Update", "changed", None),
            ("Delete", "soft-deleted", None),
            ("Restore", "restored", None),
        )
    }
    results = {
        "Create": (
            ValidationError,
            AlreadyExistsError,
            *nested,
            IdempotencyKeyReusedError,
            ForbiddenError,
        ),
        "Update": (NotFoundError, ConflictError, ValidationError, AlreadyExistsError),
        "Delete": (NotFoundError, ConflictError, *referenced),
        "Restore": (NotFoundError, ConflictError, AlreadyExistsError),
    }
    unions = {
        verb: _union(
            f"{verb}{name}Result",
            (made[verb], *members, *(() if verb == "Create" else (ForbiddenError,))),
            f"{verb.lower()}{name}",
        )
        for verb, members in results.items()
    }
    Id = Annotated[strawberry.ID, strawberry.argument(description=f"The {field}'s id.")]

    async def create(
        self: Any, info: Info, input: Any, idempotency_key: IdempotencyKey = None
    ) -> Any:
        return await standard_writes.create(
            info,
            rules,
            values=standard_writes.columns_of(input, ids=ids),
            idempotency_key=idempotency_key,
            success=lambda row: created(
                made["Create"], field, to_node(row), edge(info.context, row)
            ),
            result=unions["Create"],
        )

    async def update(self: Any, info: Info, id: Any, rev: Rev, patch: Any) -> Any:
        return await standard_writes.update(
            info,
            rules,
            id=id,
            rev=rev,
            patch=standard_writes.columns_of(patch, ids=ids),
            success=lambda row: made["Update"](**{field: to_node(row)}),
            result=unions["Update"],
        )

    def targeted(verb: str, run: Any) -> Any:
        async def resolve(self: Any, info: Info, id: Any, rev: Rev) -> Any:
            return await run(
                info,
                rules,
                id=id,
                rev=rev,
                success=lambda row: made[verb](**{field: to_node(row)}),
                result=unions[verb],
            )

        resolve.__annotations__ = {"info": Info, "id": Id, "rev": Rev, "return": unions[verb]}
        return resolve

    create.__annotations__ = {
        "info": Info,
        "input": Annotated[create_input, strawberry.argument(description=f"The {field}.")],
        "idempotency_key": IdempotencyKey,
        "return": unions["Create"],
    }
    update.__annotations__ = {
        "info": Info,
        "id": Id,
        "rev": Rev,
        "patch": Annotated[patch_input, strawberry.argument(description="What to change.")],
        "return": unions["Update"],
    }
    body = {
        f"create_{field}": strawberry.mutation(resolver=create, description=f"Create a {field}."),
        f"update_{field}": strawberry.mutation(
            resolver=update, description=f"Change a {field} at the revision you last saw."
        ),
        f"delete_{field}": strawberry.mutation(
            resolver=targeted("Delete", standard_writes.delete),
            description=f"Soft-delete a {field}.",
        ),
        f"restore_{field}": strawberry.mutation(
            resolver=targeted("Restore", standard_writes.restore),
            description=f"Restore a soft-deleted {field}.",
        ),
    }
    return strawberry.type(type(f"{name}Mutations", (), body))
