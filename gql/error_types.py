"""Errors as data: the `Error` interface, its types, and the one mapping from domain
exceptions to them."""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from uuid import UUID

import strawberry
from strawberry.utils.str_converters import to_camel_case

from engine.node_ids import to_global_id
from gql.node import Node, node_of
from resolvers import errors

if TYPE_CHECKING:
    from gql.orders import OrderStatus
    from gql.products import Product

T = TypeVar("T")


@strawberry.enum(description="What kind of failure a mutation met.")
class ErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    VALIDATION = "VALIDATION"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    REFERENCED = "REFERENCED"
    FORBIDDEN = "FORBIDDEN"
    BATCH_FAILED = "BATCH_FAILED"


@strawberry.interface(description="An expected failure of a mutation, returned as data.")
class Error:
    message: str = strawberry.field(description="What went wrong, for people.")
    code: ErrorCode = strawberry.field(description="What went wrong, for programs.")


@strawberry.type(description="Nothing visible has this id.")
class NotFoundError(Error):
    node_id: strawberry.ID = strawberry.field(
        description="The global id that was not found (not this error's own identity)."
    )


@strawberry.type(description="The object changed since the client read it; nothing was written.")
class ConflictError(Error):
    expected_rev: int = strawberry.field(description="The revision the client sent.")
    current_rev: int = strawberry.field(description="The revision it is at now.")
    current: Node = strawberry.field(description="The object as it is now, to rebase onto.")


@strawberry.type(description="One problem with one argument value.")
class FieldError:
    path: list[str] = strawberry.field(
        description='Where in the arguments, e.g. ["input", "lines", "2", "quantity"].'
    )
    message: str = strawberry.field(description="What is wrong with it.")
    code: str = strawberry.field(description="The rule it broke, e.g. STRING_TOO_LONG.")


@strawberry.type(description="Arguments broke input rules; every problem is listed.")
class ValidationError(Error):
    fields: list[FieldError] = strawberry.field(description="Each problem found.")


@strawberry.type(description="A unique value is already taken by a live object.")
class AlreadyExistsError(Error):
    field: str = strawberry.field(description="The field that must be unique.")
    value: str = strawberry.field(description="The value already taken.")


@strawberry.type(description="One order line the stock cannot cover.")
class StockShortage:
    product: Annotated[Product, strawberry.lazy("gql.products")] = strawberry.field(
        description="The product that is short."
    )
    requested: int = strawberry.field(description="Units the order asked for.")
    available: int = strawberry.field(description="Units in stock.")


@strawberry.type(description="Not enough stock for one or more lines; nothing was written.")
class InsufficientStockError(Error):
    items: list[StockShortage] = strawberry.field(description="Every short line.")


@strawberry.type(description="The order's status does not allow this step.")
class InvalidTransitionError(Error):
    from_: Annotated[OrderStatus, strawberry.lazy("gql.orders")] = strawberry.field(
        name="from", description="The order's status now."
    )
    to: Annotated[OrderStatus, strawberry.lazy("gql.orders")] = strawberry.field(
        description="The status asked for."
    )


@strawberry.type(description="This idempotency key was used before with other arguments.")
class IdempotencyKeyReusedError(Error):
    key: str = strawberry.field(description="The key.")


@strawberry.type(description="Live objects still point at this one, so it cannot go.")
class ReferencedError(Error):
    node_id: strawberry.ID = strawberry.field(
        description="The global id of the object still in use (not this error's own identity)."
    )


@strawberry.type(description="The viewer may see this object but not do this to it.")
class ForbiddenError(Error):
    pass


ItemError = Annotated[
    NotFoundError | ConflictError | ForbiddenError | AlreadyExistsError | ReferencedError,
    strawberry.union("ItemError", description="Why one item of a batch cannot be written."),
]


@strawberry.type(description="One item of a batch that cannot be written.")
class ItemFailure:
    path: list[str] = strawberry.field(
        description='Where in the arguments, e.g. ["items", "3", "rev"].'
    )
    error: ItemError = strawberry.field(description="Why.")


@strawberry.type(description="Items of a batch cannot be written; nothing was.")
class BatchError(Error):
    failures: list[ItemFailure] = strawberry.field(description="Every failing item, in order.")


def error_of(failure: errors.DomainError) -> Error:
    """The GraphQL error type for a domain exception: the one mapping of the two."""
    message = failure.message
    match failure:
        case errors.NotFound(type_name=type_name, id=id, raw_id=raw_id):
            shown = raw_id if id is None else to_global_id(type_name, id)
            return NotFoundError(
                message=message, code=ErrorCode.NOT_FOUND, node_id=strawberry.ID(shown or "")
            )
        case errors.StaleRevision(expected=expected, current=current, row=row):
            return ConflictError(
                message=message,
                code=ErrorCode.CONFLICT,
                expected_rev=expected,
                current_rev=current,
                current=node_of(row),
            )
        case errors.Invalid(problems=problems):
            return ValidationError(
                message=message,
                code=ErrorCode.VALIDATION,
                fields=[
                    FieldError(path=_named(p.path), message=p.message, code=p.code)
                    for p in problems
                ],
            )
        case errors.Duplicate(field_name=field_name, value=value, references=references):
            return AlreadyExistsError(
                message=message,
                code=ErrorCode.ALREADY_EXISTS,
                field=to_camel_case(field_name),
                value=value if references is None else to_global_id(references, UUID(value)),
            )
        case errors.OutOfStock(shortages=shortages):
            return InsufficientStockError(
                message=message,
                code=ErrorCode.INSUFFICIENT_STOCK,
                items=[
                    StockShortage(
                        product=node_of(s.product), requested=s.requested, available=s.available
                    )
                    for s in shortages
                ],
            )
        case errors.IllegalTransition(from_status=from_status, to_status=to_status):
            from gql.orders import OrderStatus

            return InvalidTransitionError(
                message=message,
                code=ErrorCode.INVALID_TRANSITION,
                from_=OrderStatus(from_status),
                to=OrderStatus(to_status),
            )
        case errors.IdempotencyKeyReused(key=key):
            return IdempotencyKeyReusedError(
                message=message, code=ErrorCode.IDEMPOTENCY_KEY_REUSED, key=key
            )
        case errors.Referenced(type_name=type_name, id=id):
            return ReferencedError(
                message=message,
                code=ErrorCode.REFERENCED,
                node_id=strawberry.ID(to_global_id(type_name, id)),
            )
        case errors.Forbidden():
            return ForbiddenError(message=message, code=ErrorCode.FORBIDDEN)
        case errors.BatchFailed(failures=failures):
            return BatchError(
                message=message,
                code=ErrorCode.BATCH_FAILED,
                failures=[
                    ItemFailure(path=_named(f.path), error=error_of(f.error))  # type: ignore[arg-type]
                    for f in failures
                ],
            )
    raise TypeError(f"no GraphQL error type for {type(failure).__name__}")


def _named(path: tuple[str, ...]) -> list[str]:
    """A problem's path by the schema's names: use-cases name fields as columns."""
    return [to_camel_case(part) for part in path]


def result_union(success: type, *errors: type, what: str | None = None) -> Any:
    """A mutation's result: the union of its success type `<Name>Success` and the errors
    it may answer with, named `<Name>Result` and said to be what `name` did (or `what`)."""
    name = success.__name__.removesuffix("Success")
    union: Any = success
    for error in errors:
        union = union | error
    said = what or name[0].lower() + name[1:]
    return Annotated[union, strawberry.union(f"{name}Result", description=f"What {said} did.")]


def error_members(result: Any) -> tuple[type[Error], ...]:
    """The error types of a result union (`Annotated[A | B | ..., strawberry.union(...)]`)."""
    union = typing.get_args(result)[0]
    return tuple(
        member
        for member in typing.get_args(union)
        if isinstance(member, type) and issubclass(member, Error)
    )


async def outcome(work: Awaitable[T], success: Callable[[T], Any], *, result: Any) -> Any:
    """The success payload, or the error type a domain exception maps to.

    An error the mutation's `result` union does not declare is a bug, not data: it is
    re-raised and reaches the client masked.
    """
    try:
        return success(await work)
    except errors.DomainError as failure:
        error = error_of(failure)
        if not isinstance(error, error_members(result)):
            raise
        return error
