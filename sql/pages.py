"""Running the builder's page and count statements; rows come back as the entity's row type."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sql.builder import (
    PageSpec,
    Statement,
    count_statement,
    nested_count_statement,
    nested_page_statement,
    page_statement,
    split_page,
)
from sql.pool import Executor
from sql.rows import to_rows


@dataclass(frozen=True, slots=True)
class RowPage:
    rows: list[Any]
    sort_values: list[tuple[Any, ...]]
    more_ahead: bool
    any_behind: bool


def built(spec: PageSpec, builder: Callable[[PageSpec], Statement]) -> Statement:
    """`builder`'s statement for `spec`, built once: fields of a request that ask for the
    same page share one spec (`resolvers.standard_reads`)."""
    found = spec.built.get(builder.__name__)
    if found is None:
        found = spec.built[builder.__name__] = builder(spec)
    return found


async def fetch_page(executor: Executor, spec: PageSpec) -> RowPage:
    statement = built(spec, page_statement)
    return page_of(spec, await executor.fetch(statement.text, *statement.args))


async def fetch_nested_pages(
    executor: Executor, spec: PageSpec, *, parent_key: str, parent_ids: list[UUID]
) -> dict[UUID, RowPage]:
    """The same page of children for every parent, in one statement."""
    statement = nested_page_statement(spec, parent_key=parent_key)
    found = by_parent(await fetch_for_parents(executor, statement, parent_ids))
    return {parent: page_of(spec, found.get(parent, [])) for parent in parent_ids}


async def fetch_for_parents(
    executor: Executor, statement: Statement, parent_ids: list[UUID]
) -> list[Any]:
    """The records of a statement for many parents, whose `$1` is the parents' ids."""
    return await executor.fetch(statement.text, parent_ids, *statement.args[1:])


def by_parent(records: list[Any]) -> dict[UUID, list[tuple[Any, ...]]]:
    """Records that start with their parent's id, the rest of each by parent."""
    found: dict[UUID, list[tuple[Any, ...]]] = defaultdict(list)
    for record in records:
        found[record[0]].append(tuple(record)[1:])
    return found


async def count_rows(executor: Executor, spec: PageSpec) -> int:
    statement = built(spec, count_statement)
    count: int = await executor.fetchval(statement.text, *statement.args)
    return count


async def count_nested_rows(
    executor: Executor, spec: PageSpec, *, parent_key: str, parent_ids: list[UUID]
) -> dict[UUID, int]:
    statement = nested_count_statement(spec, parent_key=parent_key)
    records = await fetch_for_parents(executor, statement, parent_ids)
    return {record[0]: record[1] for record in records}


def page_of(spec: PageSpec, records: Any) -> RowPage:
    page = split_page(records, spec=spec)
    return RowPage(
        rows=to_rows(spec.entity.row_type, page.records, spec.omit),
        sort_values=page.sort_values,
        more_ahead=page.more_ahead,
        any_behind=page.any_behind,
    )
