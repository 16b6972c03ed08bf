"""The rows of groups: a keyset page of each group's rows, for every group of a page of
groups (of every parent, for nested connections) in one statement.

This extends `sql.builder` under its rules: the page is the builder's (`page_body`), and a
row belongs to a group when each of the group's key expressions (`sql.group_spec`: a
whitelisted column, or a bucket of one in the groups' time zone) is not distinct from the
group's key, passed as one array parameter per key (and one of the groups' parents).
"""

from __future__ import annotations

from collections.abc import Hashable
from functools import partial
from typing import Any

from sql.builder import PageSpec, Statement, page_body
from sql.filters import Params
from sql.group_spec import GroupSpec, key_column
from sql.pages import RowPage, page_of, page_records
from sql.pool import Executor


def group_rows_statement(spec: PageSpec, groups: GroupSpec, *, parent_key: str | None) -> Statement:
    """`$1` is the array of the groups' parents (NULLs without `parent_key`), `$2`... the
    arrays of their keys, then the time zone when a key is a bucket; each output row
    starts with its group's ordinal (from 1)."""
    count = len(groups.keys)
    zone = f"${count + 2}::text"
    arrays = ["$1::uuid[]"]
    matches = [f"t0.{parent_key} = grp.p"] if parent_key else []
    for i, grouping in enumerate(groups.keys):
        column = key_column(groups, grouping)
        arrays.append(f"${i + 2}::{'timestamptz' if grouping.bucket else column.sql_type}[]")
        ref = f"t0.{column.name}"
        if grouping.bucket is not None:
            ref = f"date_trunc('{grouping.bucket}', {ref}, {zone})"
        matches.append(f"{ref} IS NOT DISTINCT FROM grp.k{i}")
    zones = [groups.time_zone] if any(g.bucket for g in groups.keys) else []
    params = Params([None, *([None] * count), *zones, *spec.args])
    body = page_body(spec, alias="t0", params=params, correlate=" AND ".join(matches))
    names = ", ".join(f"k{i}" for i in range(count))
    text = (
        f"SELECT grp.n, page.* FROM unnest({', '.join(arrays)}) WITH ORDINALITY "
        f"AS grp(p, {names}, n) CROSS JOIN LATERAL ({body}) AS page"
    )
    return Statement(text=text, args=params.values)


async def fetch_group_rows(
    executor: Executor,
    spec: PageSpec,
    *,
    groups: GroupSpec,
    parent_key: str | None,
    parent_ids: list[Hashable],
) -> dict[Hashable, RowPage]:
    """The page `spec` of each group's rows; each of `parent_ids` is a group's
    (parent id or None, *keys)."""
    statement = group_rows_statement(spec, groups, parent_key=parent_key)
    groups_keys: list[tuple[Any, ...]] = [tuple(g) for g in parent_ids]  # type: ignore[arg-type]
    width = 1 + len(groups.keys)
    columns = [[key[i] for key in groups_keys] for i in range(width)]
    build = partial(group_rows_statement, groups=groups, parent_key=parent_key)
    records = await page_records(
        executor, spec, statement, build, *columns, *statement.args[width:]
    )
    found: dict[int, list[Any]] = {}
    for record in records:
        found.setdefault(record[0], []).append(tuple(record)[1:])
    return {key: page_of(spec, found.get(n, [])) for n, key in enumerate(parent_ids, start=1)}
