"""Root connection pages whose nodes PostgreSQL renders (`sql.rendered_pages`) answer
byte for byte as graphql-core does.

Generated queries over every root connection: nodes made of columns and global ids (then
rendered) or with a field that is not (then read row by row), aliases, `__typename`,
`totalCount`, any part of `pageInfo`, every sort field in both directions, filters (on
text, numeric ranges and related rows; with `totalCount`, which repeats the filter and
the owner scope), forward and backward pages of every size up to the largest, and after
each page the next one from its cursor (so pages at the end and empty pages come up). The
rows hold awkward strings: quotes, backslashes, control characters, non-ASCII, emoji, line
separators, nulls and equal sort values. Both apps of `test_compiled_reads` answer each as
every viewer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gql.schema import schema
from sql.pool import Database
from tests import factories
from tests.api.test_compiled_reads import CUSTOMERS, DESKS, PRODUCTS, VIEWERS, Pair, _pair
from tests.conftest import over_the_app

AWKWARD = [
    'say "hi"',
    "back\\slash \\n not a newline",
    "tab\there",
    "line\nbreak\r\n",
    "bell\x07 unit\x1f escape\x1b delete\x7f",
    "ünïcødé — “quoted” ½",
    "emoji 🛋️ 👍🏽 family 👨‍👩‍👧",
    "separators \u2028 and \u2029",
    "</script><!--",
    "it's",
    " ",
]

# By root connection: fields the database renders, fields it does not, and sort fields.
RENDERED = {
    "products": ["id", "sku", "name", "description", "price", "stock", "rev", "__typename"],
    "categories": ["id", "name", "description", "rev", "__typename"],
    "customers": ["id", "name", "email", "rev", "__typename"],
    "orders": ["id", "number", "total", "rev", "__typename"],
    "reviews": ["id", "rating", "title", "body", "rev", "__typename"],
}
OTHERS = {
    "products": ["createdAt", "category { name }"],
    "categories": ["productCount", "createdAt"],
    "customers": ["orderCount"],
    "orders": ["status", "placedAt"],
    "reviews": ["createdAt", "product { name }"],
}
SORTS = {
    name: list(schema._schema.get_type(f"{kind}SortField").values)  # type: ignore[union-attr]
    for name, kind in [
        ("products", "Product"),
        ("categories", "Category"),
        ("customers", "Customer"),
        ("orders", "Order"),
        ("reviews", "Review"),
    ]
}
# By root connection: filters on text, numeric ranges and related rows.
FILTERS = {
    "products": [
        '{name: {contains: "desk"}}',
        '{description: {contains: "a"}}',
        '{price: {gte: "19.99", lte: "400"}}',
        "{stock: {gt: 0, lt: 10}}",
        '{category: {name: {eq: "Desks"}}}',
        '{or: [{sku: {startsWith: "ODD"}}, {category: {name: {neq: "Lighting"}}}]}',
    ],
    "categories": ['{name: {contains: "s"}}', '{not: {name: {eq: "Desks"}}}'],
    "customers": [
        '{email: {endsWith: "@example.com"}}',
        '{name: {contains: "a"}}',
        "{hasOrders: {status: {in: [PAID, SHIPPED]}}}",
    ],
    "orders": [
        "{number: {gte: 2, lte: 4}}",
        '{total: {gt: "50"}}',
        '{customer: {name: {contains: "Ada"}}}',
        "{status: {neq: CANCELLED}}",
    ],
    "reviews": [
        "{rating: {gte: 2, lte: 4}}",
        '{title: {contains: "e"}}',
        '{product: {category: {name: {eq: "Desks"}}}}',
        '{product: {price: {lt: "100"}}, rating: {gt: 1}}',
    ],
}
PAGE_INFO = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"]
MARK = "WITH p AS MATERIALIZED ("
"""What marks a rendered page's statement."""


@dataclass(frozen=True)
class PageQuery:
    """A page's document with `{cursor}` where its cursor argument goes."""

    template: str
    ends: str
    """The same page's `pageInfo`, under the alias `ends`."""
    backward: bool

    def document(self, cursor: str | None, *, ends: bool = False) -> str:
        argument = "" if cursor is None else f", {'before' if self.backward else 'after'}: "
        return (self.ends if ends else self.template).replace(
            "{cursor}", argument + ("" if cursor is None else json.dumps(cursor))
        )


@st.composite
def page_queries(draw: st.DrawFn) -> PageQuery:
    connection = draw(st.sampled_from(sorted(RENDERED)))
    backward = draw(st.booleans())
    size = draw(st.sampled_from([0, 1, 2, 3, 5, 100]))
    arguments = f"{'last' if backward else 'first'}: {size}"
    if draw(st.integers(0, 3)):
        steps = draw(st.lists(st.sampled_from(SORTS[connection]), min_size=1, max_size=2))
        orders = [
            f"{{field: {s}, direction: {draw(st.sampled_from(['ASC', 'DESC']))}}}" for s in steps
        ]
        arguments += f", orderBy: [{', '.join(orders)}]"
    if connection == "products" and draw(st.integers(0, 5)) == 0:
        arguments += ', search: "desk"'
    if draw(st.integers(0, 4)) == 0:
        arguments += ", includeDeleted: true"
    filtered = draw(st.booleans())
    if filtered:
        arguments += f", filter: {draw(st.sampled_from(FILTERS[connection]))}"
    fields = draw(st.lists(st.sampled_from(RENDERED[connection]), min_size=1, max_size=6))
    if draw(st.integers(0, 4)) == 0:
        fields.append(draw(st.sampled_from(OTHERS[connection])))
    shown = " ".join(
        f"a{i}: {f}" if draw(st.integers(0, 5)) == 0 and " " not in f else f
        for i, f in enumerate(fields)
    )
    parts = [f"nodes {{ {shown} }}"]
    if filtered or draw(st.booleans()):
        parts.append("totalCount")
    if draw(st.integers(0, 5)) == 0:
        parts.append("__typename")
    info = draw(st.lists(st.sampled_from(PAGE_INFO), unique=True))
    if info:
        parts.append(f"pageInfo {{ {' '.join(info)} }}")
    parts = draw(st.permutations(parts))
    template = f"{{ {connection}({arguments}{{cursor}}) {{ {' '.join(parts)} }} }}"
    # The page info of the same page, for its cursors: a request of its own (a connection
    # called twice in one selection is read as rows, not rendered).
    every = " ".join(PAGE_INFO)
    ends = f"{{ ends: {connection}({arguments}{{cursor}}) {{ pageInfo {{ {every} }} }} }}"
    return PageQuery(template, ends, backward)


async def seed_awkward(db: Database) -> None:
    """Rows with awkward strings everywhere a rendered page shows text (reviews of the
    seeded products too), and prices and ratings that tie (the id breaks ties)."""
    awkward = await factories.category(db, 'Odd \u2018things\u2019 \\ "', description="\x01\x02 ✓")
    for n, text in enumerate(AWKWARD):
        await factories.product(
            db,
            awkward if n % 2 else DESKS,
            text,
            price="19.99" if n % 3 else "1000.00",
            stock=n,
            sku=f"ODD-{n}",
            description=None if n % 4 == 0 else text[::-1],
        )
        customer = await factories.customer(db, text, email=f"odd{n}@example.com")
        product = list(PRODUCTS)[n % len(PRODUCTS)]
        await factories.review(
            db, product, customer, rating=1 + n % 5, title=text, body=None if n % 3 else text
        )
    for n, customer in enumerate(CUSTOMERS):  # reviews by the customer viewer and others
        await factories.review(db, list(PRODUCTS)[n], customer, rating=5 - n, title=f"Mine {n}")


@pytest.fixture
async def pages(database_url: str, db: Database) -> AsyncIterator[Pair]:
    async with _pair(database_url, db, connections=5) as both:
        await seed_awkward(db)
        yield both
        tally = both.tally
        print(f"\nrendered pages: {tally.rendered} rendered of {tally.compiled} served compiled")
        if not tally.failed:
            assert tally.rendered >= 0.3 * tally.compiled, tally


async def _send(pages: Pair, document: str, viewer: str, *, tallied: bool = True) -> dict[str, Any]:
    """`tallied`: a page that may be rendered (not one that shows no nodes)."""
    pages.recorder.clear()
    answer = await pages.send({"query": document}, viewer=viewer)
    body: dict[str, Any] = answer.json
    if "errors" not in body:
        assert answer.abandoned == 0, (document, viewer, "served by graphql-core")
        if not tallied:
            return body
        pages.tally.compiled += 1
        pages.tally.rendered += any(MARK in s for s in pages.recorder.statements)
    return body


@over_the_app(150, seconds=10)
@given(query=page_queries())
async def test_generated_pages_answer_identically(pages: Pair, query: PageQuery) -> None:
    """Each page and the page after it, as every viewer: identical answers, and an answer
    without errors comes from the compiled plan."""
    try:
        for viewer in VIEWERS:
            await _send(pages, query.document(None), viewer)
            body = await _send(pages, query.document(None, ends=True), viewer, tallied=False)
            ends = (body.get("data") or {}).get("ends")
            if ends is None:
                continue
            info = ends["pageInfo"]
            cursor = info["startCursor"] if query.backward else info["endCursor"]
            if cursor is not None:
                await _send(pages, query.document(cursor), viewer)
    except AssertionError:
        pages.tally.failed = True
        raise


async def test_the_benchmark_page_is_one_statement(pages: Pair) -> None:
    """Q3's page with its count: one statement, rendered, and the same answer."""
    document = (
        '{ products(first: 100, filter: {price: {gte: "10", lte: "500"}, category: {name: '
        '{eq: "Desks"}}}, orderBy: [{field: PRICE, direction: DESC}]) { totalCount nodes { id '
        "name price stock } pageInfo { hasNextPage endCursor } } }"
    )
    body = await _send(pages, document, "staff")
    assert len(pages.recorder.statements) == 1, pages.recorder.statements
    assert MARK in pages.recorder.statements[0]
    products = body["data"]["products"]
    assert products["totalCount"] == len(products["nodes"]) > 2
    assert [n["price"] for n in products["nodes"]] == sorted(
        (n["price"] for n in products["nodes"]), key=float, reverse=True
    )
