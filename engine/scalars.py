"""The contract's custom scalars (exact decimals as strings, timestamps with an offset), and
which built-in scalars' values pass through unchanged."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT


def _parse_decimal(value: Any) -> Decimal:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError('Decimal values are strings such as "19.99"')
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ValueError("Decimal values must be finite")
    return number


def _parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime values are RFC 3339 strings")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an RFC 3339 date-time") from None
    if parsed.tzinfo is None:
        raise ValueError("DateTime values need an offset, e.g. 2024-05-01T12:00:00Z")
    return parsed


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number, as a string ("19.99"). Money has two decimals.',
    specified_by_url="https://speleotrove.com/decimal/daconvs.html#refnumsyn",
    serialize=str,
    parse_value=_parse_decimal,
)

DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="A point in time, RFC 3339 with an offset (2024-05-01T12:00:00+00:00).",
    specified_by_url="https://datatracker.ietf.org/doc/html/rfc3339#section-5.6",
    serialize=datetime.isoformat,
    parse_value=_parse_datetime,
)

SCALAR_MAP: dict[object, Any] = {Decimal: DecimalScalar, datetime: DateTimeScalar}


AS_IS: dict[str, type] = {"String": str, "ID": str, "Boolean": bool, "Int": int}
"""Built-in scalars, by name, and the Python type whose values they take in (variables)
and give out (results) unchanged; an Int only within `INT_RANGE`. (ID also takes and gives
integers, as strings: graphql-core's conversion does that.)"""

INT_RANGE = range(GRAPHQL_MIN_INT, GRAPHQL_MAX_INT + 1)
"""GraphQL's Int: 32 bits, signed."""
