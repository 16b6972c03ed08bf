"""Opaque keyset cursors.

A cursor carries the sort values of one row (the `id` tiebreaker last) and a digest of the
ordering it was made for. A cursor made for another ordering, or edited by hand, is refused
instead of silently paging from the wrong place.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from resolvers.errors import BadUserInput
from sql.keyset import SortKey

_PREFIX = "c1:"


def ordering_digest(order: Sequence[SortKey], *, scope: str) -> str:
    """Names what the cursor belongs to: the connection (`scope`) and its full ordering."""
    spec = scope + "|" + ",".join(f"{k.column.sql}:{'d' if k.descending else 'a'}" for k in order)
    return hashlib.sha256(spec.encode()).hexdigest()[:12]


def encode_cursor(values: Sequence[Any], *, digest: str) -> str:
    payload = json.dumps([digest, [_encode_value(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode((_PREFIX + payload).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, order: Sequence[SortKey], digest: str) -> tuple[Any, ...]:
    """The sort values a cursor carries, typed per `order`; `BadUserInput` when it is not
    a cursor of this connection and ordering."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError
        found_digest, values = json.loads(raw.removeprefix(_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError, TypeError):
        raise BadUserInput(f"cursor {_shown(cursor)} is not a valid cursor") from None
    if found_digest != digest:
        raise BadUserInput(
            f"cursor {_shown(cursor)} belongs to another ordering or filter; "
            "start again without a cursor"
        )
    try:
        if not isinstance(values, list) or len(values) != len(order):
            raise ValueError
        return tuple(
            _decode_value(v, key.column.kind) for v, key in zip(values, order, strict=True)
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
    if value is None:
        return None
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        return parsed
    if kind is Decimal:
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError("not a finite decimal")
        return number
    if kind is UUID:
        return UUID(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    raise ValueError(f"expected {kind.__name__}")


def _shown(cursor: str) -> str:
    return repr(cursor if len(cursor) <= 40 else cursor[:37] + "...")
