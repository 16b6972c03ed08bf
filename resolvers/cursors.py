"""Opaque keyset cursors.

A cursor carries the sort values of one row (the `id` tiebreaker last) and a digest of what
the page was read with: the connection, its ordering, its filter and its search. A cursor
made for anything else, or edited by hand, is refused instead of silently paging from the
wrong place.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from resolvers.errors import BadUserInput
from sql.entity import SortKey

_PREFIX = "c1:"


def page_digest(
    order: Sequence[SortKey],
    *,
    scope: str,
    filter: Mapping[str, Any] | None = None,
    args: Sequence[Any] = (),
) -> str:
    """Names what a cursor belongs to; equal for equal requests whatever their layout."""
    spec = {
        "scope": scope,
        "order": [[k.expression, k.descending, k.nulls_first] for k in order],
        "filter": filter or {},
        "args": list(args),
    }
    text = json.dumps(spec, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(values: Sequence[Any], *, digest: str) -> str:
    payload = json.dumps([digest, [_encode_value(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode((_PREFIX + payload).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, order: Sequence[SortKey], digest: str) -> tuple[Any, ...]:
    """The sort values a cursor carries, typed per `order`; `BadUserInput` when it is not
    a cursor of this connection, ordering and filter."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError
        found_digest, values = json.loads(raw.removeprefix(_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError, TypeError):
        raise BadUserInput(f"cursor {_shown(cursor)} is not a valid cursor") from None
    if found_digest != digest:
        raise BadUserInput(
            f"cursor {_shown(cursor)} belongs to another ordering, filter or search; "
            "start again without a cursor"
        )
    try:
        if not isinstance(values, list) or len(values) != len(order):
            raise ValueError
        return tuple(
            None if v is None and key.nullable else _decode_value(v, key.kind)
            for v, key in zip(values, order, strict=True)
        )
    except (ValueError, TypeError, InvalidOperation):
        raise BadUserInput(f"cursor {_shown(cursor)} is not a valid cursor") from None


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def _decode_value(value: Any, kind: type) -> Any:
    if kind is datetime and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        return parsed
    if kind is Decimal and isinstance(value, str):
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError("not a finite decimal")
        return number
    if kind is UUID and isinstance(value, str):
        return UUID(value)
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    raise ValueError(f"expected {kind.__name__}")


def _shown(cursor: str) -> str:
    return repr(cursor if len(cursor) <= 40 else cursor[:37] + "...")
