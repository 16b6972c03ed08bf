"""Named statements through a pooler that keeps them (PgBouncer 1.21 and later with
`max_prepared_statements`).

PgBouncer prepares each query text once per server connection, under a name of its own,
and hands it to every client that prepares the same text. When a statement's result type
changes under it (a migration changes a column's type), PostgreSQL refuses that prepared
statement at every use ("cached plan must not change result type"). asyncpg then drops its
statement cache and prepares the text again under a new name, once, outside a transaction;
PgBouncer maps the same text to the same refused statement, so the retry fails as well,
on every server connection that prepared it, until PgBouncer reconnects.

After each such drop the pool's connections send their statements with a comment that
marks the drop (`-- 3f9a01c2`), a value new for every drop and shared by the pool's
connections, those opened later included: a text PgBouncer has not seen, prepared afresh, so
asyncpg's retry answers as it does on a direct connection. A count of drops kept per
connection would repeat: a connection opened later, or another instance of the server,
reaches `-- 1` after a different schema change and meets a statement prepared before it.
Until the first drop the texts are ours unchanged.
"""

from __future__ import annotations

import secrets
from typing import Any

import asyncpg

from sql.observe import ObservedConnection


class PooledNamedStatements(ObservedConnection):
    """A connection whose statement texts change after asyncpg drops its cache. Each pool
    takes a class of its own (`for_pool`), which holds the pool's mark."""

    _mark = ""

    @classmethod
    def for_pool(cls) -> type[PooledNamedStatements]:
        return type(cls.__name__, (cls,), {"_mark": ""})

    # asyncpg's private methods, which its type stubs leave out (`_prepare_afresh` is ours;
    # asyncpg has a `_prepare` of its own). Not a coroutine of its own for a cached
    # statement: it hands back asyncpg's, so such a statement awaits no more frames than
    # direct.
    def _get_statement(self, query: str, budget: Any, **options: Any) -> Any:
        text = f"{query}\n-- {mark}" if (mark := type(self)._mark) else query
        record_class = options.get("record_class") or self._protocol.get_record_class()  # type: ignore[attr-defined]
        key = (text, record_class, options.get("ignore_custom_codec", False))
        if self._stmt_cache.get(key, promote=False) is not None:  # type: ignore[attr-defined]
            return super()._get_statement(text, budget, **options)  # type: ignore[misc]
        return self._prepare_afresh(query, text, budget, options)

    async def _prepare_afresh(
        self, query: str, text: str, budget: Any, options: dict[str, Any]
    ) -> Any:
        """A text this connection has not prepared may still be one PgBouncer prepared
        before a schema change: the prepare itself then fails, where asyncpg does not
        retry. Marked anew, it is prepared afresh; inside a transaction, which the failure
        has ended, the next transaction's is."""
        alone = not self.is_in_transaction()
        try:
            return await super()._get_statement(text, budget, **options)  # type: ignore[misc]
        except asyncpg.InvalidCachedStatementError:
            self._drop_global_statement_cache()  # type: ignore[attr-defined]
            if not alone:
                raise
        text = f"{query}\n-- {type(self)._mark}"
        return await super()._get_statement(text, budget, **options)  # type: ignore[misc]

    def _drop_local_statement_cache(self) -> None:
        # For every connection of the pool when one of them met a changed result type; the
        # last one's mark is the pool's, and any is one no text has carried before.
        type(self)._mark = secrets.token_hex(4)
        super()._drop_local_statement_cache()  # type: ignore[misc]
