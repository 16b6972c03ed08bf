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
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections import OrderedDict
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
        return statement

    def _cleanup(self) -> None:  # closed, terminated or lost
        if self._socket:
            self._socket.close()  # an uncork still to come fails on it, and is ignored
        super()._cleanup()  # type: ignore[misc]

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
