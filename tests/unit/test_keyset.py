"""The keyset builder's SQL text: values only as parameters, directions and probes right."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from sql.keyset import ID_COLUMN, SortColumn, SortKey, keyset_page, split_page, with_tiebreak

NAME = SortColumn("name", str)
PRICE = SortColumn("price", Decimal)


def test_tiebreak_is_added_once() -> None:
    order = with_tiebreak([SortKey(NAME)])
    assert [k.column for k in order] == [NAME, ID_COLUMN]
    assert with_tiebreak(order) == order


def test_first_page_has_no_predicate_and_reads_one_extra_row() -> None:
    query = keyset_page(
        columns="id, name",
        source="products",
        where=["deleted_at IS NULL"],
        order=with_tiebreak([SortKey(NAME)]),
        after=None,
        backward=False,
        limit=20,
    )
    assert query.text == (
        "SELECT id, name, false AS behind FROM products WHERE (deleted_at IS NULL) "
        "ORDER BY name ASC, id ASC LIMIT $1"
    )
    assert query.args == [21]


def test_uniform_direction_uses_a_row_comparison_and_probes_behind() -> None:
    values = ("Atlas", UUID(int=7))
    query = keyset_page(
        columns="id",
        source="products",
        order=with_tiebreak([SortKey(NAME)]),
        after=values,
        backward=False,
        limit=5,
    )
    assert "(name, id) > ($1, $2)" in query.text
    assert "NOT ((name, id) > ($1, $2))" in query.text
    assert "ORDER BY name DESC, id DESC LIMIT 1" in query.text
    assert query.args == ["Atlas", UUID(int=7), 6]
    assert "Atlas" not in query.text


def test_backward_pages_flip_the_comparison_and_the_order() -> None:
    query = keyset_page(
        columns="id",
        source="products",
        order=with_tiebreak([SortKey(NAME, descending=True)]),
        after=("x", UUID(int=1)),
        backward=True,
        limit=5,
    )
    # Descending read backward: rows greater than the cursor, nearest first.
    assert query.text.startswith("(SELECT id, false AS behind FROM products WHERE ((name, id) > ")
    assert "ORDER BY name ASC, id ASC LIMIT $3" in query.text


def test_mixed_directions_expand_to_alternatives() -> None:
    query = keyset_page(
        columns="id",
        source="products",
        order=(SortKey(PRICE, descending=True), SortKey(ID_COLUMN)),
        after=(Decimal("9.50"), UUID(int=3)),
        backward=False,
        limit=1,
    )
    assert "(price < $1) OR (price = $2 AND id > $3)" in query.text
    assert query.args[:3] == [Decimal("9.50"), Decimal("9.50"), UUID(int=3)]


def test_split_page_separates_probe_and_lookahead() -> None:
    records = [(1, False), (2, False), (3, False), (0, True)]
    page = split_page(records, limit=2)
    assert page.records == [(1,), (2,)]
    assert page.more_ahead
    assert page.any_behind
    last = split_page([(1, False)], limit=2)
    assert last.records == [(1,)]
    assert not last.more_ahead
    assert not last.any_behind
