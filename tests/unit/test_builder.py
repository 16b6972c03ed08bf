"""The SQL builder's text: values only as parameters, whitelisted identifiers only,
directions and probes right."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from uuid import UUID

import pytest

from sql.builder import PageSpec, count_statement, nested_page_statement, page_statement, split_page
from sql.entity import ID_KEY, Column, Entity, Relation, SortKey, with_tiebreak
from sql.filters import (
    MAX_FILTER_CONDITIONS,
    MAX_FILTER_TEXT,
    MAX_FILTER_VALUES,
    FilterError,
    Params,
    compile_filter,
)
from sql.pages import built


@dataclass(frozen=True, slots=True)
class ThingRow:
    id: UUID
    name: str


OWNERS = Entity(
    table="owners",
    row_type=ThingRow,
    filterable={"name": Column("name", str, "text")},
    sortable={"NAME": SortKey("{t}.name", str)},
)
THINGS = Entity(
    table="things",
    row_type=ThingRow,
    filterable={
        "name": Column("name", str, "text"),
        "note": Column("note", str, "text", nullable=True),
        "price": Column("price", Decimal, "numeric"),
        "owner": Relation(lambda: OWNERS, join="{inner}.id = {outer}.owner_id"),
    },
    sortable={"NAME": SortKey("{t}.name", str), "PRICE": SortKey("{t}.price", Decimal)},
)
NAME = THINGS.sortable["NAME"]


def spec(**changes: object) -> PageSpec:
    base: dict[str, object] = {
        "entity": THINGS,
        "order": with_tiebreak([NAME]),
        "after": None,
        "backward": False,
        "limit": 20,
    }
    return PageSpec(**{**base, **changes})  # type: ignore[arg-type]


def test_tiebreak_is_added_once_and_follows_the_last_direction() -> None:
    order = with_tiebreak([NAME])
    assert [k.expression for k in order] == ["{t}.name", "{t}.id"]
    assert with_tiebreak(order) == order
    flipped = with_tiebreak([SortKey("{t}.name", str, descending=True)])
    assert flipped[-1].descending


def test_first_page_reads_one_extra_row_and_reads_sort_values_off_its_columns() -> None:
    statement = page_statement(spec())
    assert statement.text == (
        "SELECT t0.id, t0.name, false AS behind "
        "FROM things AS t0 WHERE (t0.deleted_at IS NULL) "
        "ORDER BY t0.name ASC, t0.id ASC LIMIT $1"
    )
    assert statement.args == [21]


def test_after_a_cursor_uses_a_row_comparison_and_probes_behind() -> None:
    statement = page_statement(spec(after=("Atlas", UUID(int=7)), limit=5))
    assert "((t0.name, t0.id) > ($1, $2))" in statement.text
    assert "(NOT ((t0.name, t0.id) > ($1, $2)))" in statement.text
    assert "ORDER BY t0.name DESC, t0.id DESC LIMIT 1" in statement.text
    assert statement.args == ["Atlas", UUID(int=7), 6]
    assert "Atlas" not in statement.text


def test_backward_pages_flip_comparison_order_and_nulls() -> None:
    key = SortKey("{t}.name", str, descending=True, nulls_first=True)
    statement = page_statement(
        spec(order=with_tiebreak([key]), after=("x", UUID(int=1)), backward=True, limit=5)
    )
    assert statement.text.startswith(
        "(SELECT t0.id, t0.name, false AS behind "
        "FROM things AS t0 WHERE (t0.deleted_at IS NULL) AND ((t0.name, t0.id) > ($1, $2))"
    )
    assert "ORDER BY t0.name ASC NULLS LAST, t0.id ASC LIMIT $3" in statement.text


def test_mixed_directions_expand_to_alternatives() -> None:
    order = (SortKey("{t}.price", Decimal, descending=True), ID_KEY)
    statement = page_statement(spec(order=order, after=(Decimal("9.50"), UUID(int=3)), limit=1))
    assert "((t0.price < $1) OR (t0.price = $2 AND t0.id > $3))" in statement.text


def test_filters_become_parameters_with_typed_arrays() -> None:
    params = Params()
    sql = compile_filter(
        THINGS,
        {
            "name": {"in": ["a", "b", "c"], "contains": "50%_off\\"},
            "price": {"gte": Decimal("1"), "neq": Decimal("2")},
            "note": {"is_null": True, "nin": ["x"]},
        },
        alias="t0",
        params=params,
    )
    assert sql == (
        "(t0.name = ANY($1::text[])) AND (t0.name ILIKE $2::text) AND "
        "(t0.price >= $3::numeric) AND (t0.price IS DISTINCT FROM $4::numeric) AND "
        "(t0.note IS NULL) AND ((t0.note IS NULL OR NOT (t0.note = ANY($5::text[]))))"
    )
    assert params.values == [
        ["a", "b", "c"],
        "%50\\%\\_off\\\\%",
        Decimal("1"),
        Decimal("2"),
        ["x"],
    ]


def test_the_text_does_not_vary_with_list_lengths() -> None:
    one, many = Params(), Params()
    a = compile_filter(THINGS, {"name": {"in": ["a"]}}, alias="t0", params=one)
    b = compile_filter(THINGS, {"name": {"in": list("abcdefgh")}}, alias="t0", params=many)
    assert a == b


def test_boolean_combinators_and_relations() -> None:
    params = Params()
    sql = compile_filter(
        THINGS,
        {
            "or": [{"name": {"eq": "a"}}, {"owner": {"name": {"starts_with": "Z"}}}],
            "not": {"and": []},
            "and": [],
        },
        alias="t0",
        params=params,
    )
    assert sql == (
        "(((t0.name = $1::text) OR (EXISTS (SELECT 1 FROM owners AS t1 WHERE "
        "t1.id = t0.owner_id AND t1.deleted_at IS NULL AND (t1.name ILIKE $2::text))))) "
        "AND (NOT coalesce((TRUE), false)) AND (TRUE)"
    )
    assert compile_filter(THINGS, {"or": []}, alias="t0", params=Params()) == "(FALSE)"


def test_unknown_fields_operators_and_absurd_depth_are_refused() -> None:
    with pytest.raises(FilterError, match="cannot be filtered by 'secret'"):
        compile_filter(THINGS, {"secret": {"eq": 1}}, alias="t0", params=Params())
    with pytest.raises(FilterError, match="does not apply"):
        compile_filter(THINGS, {"price": {"contains": "1"}}, alias="t0", params=Params())
    deep: dict[str, object] = {"name": {"eq": "x"}}
    for _ in range(40):
        deep = {"not": deep}
    with pytest.raises(FilterError, match="nest at most"):
        compile_filter(THINGS, deep, alias="t0", params=Params())


def test_filters_are_bounded_in_conditions_values_and_text() -> None:
    """Variables carry filters the token limit never sees: each is bounded on its own."""

    def compiled(spec: dict[str, object]) -> str:
        return compile_filter(THINGS, spec, alias="t0", params=Params())

    wide = [{"name": {"eq": f"n{i}"}} for i in range(MAX_FILTER_CONDITIONS - 1)]
    assert compiled({"or": wide}).count(" OR ") == MAX_FILTER_CONDITIONS - 2
    with pytest.raises(FilterError, match=f"at most {MAX_FILTER_CONDITIONS} conditions"):
        compiled({"or": [*wide, {"name": {"eq": "one more"}}]})
    # Each operator on a field counts.
    many_ops = {"name": {"eq": "a", "neq": "b", "starts_with": "c"}}
    with pytest.raises(FilterError, match="conditions"):
        compiled({"and": [many_ops] * (MAX_FILTER_CONDITIONS // 3 + 1)})
    values = [f"v{i}" for i in range(MAX_FILTER_VALUES)]
    assert "ANY" in compiled({"name": {"in": values}})
    with pytest.raises(FilterError, match=f"`nin` takes at most {MAX_FILTER_VALUES} values"):
        compiled({"name": {"nin": [*values, "x"]}})
    assert "ILIKE" in compiled({"name": {"contains": "x" * MAX_FILTER_TEXT}})
    with pytest.raises(FilterError, match=f"at most {MAX_FILTER_TEXT} characters"):
        compiled({"name": {"eq": "x" * (MAX_FILTER_TEXT + 1)}})
    with pytest.raises(FilterError, match="characters"):
        compiled({"name": {"in": ["short", "x" * (MAX_FILTER_TEXT + 1)]}})


def test_extra_arguments_are_numbered_first_in_root_and_after_parents_in_nested() -> None:
    rank = SortKey("rank({t}.doc, {a0})", float, descending=True)
    root = page_statement(
        spec(order=with_tiebreak([rank]), where=("{t}.doc @@ {a0}",), args=("q",))
    )
    assert "(t0.doc @@ $1)" in root.text
    assert "rank(t0.doc, $1) AS sort0" in root.text
    assert root.args == ["q", 21]
    nested = nested_page_statement(
        spec(where=("{t}.doc @@ {a0}",), args=("q",)), parent_key="owner_id"
    )
    assert nested.text.startswith(
        "SELECT parent.id, page.* FROM unnest($1::uuid[]) AS parent(id) CROSS JOIN LATERAL"
    )
    assert "(t0.doc @@ $2)" in nested.text
    assert "(t0.owner_id = parent.id)" in nested.text
    assert nested.args == [None, "q", 21]
    count = count_statement(spec(filter={"name": {"eq": "a"}}, where=("{t}.x = {a0}",), args=(1,)))
    assert count.text == (
        "SELECT count(*) FROM things AS t0 WHERE (t0.deleted_at IS NULL) AND (t0.x = $1) "
        "AND ((t0.name = $2::text))"
    )


def test_split_page_separates_probe_lookahead_and_sort_values() -> None:
    page_spec = spec(limit=2)
    records = [
        (UUID(int=1), "a", False),
        (UUID(int=2), "b", False),
        (UUID(int=3), "c", False),
        (UUID(int=0), "0", True),
    ]
    page = split_page(records, spec=page_spec)
    assert page.records == [(UUID(int=1), "a"), (UUID(int=2), "b")]
    assert page.sort_values == [("a", UUID(int=1)), ("b", UUID(int=2))]
    assert page.more_ahead
    assert page.any_behind
    last = split_page(records[:1], spec=page_spec)
    assert not last.more_ahead
    assert not last.any_behind


def test_sort_values_that_are_no_column_are_selected_after_the_columns() -> None:
    """An expression (here the name's length) is selected as `sortN` after the columns and
    read from there; the tie-break on id still comes off the row."""
    length = SortKey("length({t}.name)", int)
    page_spec = spec(order=with_tiebreak([length]), limit=1)
    assert "t0.id, t0.name, length(t0.name) AS sort0, false AS behind" in (
        page_statement(page_spec).text
    )
    page = split_page([(UUID(int=1), "ab", 2, False)], spec=page_spec)
    assert page.records == [(UUID(int=1), "ab")]
    assert page.sort_values == [(2, UUID(int=1))]


def test_a_spec_builds_each_statement_once_and_a_copy_builds_its_own() -> None:
    first = spec(filter={"name": {"eq": "lamp"}})
    page = built(first, page_statement)
    assert built(first, page_statement) is page
    assert built(first, count_statement) is built(first, count_statement)
    assert built(first, count_statement).text != page.text
    later = replace(first, limit=5)  # a page further on, or of another size
    assert built(later, page_statement) is not page
    assert built(later, page_statement).text == page_statement(later).text
