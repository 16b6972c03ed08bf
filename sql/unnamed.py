"""Statements for a pooler that cannot keep prepared statements (PgBouncer before 1.21).

Without its statement cache, asyncpg asks the server to describe every statement before
running it: two round trips each. This connection keeps each statement's description
instead and sends the statement unnamed, parsed again in the same message batch as its
execution (Parse, Bind, Execute, Sync): one round trip, and nothing left on the server
connection. PgBouncer hands one batch, up to its Sync, to one server connection.

It extends asyncpg's `Connection._get_statement` (asyncpg's own path for a disabled
cache, which marks the statement to be parsed again); the cache is emptied whenever
asyncpg empties its own (a schema change seen by the server).
"""

from __future__ import annotations

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

    # asyncpg's private methods, which its type stubs leave out.
    async def _get_statement(self, query: str, budget: Any, **options: Any) -> Any:
        if options.get("named"):
            return await super()._get_statement(query, budget, **options)  # type: ignore[misc]
        key = (query, options.get("record_class"), options.get("ignore_custom_codec", False))
        statement = self._described.get(key)
        if statement is not None:
            self._described.move_to_end(key)
            return statement
        statement = await super()._get_statement(query, budget, **options)  # type: ignore[misc]
        if not statement.name:  # unnamed, and marked to be parsed with each execution
            self._described[key] = statement
            if len(self._described) > CACHE_SIZE:
                self._described.popitem(last=False)
        return statement

    def _drop_local_statement_cache(self) -> None:
        self._described.clear()
        super()._drop_local_statement_cache()  # type: ignore[misc]
