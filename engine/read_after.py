"""The read-your-writes token: `extensions.readAfter` of a mutation's response, sent back as
the `X-Read-After` header. It names a position in the primary's WAL; clients treat it as an
opaque string."""

from __future__ import annotations

import re

HEADER = "x-read-after"

_TOKEN = re.compile(r"1\.([0-9a-f]{1,16})")


class MalformedToken(ValueError):
    pass


def encode(lsn: int) -> str:
    return f"1.{lsn:x}"


def decode(token: str) -> int:
    """The WAL position of a token this server issued; `MalformedToken` for anything else."""
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        raise MalformedToken("X-Read-After is not a readAfter token this server issued")
    return int(match[1], 16)
