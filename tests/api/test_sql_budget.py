"""The number of statements a request runs depends on its shape, never on page sizes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient, StatementRecorder, staff_client

BENCHMARK = """query($n: Int) { orders(first: $n) { edges { node { number status total
  customer { name email }
  lines { quantity unitPrice product { name price category { name } } } } } } }"""

NESTED = """{ customers(first: 50) { nodes {
  orders(first: 5) { nodes { lines { product { name } } } } } } }"""


@pytest.fixture(params=[True, False], ids=["compiled", "graphql-core"])
async def client(
    request: pytest.FixtureRequest, database_url: str, db: object, recorder: StatementRecorder
) -> AsyncIterator[GraphQLClient]:
    """Both ways of executing keep the budget: compiled plans, and graphql-core (which
    answers whatever a plan cannot, and everything when compiled reads are off)."""
    async with staff_client(database_url, recorder, compiled_reads=request.param) as staff:
        yield staff


@pytest.fixture
async def store(db: Database) -> None:
    """120 orders of 3 lines over 30 customers, 12 products, 4 categories."""
    categories = [await factories.category(db) for _ in range(4)]
    products = [await factories.product(db, categories[i % 4]) for i in range(12)]
    customers = [await factories.customer(db) for _ in range(30)]
    for i in range(120):
        lines = [(products[(i + k) % 12], 1 + k) for k in range(3)]
        await factories.order(db, customers[i % 30], lines)


@dataclass(frozen=True)
class Budget:
    """The app over the store, with the statements each request runs."""

    client: GraphQLClient
    recorder: StatementRecorder

    async def run(self, query: str, variables: dict[str, Any] | None = None) -> tuple[Any, int]:
        """The answer's data, and how many statements it took (each is in the recorder)."""
        self.recorder.clear()
        data = await self.client.data(query, variables)
        return data, len(self.recorder.statements)


@pytest.fixture
def budget(client: GraphQLClient, recorder: StatementRecorder, store: None) -> Budget:
    return Budget(client, recorder)


@pytest.mark.parametrize("n", [1, 50, 100])
async def test_benchmark_query_runs_in_five_statements(budget: Budget, n: int) -> None:
    data, statements = await budget.run(BENCHMARK, {"n": n})
    edges = data["orders"]["edges"]
    assert len(edges) == n
    assert all(len(edge["node"]["lines"]) == 3 for edge in edges)
    assert statements <= 5, budget.recorder.statements


@pytest.mark.parametrize("n", [1, 50])
async def test_compiled_the_benchmark_query_runs_in_two_statements(
    database_url: str, recorder: StatementRecorder, store: None, n: int
) -> None:
    """The page of orders, then one statement in which the database renders every order's
    customer and lines with their products and categories (`sql.rendered`); the nested
    page's lines likewise, after the customers and their orders."""
    async with staff_client(database_url, recorder, compiled_reads=True) as staff:
        budget = Budget(staff, recorder)
        data, statements = await budget.run(BENCHMARK, {"n": n})
        assert len(data["orders"]["edges"]) == n
        assert statements == 2, budget.recorder.statements
        data, statements = await budget.run(NESTED)
        assert len(data["customers"]["nodes"]) == 30
        assert statements == 3, budget.recorder.statements


SHARED = [
    # Aliases over overlapping pages: the loaders read each customer once.
    """{ a: orders(first: 3) { nodes { customer { name } } }
         b: orders(first: 2) { nodes { customer { name } } } }""",
    """{ a: orders { nodes { customer { name } } } b: orders { nodes { customer { email } } } }""",
    # Orders read again under their lines.
    "{ orders { nodes { number lines { order { number } } } } }",
    # Customers read by a page and under orders.
    "{ customers(first: 5) { nodes { name } } orders { nodes { customer { name } } } }",
]
RENDERING = "WITH ORDINALITY AS p(k0"  # the text of `sql.rendered.level_statement`


@pytest.mark.parametrize("query", SHARED)
async def test_rows_read_by_other_fields_are_left_to_the_loaders(
    database_url: str, recorder: StatementRecorder, store: None, query: str
) -> None:
    """Where the loaders would read rows once for several fields, the plan reads them so
    rather than render them once per level (`engine.compiled.rendering.settle`). How many
    statements the loaders take depends on which reads meet in one batch, so what is
    checked is that nothing is rendered."""
    async with staff_client(database_url, recorder, compiled_reads=True) as staff:
        budget = Budget(staff, recorder)
        await budget.run(query)
    assert recorder.statements
    assert not [s for s in recorder.statements if RENDERING in s], recorder.statements


async def test_rendering_takes_no_more_statements_than_the_loaders(
    database_url: str, recorder: StatementRecorder, store: None
) -> None:
    query = "{ orders(first: 5) { nodes { customer { name } } } }"
    counts = []
    for compiled in (True, False):
        async with staff_client(database_url, recorder, compiled_reads=compiled) as staff:
            budget = Budget(staff, recorder)
            counts.append((await budget.run(query))[1])
            rendered = [s for s in recorder.statements if RENDERING in s]
            assert len(rendered) == (1 if compiled else 0), recorder.statements
    assert counts == [2, 2]


async def test_nested_connections_run_in_four_statements(budget: Budget) -> None:
    data, statements = await budget.run(NESTED)
    customers = data["customers"]["nodes"]
    assert len(customers) == 30
    assert all(len(c["orders"]["nodes"]) == 4 for c in customers)
    assert statements <= 4, budget.recorder.statements


async def test_counts_and_stats_are_batched(budget: Budget) -> None:
    data, statements = await budget.run(
        """{ customers(first: 30) { totalCount nodes { orderCount totalSpent
             orders(first: 2) { totalCount } } }
           categories { nodes { productCount products(first: 2) { totalCount } } } }"""
    )
    assert data["customers"]["totalCount"] == 30
    assert {c["orderCount"] for c in data["customers"]["nodes"]} == {4}
    assert {c["orders"]["totalCount"] for c in data["customers"]["nodes"]} == {4}
    assert {c["productCount"] for c in data["categories"]["nodes"]} == {3}
    # customers page, its count, stats, nested orders, nested order counts; categories
    # page, product counts, nested products, nested product counts.
    assert statements <= 9, budget.recorder.statements


@pytest.mark.parametrize("n", [1, 30])
async def test_aggregates_take_one_statement_each_for_every_parent(budget: Budget, n: int) -> None:
    data, statements = await budget.run(
        """query($n: Int) { orders(first: 1) { aggregate { count sum { total } max { placedAt } } }
             customers(first: $n) { nodes {
               orders(first: 2) { aggregate { count sum { total } avg { total } } }
               paid: orders(filter: {status: {eq: PAID}}) { aggregate { count } } } } }""",
        {"n": n},
    )
    assert data["orders"]["aggregate"]["count"] == 120
    customers = data["customers"]["nodes"]
    assert len(customers) == n
    assert {c["orders"]["aggregate"]["count"] for c in customers} == {4}
    # orders' aggregate; customers page; each nested aggregate, one statement for every
    # customer. No page of orders is read: none is shown.
    assert statements == 4, budget.recorder.statements


@pytest.mark.parametrize("n", [1, 30])
async def test_groups_take_one_statement_each_for_every_parent(budget: Budget, n: int) -> None:
    data, statements = await budget.run(
        """query($n: Int) {
             orders { groupBy(by: [{field: CUSTOMER}, {field: PLACED_AT, bucket: YEAR}],
                              first: 50) {
               nodes { key { customer { name } placedAt } aggregate { count sum { total } } } } }
             customers(first: $n) { nodes {
               orders { groupBy(by: [{field: STATUS}], orderBy: [{field: SUM_TOTAL}]) {
                 totalCount edges { cursor node {
                   key { status } aggregate { max { total } } } } } } } }
             categories { nodes { products { groupBy(by: [{field: CATEGORY}]) {
               nodes { key { category { name } } aggregate { count } } } } } } }""",
        {"n": n},
    )
    assert len(data["orders"]["groupBy"]["nodes"]) == 30  # one year, each customer
    customers = data["customers"]["nodes"]
    assert len(customers) == n
    assert {c["orders"]["groupBy"]["totalCount"] for c in customers} == {1}
    # orders' groups and their customers; customers page, the nested groups and their
    # count; categories page, the nested groups and their categories. No page of orders or
    # products is read: none is shown.
    assert statements == 8, "\n".join(s[:150] for s in budget.recorder.statements)


async def test_a_connection_reads_its_page_only_when_it_shows_it(
    budget: Budget, request: pytest.FixtureRequest
) -> None:
    # Compiled, a page whose nodes the database renders is read with its count.
    rendered = request.node.callspec.id == "compiled"
    # (a query, its statements: the page when shown, the count when asked)
    for query, expected in [
        ("{ orders(first: 5) { totalCount } }", 1),
        ("{ orders(first: 5) { totalCount nodes { number } } }", 1 if rendered else 2),
        ("{ orders(first: 5) { totalCount nodes { number status } } }", 2),
        ("{ orders(first: 5) { ... on OrderConnection { pageInfo { hasNextPage } } } }", 1),
        ("{ orders { ...Page } } fragment Page on OrderConnection { edges { cursor } }", 1),
        ("{ orders(first: 5) { __typename } }", 0),
        ("{ orders(first: 5) { aggregate { count } } }", 1),
    ]:
        _, statements = await budget.run(query)
        assert statements == expected, (query, budget.recorder.statements)
    body = await budget.client.query("{ orders(first: 500) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # checked all the same


async def test_rows_of_every_group_take_one_statement(budget: Budget) -> None:
    data, statements = await budget.run(
        """{ orders { groupBy(by: [{field: CUSTOMER}], first: 30) {
             nodes { orders(first: 2) { nodes { number } } } } }
           customers(first: 30) { nodes { orders { groupBy(by: [{field: STATUS}]) {
             nodes { orders(first: 1) { totalCount nodes { total } } } } } } } }"""
    )
    assert {len(g["orders"]["nodes"]) for g in data["orders"]["groupBy"]["nodes"]} == {2}
    # orders' groups and their rows; customers page, their groups and the groups' rows
    assert statements == 5, budget.recorder.statements


@pytest.fixture
async def compiled_budget(
    database_url: str, db: object, recorder: StatementRecorder, store: None
) -> AsyncIterator[Budget]:
    """Compiled plans only: their reads go through the request's read-once memo."""
    async with staff_client(database_url, recorder, compiled_reads=True) as staff:
        yield Budget(staff, recorder)


def _aliased(field: str, times: int, variables: str = "") -> str:
    return f"query{variables} {{ " + " ".join(f"a{i}: {field}" for i in range(times)) + " }"


@pytest.mark.parametrize(
    ("field", "variables"),
    [
        ("products(first: 2) { nodes { name } }", ""),
        ("products(filter: $f) { totalCount }", "($f: ProductFilter)"),
    ],
    ids=["pages", "counts"],
)
async def test_identical_fields_share_their_statements(
    compiled_budget: Budget, field: str, variables: str
) -> None:
    """Nineteen aliases of one page, or one filter variable of 20 terms in thirty counts,
    cost the statements of one."""
    f = {"or": [{"name": {"contains": f"Product {n}"}} for n in range(20)]}
    given = {"f": f} if variables else None
    one, alone = await compiled_budget.run(_aliased(field, 1, variables), given)
    many, statements = await compiled_budget.run(_aliased(field, 30, variables), given)
    assert alone >= 1
    assert statements == alone, compiled_budget.recorder.statements
    assert set(many) == {f"a{i}" for i in range(30)}
    assert all(answer == one["a0"] for answer in many.values())
    assert one["a0"] not in ({"totalCount": 0}, {"nodes": []})


async def test_fields_that_differ_keep_their_own_statements(compiled_budget: Budget) -> None:
    _, alone = await compiled_budget.run("{ products(first: 1) { nodes { name } } }")
    data, statements = await compiled_budget.run(
        "{ a: products(first: 1) { nodes { name } } b: products(first: 2) { nodes { name } }"
        ' c: products(first: 1, filter: {name: {contains: "Product"}}) { nodes { name } } }'
    )
    assert statements == 3 * alone
    assert [len(data[k]["nodes"]) for k in "abc"] == [1, 2, 1]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # One page and its count, whatever each alias shows of the page.
        (
            "{ products(first: 2) { nodes { id } } x: products(first: 2) { nodes { name } }"
            " y: products(first: 2) { totalCount } }",
            2,
        ),
        (
            "{ a: products(first: 2) { nodes { name } }"
            " b: products(first: 2) { nodes { name sku } } }",
            1,
        ),
    ],
    ids=["page-and-count", "page"],
)
async def test_aliases_of_one_page_share_its_statements(
    compiled_budget: Budget, query: str, expected: int
) -> None:
    """A connection called under several aliases is read as rows, which its calls share,
    rather than rendered once per call (`engine.compiled.pages`)."""
    data, statements = await compiled_budget.run(query)
    assert len(next(iter(data.values()))["nodes"]) == 2
    assert statements == expected, compiled_budget.recorder.statements
