"""Domain exceptions raised by use-cases; the GraphQL edge maps each to what clients see.

Raised inside a write's transaction, they roll it back: a failed mutation writes nothing.
Each holds exactly what its GraphQL error type shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar
from uuid import UUID


class BadUserInput(Exception):
    """The request itself is wrong (a bad cursor, page size or argument): the client must
    change it. Shown as a top-level error with a clear message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DomainError(Exception):
    """An expected failure of a mutation, returned to the client as data."""

    explained: ClassVar[str] = ""
    """Its message, with the error's fields in braces (`str.format`)."""

    def __str__(self) -> str:
        return self.explained.format(**vars(self))

    @property
    def message(self) -> str:
        return str(self)


@dataclass
class NotFound(DomainError):
    type_name: str
    id: UUID | None
    """None when the id did not even decode: it is echoed back as the client sent it."""
    raw_id: str | None = None

    explained = "no {type_name} with this id"


@dataclass
class StaleRevision(DomainError):
    type_name: str
    expected: int
    current: int
    row: Any

    explained = (
        "the {type_name} is at revision {current}, not {expected}: "
        "re-read it and apply your change again"
    )


@dataclass(frozen=True, slots=True)
class Problem:
    path: tuple[str, ...]
    message: str
    code: str


@dataclass
class Invalid(DomainError):
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        count = len(self.problems)
        return f"{count} invalid value{'s' if count != 1 else ''}: " + "; ".join(
            f"{'.'.join(p.path)}: {p.message}" for p in self.problems
        )


@dataclass
class Duplicate(DomainError):
    field_name: str
    value: str
    references: str | None = None
    """The entity `value` is the database id of, when the column points at one."""

    def __str__(self) -> str:
        if self.references is None:
            return super().__str__()
        return f"{self.field_name} is already taken: one live row may name this {self.references}"

    explained = "{field_name} {value!r} is already taken"


@dataclass(frozen=True, slots=True)
class Shortage:
    product: Any
    requested: int
    available: int


@dataclass
class OutOfStock(DomainError):
    shortages: list[Shortage]

    def __str__(self) -> str:
        return f"not enough stock for {len(self.shortages)} line(s)"


@dataclass
class IllegalTransition(DomainError):
    from_status: str
    to_status: str

    explained = "an order cannot go from {from_status} to {to_status}"


@dataclass
class IdempotencyKeyReused(DomainError):
    key: str

    explained = "idempotency key {key!r} was used with other arguments"


@dataclass
class Referenced(DomainError):
    type_name: str
    id: UUID

    explained = "the {type_name} is still referenced by live rows"


@dataclass
class Forbidden(DomainError):
    reason: str = "you may not do this"

    explained = "{reason}"


@dataclass(frozen=True, slots=True)
class Failure:
    path: tuple[str, ...]
    error: DomainError


@dataclass
class BatchFailed(DomainError):
    """Items of a batch that cannot be written; nothing was."""

    failures: list[Failure]

    def __str__(self) -> str:
        count = len(self.failures)
        return f"{count} item{'s' if count != 1 else ''} failed; nothing was written"
