"""An entity's standard mutations made from its rules: `createX`, `updateX`, `deleteX` and
`restoreX`, each with its success type and result union, for entities whose writes are the
standard ones (`resolvers.crud`). Errors in each union are those the rules can raise."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

import strawberry

from gql.batch_mutations import batch_fields
from gql.context import Info
from gql.entity_reads import EntityReads
from gql.error_types import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    NotFoundError,
    ReferencedError,
    ValidationError,
    outcome,
    result_union,
)
from gql.inputs import IdempotencyKey, Rev, provided, target
from gql.pagination import Edge, created, new_edge_description
from resolvers import crud


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


def success_type(
    name: str, field: str, node: type, texts: tuple[str, str], edge_of: str | None = None
) -> Any:
    """A mutation's success: `node` under `field`, and for a create its edge in the root
    connection `edge_of` under `<field>_edge`; `texts` describe the type and the field."""
    annotations: dict[str, Any] = {field: node}
    body: dict[str, Any] = {field: strawberry.field(description=texts[1])}
    if edge_of is not None:
        annotations[f"{field}_edge"] = Edge[node]  # type: ignore[valid-type]
        body[f"{field}_edge"] = strawberry.field(description=new_edge_description(edge_of))
    body["__annotations__"] = annotations
    return strawberry.type(type(name, (), body), description=texts[0])


def standard_mutations(entity: EntityReads, rules: crud.Rules[Any], **options: Any) -> type:
    """The entity's four mutations and its two batch ones as one Strawberry type to mix
    into `Mutation` (see `standard_fields` for the options)."""
    fields = standard_fields(entity, rules, **options) | batch_of(entity, rules, **options)
    return strawberry.type(type(f"{rules.spec.name}Mutations", (), fields))


def _ids(rules: crud.Rules[Any]) -> dict[str, str]:
    """The input fields holding global ids, and the type each must be of: the references."""
    return dict(rules.spec.references)


def batch_of(entity: EntityReads, rules: crud.Rules[Any], **options: Any) -> dict[str, Any]:
    """`update<Rows>` and `delete<Rows>` with the options `standard_fields` takes."""
    ids = _ids(rules)
    return batch_fields(
        entity.node,
        rules,
        patch_input=options["patch_input"],
        columns_of=lambda value: provided(value, ids=ids),
    )


def standard_fields(
    entity: EntityReads,
    rules: crud.Rules[Any],
    *,
    create_input: type,
    patch_input: type,
    texts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The entity's four mutation fields by Python name (`create_<node>`, ...), for a
    class that declares them among bespoke ones in its own order. A create answers with
    the new row's edge in the root connection; input fields that reference other rows
    take their global ids; `texts` overrides descriptions (see `_texts`). A union holds
    ForbiddenError when someone may see a row they may not do that to: not when the
    only rows others see are their own and owners may do it."""
    node, edge, connection, ids = entity.node, entity.reads.edge, entity.what, _ids(rules)
    name, field = rules.spec.name, rules.spec.name[0].lower() + rules.spec.name[1:]
    to_node: Callable[[Any], Any] = node
    nested = (NotFoundError,) if ids else ()
    referenced = (ReferencedError,) if rules.after_delete is not None else ()
    say = _texts(field, texts or {})
    made = {
        verb: success_type(
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
            *nested,
            ValidationError,
            AlreadyExistsError,
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
        verb: result_union(made[verb], *members, *(() if verb == "Create" else forbidding(verb)))
        for verb, members in results.items()
    }
    Id = Annotated[strawberry.ID, strawberry.argument(description=f"The {field}'s id.")]

    def succeed(verb: str) -> Callable[[Any], Any]:
        return lambda row: made[verb](**{field: to_node(row)})

    async def create(
        self: Any, info: Info, input: Any, idempotency_key: IdempotencyKey = None
    ) -> Any:
        async def work() -> Any:
            command = crud.Create(provided(input, ids=ids), idempotency_key)
            return await crud.create(info.context.unit_of_work(), rules, command)

        def success(row: Any) -> Any:
            return created(made["Create"], field, to_node(row), edge(info.context, row))

        return await outcome(work(), success, result=unions["Create"])

    async def update(self: Any, info: Info, id: Any, rev: Rev, patch: Any) -> Any:
        async def work() -> Any:
            uuid = target(id, type_name=name)
            command = crud.Update(uuid, rev, provided(patch, ids=ids))
            return await crud.update(info.context.unit_of_work(), rules, command)

        return await outcome(work(), succeed("Update"), result=unions["Update"])

    def targeted(verb: str, use_case: Any) -> Any:
        async def resolve(self: Any, info: Info, id: Any, rev: Rev) -> Any:
            async def work() -> Any:
                command = crud.Target(target(id, type_name=name), rev)
                return await use_case(info.context.unit_of_work(), rules, command)

            return await outcome(work(), succeed(verb), result=unions[verb])

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
    return {
        f"create_{field}": strawberry.mutation(resolver=create, description=say["Create"]),
        f"update_{field}": strawberry.mutation(resolver=update, description=say["Update"]),
        f"delete_{field}": strawberry.mutation(
            resolver=targeted("Delete", crud.delete), description=say["Delete"]
        ),
        f"restore_{field}": strawberry.mutation(
            resolver=targeted("Restore", crud.restore), description=say["Restore"]
        ),
    }
