"""Input rules (pydantic), and their failures as one `Invalid` listing every problem with
its path into the mutation's arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    TypeAdapter,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from resolvers.errors import Invalid, Problem

M = TypeVar("M", bound="Input")


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


NoNul = AfterValidator(_no_nul)
Name = Annotated[str, Field(min_length=1, max_length=200), NoNul]
Description = Annotated[str, Field(max_length=10_000), NoNul]
Email = Annotated[EmailStr, Field(max_length=254), NoNul]
Sku = Annotated[str, Field(pattern=r"^[A-Z0-9-]{3,32}$")]
Price = Annotated[Decimal, Field(ge=0, le=1_000_000, decimal_places=2, allow_inf_nan=False)]
Stock = Annotated[int, Field(ge=0, le=2_147_483_647)]
Quantity = Annotated[int, Field(ge=1, le=1000)]


class Input(BaseModel):
    """Base of every input model: GraphQL (camelCase) names, nothing extra, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


def parse(model: type[M], data: Mapping[str, Any], *, path: Sequence[str]) -> M:
    """`data` (by GraphQL names) as `model`, or `Invalid` with every problem at once."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as failed:
        raise Invalid(problems(failed, path=path)) from None


def parse_patch(
    model: type[Input], patch: Mapping[str, Any], *, path: Sequence[str]
) -> dict[str, Any]:
    """Checks a partial update: each given field against `model`'s rule for it. An explicit
    null clears a nullable field and is a problem for a required one. Fields are named
    as in `model` or by their aliases; returns the changes by `model`'s names."""
    found: list[Problem] = []
    changes: dict[str, Any] = {}
    by_alias = {field.alias or name: name for name, field in model.model_fields.items()}
    for key, value in patch.items():
        name = key if key in model.model_fields else by_alias[key]
        field = model.model_fields[name]
        if value is None:
            if field.is_required():
                found.append(Problem((*path, key), "is required and cannot be null", "REQUIRED"))
            else:
                changes[name] = None
            continue
        try:
            changes[name] = _field_rule(model, name).validate_python(value)
        except ValidationError as failed:
            found += problems(failed, path=(*path, key))
    if found:
        raise Invalid(found)
    return changes


@cache  # building an adapter costs more than the rest of a write's Python work
def _field_rule(model: type[Input], name: str) -> TypeAdapter[Any]:
    """The validator of one field of `model`, on its own."""
    field = model.model_fields[name]
    rule: Any = field.annotation
    if field.metadata:  # Annotated needs at least one annotation
        rule = Annotated[rule, *field.metadata]
    return TypeAdapter(rule)


def problems(failed: ValidationError, *, path: Sequence[str]) -> list[Problem]:
    return [
        Problem(
            path=(*path, *(str(part) for part in error["loc"])),
            message=_message(error),
            code=error["type"].upper(),
        )
        for error in failed.errors(include_url=False)
    ]


def _message(error: Any) -> str:
    message: str = error["msg"]
    return message.removeprefix("Value error, ")
