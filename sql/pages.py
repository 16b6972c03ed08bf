"""Running the builder's page and count statements; rows come back as the entity's row type."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
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
from sql.read_once import fetch_narrowed
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
    records = await page_records(executor, spec, statement, page_statement, *statement.args)
    return page_of(spec, records)


async def fetch_nested_pages(
    executor: Executor, spec: PageSpec, *, parent_key: str, parent_ids: list[UUID]
) -> dict[UUID, RowPage]:
    """The same page of children for every parent, in one statement."""
    statement = nested_page_statement(spec, parent_key=parent_key)
    build = partial(nested_page_statement, parent_key=parent_key)
    records = await page_records(executor, spec, statement, build, parent_ids, *statement.args[1:])
    found = by_parent(records)
    return {parent: page_of(spec, found.get(parent, [])) for parent in parent_ids}


def page_records(
    executor: Executor,
    spec: PageSpec,
    statement: Statement,
    build: Callable[[PageSpec], Statement],
    *args: Any,
) -> Awaitable[list[Any]]:
    """The records of `statement`, which `build` made of `spec`, sent with `args`; when its
    rows leave columns out, its failure is also the same statement's of whole rows
    (`sql.read_once.fetch_narrowed`), built only then."""
    if not spec.omit:
        return executor.fetch(statement.text, *args)
    return fetch_narrowed(executor, statement.text, partial(whole_text, build, spec), *args)


def whole_text(build: Callable[[PageSpec], Statement], spec: PageSpec) -> str:
    """The text of the statement `build` makes of `spec` reading whole rows."""
    return build(replace(spec, omit=frozenset())).text


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
