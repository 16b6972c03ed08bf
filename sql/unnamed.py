"""Statements for a pooler that cannot keep prepared statements (PgBouncer before 1.21).

Without its statement cache, asyncpg asks the server to describe every statement before
running it: two round trips each. This connection keeps each statement's description
instead and sends the statement unnamed, parsed again in the same message batch as its
execution (Parse, Bind, Execute, Sync): one round trip, and nothing left on the server
connection. PgBouncer hands one batch, up to its Sync, to one server connection.

It extends asyncpg's `Connection._get_statement` (asyncpg's own path for a disabled
cache, which marks the statement to be parsed again); the cache is emptied whenever
asyncpg empties its own (a schema change seen by the server).

asyncpg writes the Parse message and the rest (Bind, Execute, Sync) to the socket one after
the other: two packets, each a wake-up of PgBouncer, a forward and a wake-up of the server.
The socket is corked (TCP_CORK) while a statement is sent, and uncorked as soon as the
sender waits for the answer, so the four go as one packet.

A transaction's opening (BEGIN and its SET LOCALs) waits for its first statement and leaves
in the same packet, as Parse, Bind and Execute messages without a Sync of their own: the
server runs them in order before the statement, and asyncpg, reading the statement's
answer up to its ReadyForQuery, passes over their ParseComplete, BindComplete and
CommandComplete (a CommandComplete only sets the status that the statement's own then
replaces). A write then takes one round trip fewer than with BEGIN sent on its own.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from sql.observe import ObservedConnection

CACHE_SIZE = 256  # statements described per connection; ours are a few dozen


class UnnamedStatements(ObservedConnection):
    """A connection whose statements are described once and always sent unnamed (and, as
    every connection of ours, observed: `sql.observe`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._described: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._socket: Any = None
        self._opening: bytes | None = None

    def open_with_next(self, opening: bytes) -> None:
        """Sends `opening` (`unsynced`) ahead of the next statement, in its packet: one run
        by `execute`, `fetch…` or `executemany`. Cursors (named statements) and COPY would
        not send it, and `prepare()` would send it with no statement behind it: none of
        them is used inside a transaction behind such a pooler."""
        self._opening = opening

    def drop_opening(self) -> bool:
        """Forgets an opening not sent yet; True when there was one (nothing was sent since
        `open_with_next`: no transaction is open on the server)."""
        waiting, self._opening = self._opening is not None, None
        return waiting

    def _send_opening(self) -> None:
        """Into the corked packet of the statement about to be written."""
        if self._opening is not None:
            self._transport.write(self._opening)  # type: ignore[attr-defined]
            self._opening = None

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109
        if not args and self._opening is not None:  # the simple protocol, past `_get_statement`
            self._cork()
            self._send_opening()
        return await super().execute(query, *args, timeout=timeout)

    def _cork(self) -> None:
        """Holds what is written from now until this task first waits (the answer)."""
        if self._socket is None:
            self._socket = _own_socket(self._transport)  # type: ignore[attr-defined]
        if self._socket is False:
            return
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        self._loop.call_soon(self._uncork)  # type: ignore[attr-defined]

    def _uncork(self) -> None:
        try:  # noqa: SIM105 (cheaper than a context manager, once per statement)
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
        except OSError:  # closed meanwhile: nothing left to send
            pass

    # asyncpg's private methods, which its type stubs leave out.
    async def _get_statement(self, query: str, budget: Any, **options: Any) -> Any:
        if options.get("named"):
            return await super()._get_statement(query, budget, **options)  # type: ignore[misc]
        key = (query, options.get("record_class"), options.get("ignore_custom_codec", False))
        statement = self._described.get(key)
        if statement is not None:
            self._described.move_to_end(key)
        else:
            statement = await super()._get_statement(query, budget, **options)  # type: ignore[misc]
            if not statement.name:  # unnamed, and marked to be parsed with each execution
                self._described[key] = statement
                if len(self._described) > CACHE_SIZE:
                    self._described.popitem(last=False)
        # asyncpg sends the statement right after this returns, before its task waits.
        self._cork()
        self._send_opening()
        return statement

    def _cleanup(self) -> None:  # closed, terminated or lost
        if self._socket:
            self._socket.close()  # an uncork still to come fails on it, and is ignored
        super()._cleanup()  # type: ignore[misc]

    def _on_release(self, *args: Any, **kwargs: Any) -> None:
        self._opening = None  # never carried over to the connection's next user
        super()._on_release(*args, **kwargs)  # type: ignore[misc]

    def _drop_local_statement_cache(self) -> None:
        self._described.clear()
        super()._drop_local_statement_cache()  # type: ignore[misc]


def _own_socket(transport: asyncio.Transport) -> socket.socket | bool:
    """A socket object of our own for the transport's TCP socket (False: none to cork).
    uvloop's `get_extra_info("socket")` makes and detaches a socket object on every call
    of its methods; a duplicate descriptor, closed with the connection, makes none."""
    found = transport.get_extra_info("socket")
    if found is None or found.family == socket.AF_UNIX or not hasattr(socket, "TCP_CORK"):
        return False
    return socket.socket(fileno=os.dup(found.fileno()))


def unsynced(statements: Sequence[str]) -> bytes:
    """Parse, Bind and Execute messages for each statement (unnamed, no parameters, text
    results), with no Sync: they run as part of whatever batch follows them."""
    out = bytearray()
    for text in statements:
        query = text.encode() + b"\0"
        out += b"P" + struct.pack("!i", 4 + 1 + len(query) + 2) + b"\0" + query + b"\0\0"
        out += b"B" + struct.pack("!i", 4 + 1 + 1 + 2 + 2 + 2) + b"\0\0" + b"\0" * 6
        out += b"E" + struct.pack("!i", 4 + 1 + 4) + b"\0" + b"\0" * 4
    return bytes(out)
