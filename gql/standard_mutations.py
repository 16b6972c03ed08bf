"""An entity's standard mutations made from its rules: `createX`, `updateX`, `deleteX` and
`restoreX`, each with its success type and result union, for entities whose writes are the
standard ones (`resolvers.crud`). Errors in each union are those the rules can raise."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


def _texts(field: str, given: Mapping[str, str]) -> dict[str, str]:
    """What the mutations, their success types and payload fields say: these defaults,
    or what `given` says instead under the same key."""
    return {
        "Create": f"Create a {field}.",
        "CreateSuccess": f"The {field} was created.",
        "CreateField": f"The new {field}.",
        "Update": f"Change a {field} at the revision you last saw.",
        "UpdateSuccess": f"The {field} was changed.",
        "UpdateField": f"The {field} as it is now.",
        "Delete": f"Soft-delete a {field}.",
        "DeleteSuccess": f"The {field} was soft-deleted.",
        "DeleteField": f"The {field}, with `deletedAt` set.",
        "Restore": f"Restore a soft-deleted {field}.",
        "RestoreSuccess": f"The {field} is live again.",
        "RestoreField": f"The restored {field}.",
    } | dict(given)


def _success(
    name: str, field: str, node: type, texts: tuple[str, str], edge_of: str | None = None
) -> Any:
    annotations: dict[str, Any] = {field: node}
    body: dict[str, Any] = {field: strawberry.field(description=texts[1])}
    if edge_of is not None:
        annotations[f"{field}_edge"] = Edge[node]  # type: ignore[valid-type]
        body[f"{field}_edge"] = strawberry.field(description=new_edge_description(edge_of))
    body["__annotations__"] = annotations
    return strawberry.type(type(name, (), body), description=texts[0])


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
    texts: Mapping[str, str] | None = None,
) -> type:
    """`node`'s four mutations as one Strawberry type to mix into `Mutation`. `edge` places
    a new row in the root connection `connection`; `ids` names the input fields holding
    global ids and the types they must be of; `texts` overrides descriptions (see
    `_texts`). A union holds ForbiddenError when someone may see a row they may not do
    that to: not when the only rows others see are their own and owners may do it."""
    name, field = rules.spec.name, rules.spec.name[0].lower() + rules.spec.name[1:]
    to_node: Callable[[Any], Any] = node.from_row  # type: ignore[attr-defined]
    nested = (NotFoundError,) if ids else ()
    referenced = (ReferencedError,) if rules.after_delete is not None else ()
    say = _texts(field, texts or {})
    made = {
        verb: _success(
            f"{verb}{name}Success",
            field,
            node,
            (say[f"{verb}Success"], say[f"{verb}Field"]),
            connection if verb == "Create" else None,
        )
        for verb in ("Create", "Update", "Delete", "Restore")
    }
    policy, scope = rules.policy, rules.spec.owner
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

    def forbidding(verb: str) -> tuple[Any, ...]:
        who = getattr(policy, verb.lower())
        own_only = scope is not None and scope == policy.owner and who != "staff"
        return () if own_only else (ForbiddenError,)

    unions = {
        verb: _union(
            f"{verb}{name}Result",
            (made[verb], *members, *(() if verb == "Create" else forbidding(verb))),
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
        f"create_{field}": strawberry.mutation(resolver=create, description=say["Create"]),
        f"update_{field}": strawberry.mutation(resolver=update, description=say["Update"]),
        f"delete_{field}": strawberry.mutation(
            resolver=targeted("Delete", standard_writes.delete),
            description=say["Delete"],
        ),
        f"restore_{field}": strawberry.mutation(
            resolver=targeted("Restore", standard_writes.restore),
            description=say["Restore"],
        ),
    }
    return strawberry.type(type(f"{name}Mutations", (), body))
