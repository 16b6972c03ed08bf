"""A root page rendered as JSON text by PostgreSQL: one statement, one row, holding the
finished text of the page's items (as `sql.rendered` writes objects), what its cursors
and page info need (the sort values of its first and last rows, whether rows lie ahead
of it and behind its cursor) and, when asked, how many rows match in all.

The page's rows come from the builder's own page statement (`sql.builder.page_body`), so
visibility, the owner scope, the filter and the keyset predicate are the row path's; the
count is the builder's set condition, in a subquery of its own: it keeps its own plan (a
page of the first hundred of ten thousand rows reads a hundred), and the page and its
count are read in one snapshot, within one statement timeout. The statement's text
depends on the page's shape and on the output keys' texts, which travel as a parameter
(they are the client's aliases)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sql.builder import (
    PageSpec,
    Statement,
    count_statement,
    page_body,
    page_statement,
    set_conditions,
    sort_columns,
)
from sql.filters import Params
from sql.pages import built, whole_text
from sql.pool import Executor
from sql.read_once import whole_read_failed
from sql.rendered import Base64Of, Heads, Output, Subtree, object_text


@dataclass(frozen=True, slots=True)
class PageShape:
    """What a rendered page shows of each row (outputs over the entity's columns, none of
    them a nested subtree), and whether the statement counts the whole set too."""

    outputs: tuple[Output, ...]
    count: bool

    def __post_init__(self) -> None:
        if any(isinstance(o.value, Subtree) for o in self.outputs):
            raise ValueError("a rendered page shows columns of its rows only")

    @property
    def columns(self) -> frozenset[str]:
        """The columns its outputs read."""
        found = set()
        for output in self.outputs:
            value = output.value
            if isinstance(value, Base64Of):
                found.add(value.column)
            elif output.kind != "literal" and isinstance(value, str):
                found.add(value)
        return frozenset(found)


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """`items`: the JSON list of the page's objects in the requested order, or None where
    a value that may not be null was; `sort_values`: those of its first and last rows, in
    the order read (none for an empty page); `total`: the count, when asked for."""

    items: str | None
    size: int
    sort_values: list[tuple[Any, ...]]
    more_ahead: bool
    any_behind: bool
    total: int | None


def rendered_page_statement(spec: PageSpec, shape: PageShape) -> Statement:
    """The statement of `fetch_rendered_page`. The page reads only the columns shown and
    those it sorts by (left out of `spec`'s rows, the others are not read at all)."""
    shown = shape.columns | {key.expression.removeprefix("{t}.") for key in spec.order}
    narrow = replace(spec, omit=frozenset(c for c in spec.entity.columns if c not in shown))
    params = Params(narrow.args)
    body = page_body(narrow, alias="t0", params=params, correlate=None)
    sorts = sort_columns(narrow)
    read_order = ", ".join(
        key.sql(f"p.{column}", reverse=spec.backward)
        for key, column in zip(spec.order, sorts, strict=True)
    )
    limit = params.add(spec.limit, "int")
    heads = Heads(params.add(None, "text[]"))
    at_heads = len(params.values) - 1
    item = object_text(shape.outputs, iter(()), heads)
    if heads.texts:
        params.values[at_heads] = heads.texts
    else:  # no key shown (every field skipped): no parameter nothing reads
        params.values.pop(at_heads)
    # Items come in the order read; a backward page shows them the other way round.
    within = "x.n DESC" if spec.backward else "x.n"
    items = (
        "(SELECT CASE WHEN count(*) = count(x.v) THEN '[' || coalesce(string_agg(x.v, ','"
        f" ORDER BY {within}), '') || ']' END FROM (SELECT {item} AS v, r.n FROM a AS r"
        f" WHERE r.n <= {limit}) AS x)"
    )
    firsts = ", ".join(f"f.{c}" for c in sorts)
    lasts = ", ".join(f"l.{c}" for c in sorts)
    total = ""
    if shape.count:
        where = set_conditions(spec, params, args_at=1)
        total = f", (SELECT count(*) FROM {spec.entity.table} AS t0 WHERE {where})"
    text = (
        f"WITH p AS MATERIALIZED ({body}), a AS (SELECT p.*, row_number() OVER"
        f" (ORDER BY {read_order}) AS n FROM p WHERE NOT p.behind)"
        f" SELECT {items}, least(c.size, {limit}), c.size > {limit},"
        f" EXISTS (SELECT FROM p WHERE p.behind), {firsts}, {lasts}{total}"
        f" FROM (SELECT count(*) AS size FROM a) AS c"
        f" LEFT JOIN a AS f ON f.n = least(1, {limit})"
        f" LEFT JOIN a AS l ON l.n = least(c.size, {limit})"
    )
    return Statement(text=text, args=params.values)


async def fetch_rendered_page(executor: Executor, spec: PageSpec, shape: PageShape) -> RenderedPage:
    """The page `spec` asks for, rendered as `shape` says (see the module)."""
    statement = rendered_page_statement(spec, shape)
    try:
        found = await executor.fetchrow(statement.text, *statement.args)
    except Exception as error:
        _stood_for_failed(executor, error, spec, shape)
        raise
    assert found is not None  # aggregates over the page: always one row
    record = tuple(found)
    items, size, more_ahead, any_behind = record[:4]
    width = len(spec.order)
    sort_values = []
    if size:
        sort_values = [record[4 : 4 + width], record[4 + width : 4 + 2 * width]]
    return RenderedPage(
        items=items,
        size=size,
        sort_values=sort_values,
        more_ahead=more_ahead,
        any_behind=any_behind,
        total=record[4 + 2 * width] if shape.count else None,
    )


def _stood_for_failed(
    executor: Executor, error: Exception, spec: PageSpec, shape: PageShape
) -> None:
    """The statement of `shape` for `spec` failed with `error`: a later read of what it
    stands for fails with it (`sql.read_once.whole_read_failed`), without waiting again:
    the page of whole rows and, with a count, the count's statement. A slow count then
    fails the page with it (where read apart it would fail the count alone)."""
    args = built(spec, page_statement).args
    whole_read_failed(executor, error, whole_text(page_statement, spec), *args)
    if shape.count:
        count = built(spec, count_statement)
        whole_read_failed(executor, error, count.text, *count.args, method="fetchval")
