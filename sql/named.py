"""Named statements through a pooler that keeps them (PgBouncer 1.21 and later with
`max_prepared_statements`).

PgBouncer prepares each query text once per server connection, under a name of its own,
and hands it to every client that prepares the same text. When a statement's result type
changes under it (a migration changes a column's type), PostgreSQL refuses that prepared
statement at every use ("cached plan must not change result type"). asyncpg then drops its
statement cache and prepares the text again under a new name, once, outside a transaction;
PgBouncer maps the same text to the same refused statement, so the retry fails as well,
on every server connection that prepared it, until PgBouncer reconnects.

After each such drop this connection sends its statements with a comment that counts the
drops: a text PgBouncer has not seen, prepared afresh, so asyncpg's retry answers as it
does on a direct connection. Until then the texts are ours unchanged.
"""

from __future__ import annotations

from typing import Any

from sql.observe import ObservedConnection


class PooledNamedStatements(ObservedConnection):
    """A connection whose statement texts change after asyncpg drops its cache."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._drops = 0

    # asyncpg's private methods, which its type stubs leave out. Not a coroutine of its
    # own: it hands back asyncpg's, so a statement awaits no more frames than direct.
    def _get_statement(self, query: str, budget: Any, **options: Any) -> Any:
        if self._drops:
            query = f"{query}\n-- {self._drops}"
        return super()._get_statement(query, budget, **options)  # type: ignore[misc]

    def _drop_local_statement_cache(self) -> None:
        # For every connection of the pool when one of them met a changed result type.
        self._drops += 1
        super()._drop_local_statement_cache()  # type: ignore[misc]
