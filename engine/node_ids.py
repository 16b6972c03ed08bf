"""Relay global ids: base64 of `TypeName:uuid`, opaque to clients."""

from __future__ import annotations

import base64
import binascii
from uuid import UUID


def to_global_id(type_name: str, id: UUID) -> str:
    return base64.b64encode(f"{type_name}:{id}".encode()).decode()


def from_global_id(global_id: str) -> tuple[str, UUID] | None:
    """(type name, uuid), or None when the id does not decode: an id that is not ours is
    simply not found, never an error."""
    try:
        # As b64decode(validate=True) decides, without its regular expression.
        text = binascii.a2b_base64(global_id, strict_mode=True).decode()
        type_name, _, raw_uuid = text.partition(":")
        return type_name, UUID(raw_uuid)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def uuid_of(global_id: str, *, type_name: str) -> UUID | None:
    """The uuid inside a global id of `type_name`; None for any other id."""
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]
