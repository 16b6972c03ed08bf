"""Relay global ids: base64 of `TypeName:uuid`, opaque to clients."""

from __future__ import annotations

import binascii
from collections.abc import Callable, Iterable
from uuid import UUID

_b2a = binascii.b2a_base64  # what `base64.b64encode` calls, less its wrapper's checks


def to_global_id(type_name: str, id: UUID) -> str:
    return _b2a(f"{type_name}:{id}".encode(), newline=False).decode()


def to_global_ids(type_name: str, ids: Iterable[UUID]) -> list[str]:
    """`to_global_id` of each id: a page encodes a hundred at once."""
    prefix = type_name + ":"
    return [_b2a((prefix + str(id)).encode(), newline=False).decode() for id in ids]


_uuids: list[Callable[[str], UUID]] = [UUID]


def read_uuids_with(parse: Callable[[str], UUID]) -> None:
    """Have the uuids of global ids made by `parse`, which takes what `UUID` takes and
    raises ValueError for anything else: a type whose construction and hash run in C
    (the database driver's) costs a request less than `uuid.UUID`, whose are Python, and
    a key is hashed at every step of its read."""
    _uuids[:] = [parse]


def from_global_id(global_id: str) -> tuple[str, UUID] | None:
    """(type name, uuid), or None when the id does not decode: an id that is not ours is
    simply not found, never an error."""
    try:
        # As b64decode(validate=True) decides, without its regular expression.
        text = binascii.a2b_base64(global_id, strict_mode=True).decode()
        type_name, _, raw_uuid = text.partition(":")
        return type_name, _uuids[0](raw_uuid)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def uuid_of(global_id: str, *, type_name: str) -> UUID | None:
    """The uuid inside a global id of `type_name`; None for any other id."""
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]
