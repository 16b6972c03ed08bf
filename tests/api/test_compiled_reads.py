"""Compiled reads answer exactly as graphql-core does, byte for byte.

`engine.compiled` runs queries a level at a time from compiled plans and hands anything unusual
back to graphql-core. Its promise is that nobody can tell: the same status, the same data
in the same key order, the same errors, nulls, visibility and `extensions`. So two apps run
over the same database, one with `compiled_reads` on and one with it off, and every request
goes to both and must get identical responses.

The requests are generated from the schema (`tests.api.query_generator`): random selections
over the whole `Query` type with fragments, aliases, variables and `@include`/`@skip`, and
arguments drawn from real names, ids, cursors and values that must fail, each sent as staff,
as a customer who owns some of the rows and anonymously. A query answered without errors
must have been served by the compiled plan (the fallback is not allowed to hide in the
successes), and across the run most answers must come from compiled plans, so the test
cannot pass by always falling back.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette

from engine.http import GraphQLEndpoint
from engine.node_ids import to_global_id
from gql.schema import schema
from server.app import create_app
from server.settings import Settings
from sql.pool import Database
from tests import factories
from tests.api.conftest import StatementRecorder
from tests.api.query_generator import GeneratedQuery, queries
from tests.api.subtree_generator import subtree_queries
from tests.conftest import over_the_app, token

# --- the data -------------------------------------------------------------------------------
# Fixed ids, so the strategies below can name real rows before any row exists.

LIGHTING, DESKS, CHAIRS, GONE_CATEGORY = (UUID(int=0x1000 + n) for n in range(1, 5))
LAMP, DESK_LAMP, OAK_DESK, PINE_DESK, STOOL, ARMCHAIR, GONE_PRODUCT, RELIC = (
    UUID(int=0x2000 + n) for n in range(1, 9)
)
OWNER, OTHER, GONE_CUSTOMER = (UUID(int=0x3000 + n) for n in range(1, 4))
MY_PENDING, MY_SHIPPED, MY_GONE_ORDER, THEIR_PAID, THEIR_CANCELLED = (
    UUID(int=0x4000 + n) for n in range(1, 6)
)

CATEGORIES = {LIGHTING: "Lighting", DESKS: "Desks", CHAIRS: "Chairs", GONE_CATEGORY: "Attic"}
# id: (category, name, sku, price, stock, description)
PRODUCTS: dict[UUID, tuple[UUID, str, str, str, int, str | None]] = {
    LAMP: (LIGHTING, "Brass lamp", "LAMP-1", "24.90", 12, "A warm desk lamp"),
    DESK_LAMP: (LIGHTING, "Desk lamp", "LAMP-2", "49.00", 0, "Pre-order: ships in May"),
    OAK_DESK: (DESKS, "Oak desk", "DESK-OAK", "399.00", 3, "Solid oak, 140 cm"),
    PINE_DESK: (DESKS, "Pine desk", "DESK-PINE", "199.99", 7, None),
    STOOL: (CHAIRS, "Stool", "CHAIR-STOOL", "19.99", 40, "100% pine"),
    ARMCHAIR: (CHAIRS, "Armchair", "CHAIR-ARM", "649.50", 1, "Deep and soft"),
    GONE_PRODUCT: (CHAIRS, "Rocking chair", "CHAIR-ROCK", "120.00", 2, "No longer sold"),
    RELIC: (GONE_CATEGORY, "Dusty globe", "ATTIC-1", "5.00", 1, "From the attic"),
}
CUSTOMERS = {
    OWNER: ("Ada Lovelace", "ada@example.com"),
    OTHER: ("Grace Hopper", "grace@example.com"),
    GONE_CUSTOMER: ("Gone Person", "gone@example.com"),
}
# id: (customer, status, lines as (product, quantity))
ORDERS: dict[UUID, tuple[UUID, str, list[tuple[UUID, int]]]] = {
    MY_PENDING: (OWNER, "PENDING", [(LAMP, 2), (STOOL, 1)]),
    MY_SHIPPED: (OWNER, "SHIPPED", [(OAK_DESK, 1), (GONE_PRODUCT, 1), (LAMP, 3)]),
    MY_GONE_ORDER: (OWNER, "PAID", [(ARMCHAIR, 1)]),
    THEIR_PAID: (OTHER, "PAID", [(DESK_LAMP, 1), (PINE_DESK, 2)]),
    THEIR_CANCELLED: (OTHER, "CANCELLED", [(STOOL, 4)]),
}
LINES = {
    order_id: [UUID(int=0x5000 + 0x10 * index + position) for position in range(len(lines))]
    for index, (order_id, (_, _, lines)) in enumerate(ORDERS.items())
}
MY_LINE, THEIR_LINE = LINES[MY_PENDING][0], LINES[THEIR_PAID][0]

GLOBAL_IDS = [
    *(to_global_id("Category", id) for id in CATEGORIES),
    *(to_global_id("Product", id) for id in PRODUCTS),
    *(to_global_id("Customer", id) for id in CUSTOMERS),
    *(to_global_id("Order", id) for id in ORDERS),
    *(to_global_id("OrderLine", id) for lines in LINES.values() for id in lines),
    to_global_id("Customer", LAMP),  # a real row, under another type
    to_global_id("Product", OWNER),
    to_global_id("Order", UUID(int=0)),  # no such row
    to_global_id("Nope", OWNER),
    "",
    "not-an-id",
    "Tm9kZTo=",
]
STRINGS = [
    *CATEGORIES.values(),
    *(p[1] for p in PRODUCTS.values()),
    *(p[2] for p in PRODUCTS.values()),
    *(c[0] for c in CUSTOMERS.values()),
    *(c[1] for c in CUSTOMERS.values()),
    "ADA@EXAMPLE.COM",
    "lamp",
    "desk lamp",
    '"desk lamp" -brass',
    "",
    "%",
    "_",
    "\\",
    "pine",
    "é",
    "a\x00b",
    "c1:garbage",
    "Y1s=",
    "x" * 300,
    "Europe/Paris",  # time zones of groupBy
    "Australia/Lord_Howe",
]
# Real cursors of the seeded rows (default orderings), found by the fixture: drawn by index,
# so the strategies can exist before the rows do.
CURSORS: list[str] = []
DECIMALS = ["19.99", "0", "24.90", "100", "-1", "0.001", "399.00", "49", "1e3", "NaN", "abc"]
DATETIMES = [
    "2024-01-01T00:00:00Z",
    "2024-01-01T00:05:00+00:00",
    "2030-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "2023-12-31T23:59:59.5+00:00",
    "2024-06-01T12:00:00-07:00",
    "2024-01-01T00:00:00",
    "yesterday",
]


def _cursor(index: int) -> str:
    return CURSORS[index % len(CURSORS)] if CURSORS else "c1"


SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "ID": st.sampled_from(GLOBAL_IDS),
    "String": st.sampled_from(STRINGS) | st.integers(0, 31).map(_cursor),
    # Small pages mostly: 0 and negatives and pages over the largest one reach errors.
    "Int": st.sampled_from([1, 2, 0, 3, 1, 2, 5, 1, 2, 3, 20, -1, 100, 101, 1000, -2147483648]),
    "Decimal": st.sampled_from(DECIMALS),
    "DateTime": st.sampled_from(DATETIMES),
    "Boolean": st.booleans(),
}
QUERIES = queries(schema._schema, SCALARS)


async def seed(db: Database) -> None:
    """Categories (one soft-deleted), products over them (one soft-deleted, one without a
    description, one in the deleted category), customers (one soft-deleted) and orders of
    two customers in every status (one soft-deleted), with 1-3 lines each."""
    for id, name in CATEGORIES.items():
        await factories.category(db, name, id=id, description=f"All about {name.lower()}")
    for id, (category, name, sku, price, stock, description) in PRODUCTS.items():
        await factories.product(
            db, category, name, price=price, stock=stock, sku=sku, description=description, id=id
        )
    for id, (name, email) in CUSTOMERS.items():
        await factories.customer(db, name, email=email, id=id)
    for id, (customer, status, lines) in ORDERS.items():
        await factories.order(db, customer, lines, status=status, id=id)
        for position, line in enumerate(LINES[id], start=1):
            await db.execute(
                "UPDATE order_lines SET id = $1 WHERE order_id = $2 AND position = $3",
                line,
                id,
                position,
            )
    await factories.soft_delete(db, "categories", GONE_CATEGORY)
    await factories.soft_delete(db, "products", GONE_PRODUCT)
    await factories.soft_delete(db, "customers", GONE_CUSTOMER)
    await factories.soft_delete(db, "orders", MY_GONE_ORDER)


# --- two apps, one database ------------------------------------------------------------------

RENDERED = "WITH ORDINALITY AS p(k0"
"""What marks a statement of rendered subtrees (`sql.rendered.level_statement`)."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    abandoned: int  # compiled runs the compiled app handed to graphql-core for this request
    rendered: bool = False  # the compiled app read a subtree as JSON its database rendered

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Tally:
    """What answered the requests of a run: the compiled plan, graphql-core after the plan
    was abandoned, or graphql-core (or the checks before execution) alone."""

    compiled: int = 0
    fell_back: int = 0
    uncompiled: int = 0  # refused before execution (validation, variables, limits), or no plan
    rendered: int = 0  # answers with a subtree rendered by the database (`sql.rendered`)
    codes: Counter[str] = field(default_factory=Counter)  # error codes of the answers
    failed: bool = False


VIEWERS: dict[str, tuple[str, UUID | None] | None] = {
    "staff": ("staff", None),
    "customer": ("customer", OWNER),
    "anonymous": None,
}


@dataclass
class Pair:
    """The same database behind an app with compiled reads and one without."""

    compiled: httpx.AsyncClient
    plain: httpx.AsyncClient
    endpoint: GraphQLEndpoint  # the compiled app's, which counts what it abandons
    plain_endpoint: GraphQLEndpoint
    bearers: dict[str, str | None]
    recorder: StatementRecorder  # the compiled app's statements
    tally: Tally = field(default_factory=Tally)
    serial: itertools.count[int] = field(default_factory=itertools.count)

    async def send(
        self, body: dict[str, Any], *, viewer: str = "staff", accept: str | None = None
    ) -> Answer:
        """`body` to both apps (the compiled one first) as `viewer`; their answers must be
        identical, and the compiled app's is returned."""
        headers = {"X-Request-ID": f"differential-{next(self.serial)}"}
        if accept is not None:
            headers["Accept"] = accept
        bearer = self.bearers[viewer]
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        before = self.endpoint.abandoned
        self.recorder.clear()
        fast = await self.compiled.post("/graphql", json=body, headers=headers)
        abandoned = self.endpoint.abandoned - before
        slow = await self.plain.post("/graphql", json=body, headers=headers)
        assert self.plain_endpoint.abandoned == 0
        rendered = any(RENDERED in statement for statement in self.recorder.statements)
        compiled = Answer(
            fast.status_code, fast.headers["content-type"], fast.content, abandoned, rendered
        )
        plain = Answer(slow.status_code, slow.headers["content-type"], slow.content, 0)
        assert (compiled.status, compiled.content_type, compiled.body) == (
            plain.status,
            plain.content_type,
            plain.body,
        ), _difference(body, viewer, compiled, plain)
        return compiled


def _difference(body: dict[str, Any], viewer: str, compiled: Answer, plain: Answer) -> str:
    return (
        f"compiled and plain execution differ\n--- document\n{body.get('query')}\n"
        f"--- variables\n{json.dumps(body.get('variables'))}\n"
        f"--- operationName {body.get('operationName')!r}, viewer {viewer}\n"
        f"--- compiled ({compiled.status}, abandoned {compiled.abandoned})\n"
        f"{compiled.body.decode()}\n--- plain ({plain.status})\n{plain.body.decode()}"
    )


@contextlib.asynccontextmanager
async def _app(
    database_url: str,
    *,
    compiled: bool,
    connections: int,
    recorder: StatementRecorder | None = None,
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    settings = Settings(
        database_url=database_url,
        pool_min_size=1,
        pool_max_size=connections,
        compiled_reads=compiled,
    )
    app = create_app(settings, query_logger=recorder)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, http


@contextlib.asynccontextmanager
async def _pair(database_url: str, db: Database, *, connections: int) -> AsyncIterator[Pair]:
    await seed(db)
    recorder = StatementRecorder()
    async with (
        _app(database_url, compiled=True, connections=connections, recorder=recorder) as (
            fast_app,
            fast,
        ),
        _app(database_url, compiled=False, connections=connections) as (plain_app, plain),
    ):
        bearers = {
            name: None if viewer is None else token(*viewer) for name, viewer in VIEWERS.items()
        }
        yield Pair(fast, plain, fast_app.state.graphql, plain_app.state.graphql, bearers, recorder)


@pytest.fixture
async def pair(database_url: str, db: Database) -> AsyncIterator[Pair]:
    """The seeded data behind both apps, each with a pool of up to five connections: reads
    run side by side and end in any order, and the answers must not show it."""
    async with _pair(database_url, db, connections=5) as both:
        yield both


async def _find_cursors(pair: Pair) -> list[str]:
    """Cursors of every root connection, in its default ordering."""
    data = (
        await pair.send(
            {
                "query": "{ products { edges { cursor } } categories { edges { cursor } }"
                " customers { edges { cursor } } orders { edges { cursor } } }"
            }
        )
    ).json["data"]
    return [edge["cursor"] for connection in data.values() for edge in connection["edges"]]


# --- the property ----------------------------------------------------------------------------


def _body(generated: GeneratedQuery) -> dict[str, Any]:
    body: dict[str, Any] = {"query": generated.document}
    if generated.variables:
        body["variables"] = generated.variables
    if generated.operation_name is not None:
        body["operationName"] = generated.operation_name
    return body


@pytest.fixture
async def differential(pair: Pair) -> AsyncIterator[Pair]:
    """The pair for generated queries, with real cursors to draw from; after the run, the
    share of answers the compiled plans served must be substantial."""
    CURSORS[:] = await _find_cursors(pair)
    yield pair
    tally = pair.tally
    executed = tally.compiled + tally.fell_back
    print(
        f"\ncompiled reads: {tally.compiled} served compiled, {tally.fell_back} fell back, "
        f"{tally.uncompiled} answered without a compiled run; errors by code: {dict(tally.codes)}"
        f"; {tally.rendered} with subtrees the database rendered"
    )
    if not tally.failed:
        assert executed > 0
        assert tally.compiled >= 0.5 * executed, tally


@pytest.fixture
async def rendering(differential: Pair) -> AsyncIterator[Pair]:
    """`differential`, where a good share of the answers must have had the database render
    a subtree (`sql.rendered`)."""
    yield differential
    tally = differential.tally
    if not tally.failed:
        assert tally.rendered >= 0.12 * tally.compiled, tally


@over_the_app(200, seconds=10)
@given(
    generated=QUERIES,
    accept=st.sampled_from([None, "application/json", "application/graphql-response+json"]),
)
async def test_generated_queries_answer_identically(
    differential: Pair, generated: GeneratedQuery, accept: str | None
) -> None:
    """Each generated query, as each viewer, answers identically on both paths; an answer
    without errors came from the compiled plan; the only documents refused as invalid are
    those given a bad scalar literal on purpose (the generator makes valid documents)."""
    await _answers_identically(differential, generated, accept)


SUBTREES = subtree_queries([to_global_id("Order", id) for id in ORDERS])
"""Queries down orders, lines, products and categories with plain fields mostly: where the
database renders relations' subtrees."""


@over_the_app(100, seconds=10)
@given(generated=SUBTREES)
async def test_generated_subtrees_answer_identically(
    rendering: Pair, generated: GeneratedQuery
) -> None:
    """As above, over the relations the database renders: their answers (rendered, or read
    row by row when a subtree holds anything else) are graphql-core's, as every viewer."""
    await _answers_identically(rendering, generated, None)


async def _answers_identically(pair: Pair, generated: GeneratedQuery, accept: str | None) -> None:
    tally = pair.tally
    try:
        for viewer in VIEWERS:
            answer = await pair.send(_body(generated), viewer=viewer, accept=accept)
            errors = answer.json.get("errors", [])
            if not errors:
                assert answer.abandoned == 0, (generated, viewer, "served by graphql-core")
                tally.compiled += 1
                tally.rendered += answer.rendered
            elif answer.abandoned:
                tally.fell_back += 1
            else:
                tally.uncompiled += 1
            for error in errors:
                code = error["extensions"]["code"]
                tally.codes[code] += 1
                if code == "GRAPHQL_VALIDATION_FAILED":
                    assert error["message"].startswith("Expected value of type"), error
    except AssertionError:
        tally.failed = True
        raise


# --- examples --------------------------------------------------------------------------------

BENCHMARK = """
{ orders(first: 50) { edges { node { number status total customer { name email }
  lines { quantity unitPrice product { name price category { name } } } } } } }
"""


async def test_benchmark_query_is_served_compiled(pair: Pair) -> None:
    """The contract's nested benchmark query: identical as every viewer, and no fallback."""
    for viewer in VIEWERS:
        answer = await pair.send({"query": BENCHMARK}, viewer=viewer)
        assert answer.abandoned == 0
        assert "errors" not in answer.json
        assert answer.rendered == (viewer != "anonymous")  # anonymous sees no orders
    staff = (await pair.send({"query": BENCHMARK})).json["data"]["orders"]["edges"]
    assert len(staff) == 4  # the soft-deleted order is not listed
    mine = (await pair.send({"query": BENCHMARK}, viewer="customer")).json
    assert {e["node"]["customer"]["name"] for e in mine["data"]["orders"]["edges"]} == {
        "Ada Lovelace"
    }
    assert (await pair.send({"query": BENCHMARK}, viewer="anonymous")).json["data"] == {
        "orders": {"edges": []}
    }


NARROWED = """
{ orders(first: 5) { edges { node { number placedAt paidAt customer { name }
    lines { quantity product { name createdAt category { name createdAt } } } } } }
  products(first: 3) { nodes { name updatedAt category { name } } } }
"""


async def test_timestamps_asked_for_anywhere_are_read(pair: Pair) -> None:
    """Rows are read without the timestamps the query shows nowhere (`sql.rows.leavable`);
    those it asks for on any branch are there, identically on both paths and compiled."""
    for viewer in VIEWERS:
        answer = await pair.send({"query": NARROWED}, viewer=viewer)
        assert answer.abandoned == 0
        assert "errors" not in answer.json
    data = (await pair.send({"query": NARROWED})).json["data"]
    assert all(edge["node"]["placedAt"] for edge in data["orders"]["edges"])
    lines = [line for edge in data["orders"]["edges"] for line in edge["node"]["lines"]]
    assert lines
    assert all(line["product"]["createdAt"] for line in lines)
    assert all(line["product"]["category"]["createdAt"] for line in lines)
    assert all(product["updatedAt"] for product in data["products"]["nodes"])


async def test_an_abandoned_narrow_run_answers_from_whole_rows(pair: Pair) -> None:
    """A compiled run that read narrow rows and then failed: graphql-core answers the
    query (its own reads, whole rows) with the same data and error as the plain path."""
    document = (
        "{ a: orders(first: 3) { edges { node { number lines { product { name } } } } }"
        ' b: customerByEmail(email: "a\\u0000b") { name } }'
    )
    answer = await pair.send({"query": document})
    assert answer.abandoned == 1
    assert len(answer.json["data"]["a"]["edges"]) == 3
    assert answer.json["data"]["b"] is None
    assert answer.json["errors"][0]["path"] == ["b"]


AGGREGATES = """
{ orders(first: 1) { aggregate { count sum { total } avg { total } min { placedAt paidAt }
    ...Most } }
  customers { nodes { name orders(filter: {status: {neq: CANCELLED}}) {
    aggregate { count max { total shippedAt } } } } }
  categories { nodes { products { aggregate { count sum { stock price } avg { stock } } } } }
  products(search: "desk") { aggregate { n: count min { price } } } }
fragment Most on OrderAggregate { max { total } }
"""


async def test_aggregates_are_served_compiled(pair: Pair) -> None:
    """Root and nested aggregates, with fragments and aliases: identical as every viewer
    (a customer's figures are over their own orders), and no fallback."""
    answers = {}
    for viewer in VIEWERS:
        answer = await pair.send({"query": AGGREGATES}, viewer=viewer)
        assert answer.abandoned == 0
        assert "errors" not in answer.json
        answers[viewer] = answer.json["data"]
    assert answers["staff"]["orders"]["aggregate"]["count"] == 4
    assert answers["customer"]["orders"]["aggregate"]["count"] == 2
    assert answers["anonymous"]["orders"]["aggregate"]["count"] == 0
    assert answers["anonymous"]["products"]["aggregate"]["n"] == 4  # names and descriptions


GROUPS = """
{ orders { groupBy(by: [{field: STATUS}, {field: PLACED_AT, bucket: MONTH}],
                   timeZone: "Europe/Paris", orderBy: [{field: SUM_TOTAL, direction: DESC}],
                   having: {count: {gte: 1}}, first: 2) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { key { status placedAt customer { name } }
                          aggregate { count sum { total } min { paidAt } } } } } }
  customers { nodes { orders { groupBy(by: [{field: CUSTOMER}]) {
    nodes { key { customer { email } } aggregate { avg { total } }
            orders(first: 1) { totalCount nodes { number } } } } } } }
  products { groupBy(by: [{field: CATEGORY}], last: 2) {
    nodes { key { category { name } } ...Figures } } } }
fragment Figures on ProductGroup { aggregate { count max { price } } }
"""


async def test_groups_are_served_compiled(pair: Pair) -> None:
    """Groups with typed keys (an enum, a bucket in a time zone, nodes), root and nested:
    identical as every viewer, and no fallback; pages continue from their cursors."""
    for viewer in VIEWERS:
        answer = await pair.send({"query": GROUPS}, viewer=viewer)
        assert answer.abandoned == 0
        assert "errors" not in answer.json, answer.json
    staff = (await pair.send({"query": GROUPS})).json["data"]
    groups = staff["orders"]["groupBy"]
    assert groups["totalCount"] == 4  # one status each, all in one month
    following = GROUPS.replace(
        "first: 2)", f'first: 2, after: "{groups["pageInfo"]["endCursor"]}")'
    )
    answer = await pair.send({"query": following})
    assert answer.abandoned == 0
    assert len(answer.json["data"]["orders"]["groupBy"]["edges"]) == 2


async def test_boolean_variables_choose_the_plan(pair: Pair) -> None:
    """Plans are kept per value of the Boolean variables: the same document with `$b` true
    and then false has two shapes, and each is right."""
    document = BENCHMARK.replace("lines {", "lines @include(if: $b) {").replace(
        "{ orders", "query Q($b: Boolean!) { orders", 1
    )
    shapes = []
    for value in (True, False, True):
        answer = await pair.send({"query": document, "variables": {"b": value}})
        assert answer.abandoned == 0
        node = answer.json["data"]["orders"]["edges"][0]["node"]
        shapes.append("lines" in node)
    assert shapes == [True, False, True]


async def test_siblings_fail_beside_a_failing_non_null_field(pair: Pair) -> None:
    """A nullable root field and a non-null one both fail (a NUL character reaches the
    database): no data, and both errors in field order, on both paths."""
    document = (
        '{ a: customerByEmail(email: "a\\u0000b") { name }'
        ' products(search: "a\\u0000b") { nodes { name } } }'
    )
    answer = await pair.send({"query": document})
    assert answer.abandoned == 1
    assert answer.json["data"] is None
    assert [e["path"] for e in answer.json["errors"]] == [["a"], ["products"]]


LOADED_THEN_FAILING = (
    f'n: node(id: "{to_global_id("Product", LAMP)}") {{ ... on Product {{ category {{'
    ' products(filter: {name: {eq: "a\\u0000b"}}) { totalCount } } } }'
)
FAILING_AT_ONCE = 'b: customerByEmail(email: "a\\u0000b") { name }'
LOADED_PATH, FAILING_PATH = ["n", "category", "products", "totalCount"], ["b"]


@pytest.mark.parametrize("loaded_first", [True, False], ids=["loaded-first", "failing-first"])
async def test_sibling_errors_come_in_document_order(pair: Pair, loaded_first: bool) -> None:
    """Two nullable root fields fail side by side on five connections: one loads its node,
    then a page of it fails; the other fails on its first read. graphql-core lists errors
    as they happen, and the reads end in one order in a plain run and in another in the
    compiled path's fallback (which answers the plan's reads from memory); both paths list
    them in the order the fields are written, every time."""
    fields = [LOADED_THEN_FAILING, FAILING_AT_ONCE]
    paths = [LOADED_PATH, FAILING_PATH]
    if not loaded_first:
        fields.reverse()
        paths.reverse()
    for _ in range(20):
        answer = await pair.send({"query": "{ " + " ".join(fields) + " }"})
        assert answer.abandoned == 1
        assert [e["path"] for e in answer.json["errors"]] == paths
        assert list(answer.json["data"].values()) == [None, None]


async def test_a_failing_non_null_field_lists_its_siblings_errors(pair: Pair) -> None:
    """A non-null root connection whose count fails beside a nullable node whose nested page
    fails: no data, and both errors on both paths. The compiled run read the node and its
    category before it was abandoned, so graphql-core's rerun has them at once and its page
    fails before the count; a plain run met the count's failure first, cancelled the node's
    branch and listed one error. Siblings now all settle before a failure spreads."""
    document = f'{{ {LOADED_THEN_FAILING} p: products(search: "a\\u0000b") {{ totalCount }} }}'
    for _ in range(5):
        answer = await pair.send({"query": document})
        assert answer.abandoned == 1
        assert answer.json["data"] is None
        assert [e["path"] for e in answer.json["errors"]] == [LOADED_PATH, ["p", "totalCount"]]


TOO_MANY_IDS = json.dumps([to_global_id("Product", LAMP)] * 101)


@pytest.mark.parametrize(
    "failing",
    [
        "products(first: -1) { nodes { name } }",
        "products(first: 1000) { nodes { name } }",
        'products(after: "garbage") { nodes { name price } }',
        'products(first: 1, last: 1, before: "Y1s=") { totalCount }',
        f"nodes(ids: {TOO_MANY_IDS}) {{ id }}",
    ],
)
async def test_failing_resolvers_fall_back_with_identical_errors(pair: Pair, failing: str) -> None:
    """A resolver that raises abandons the compiled run; graphql-core's errors (messages,
    paths, codes) are what both paths answer."""
    document = f"{{ a: products(first: 1) {{ nodes {{ name }} }} b: {failing} }}"
    answer = await pair.send({"query": document})
    body = answer.json
    assert answer.abandoned == 1
    assert body["errors"][0]["path"] == ["b"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_nested_failure_keeps_partial_data(pair: Pair) -> None:
    """A failure deep inside a list: the same partial data and error path on both paths."""
    document = '{ categories(first: 2) { nodes { name products(after: "nope") { totalCount } } } }'
    answer = await pair.send({"query": document}, viewer="customer")
    assert answer.abandoned == 1
    assert answer.json["errors"][0]["path"] == ["categories", "nodes", 0, "products"]


@pytest.mark.parametrize(
    "document",
    [
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Order") { name fields { name } } products(first: 1) { nodes { name } } }',
    ],
)
async def test_introspection_is_not_compiled(pair: Pair, db: Database, document: str) -> None:
    """Introspection is graphql-core's: identical answers, no compiled plan and nothing
    abandoned. (Mutations: `test_compiled_mutations`.)"""
    before = await factories.fingerprint(db)
    answer = await pair.send({"query": document})
    assert answer.abandoned == 0
    assert "errors" not in answer.json
    prepared = pair.endpoint.documents.get(document)
    assert prepared.compiled is not None
    assert list(prepared.compiled.plans.values()) == [None]
    assert await factories.fingerprint(db) == before


NODES = """
query Q($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename
    ... on Order { number status customer { name } lines { id } }
    ... on OrderLine { quantity order { number } }
    ...Catalogue
    ... on Customer { email orders { totalCount } }
  }
  one: node(id: $one) { id ... { ...Catalogue } }
}
fragment Catalogue on Node {
  id ... on Product { name price category { name } } ... on Category { name }
}
""".replace("$ids: [ID!]!)", "$ids: [ID!]!, $one: ID!)")


@pytest.mark.parametrize("viewer", list(VIEWERS))
async def test_nodes_of_every_type_and_visibility(pair: Pair, viewer: str) -> None:
    """`node`/`nodes` with fragments on several types, ids of rows the viewer may not see
    among them: the same objects and the same nulls on both paths, served compiled."""
    ids = [
        (MY_PENDING, "Order"),
        (THEIR_PAID, "Order"),
        (MY_LINE, "OrderLine"),
        (THEIR_LINE, "OrderLine"),
        (OWNER, "Customer"),
        (OTHER, "Customer"),
        (LAMP, "Product"),
        (GONE_PRODUCT, "Product"),
        (GONE_CATEGORY, "Category"),
        (LIGHTING, "Category"),
    ]
    global_ids = [to_global_id(kind, id) for id, kind in ids] + ["garbage"]
    variables = {"ids": global_ids, "one": to_global_id("Order", THEIR_PAID)}
    answer = await pair.send({"query": NODES, "variables": variables}, viewer=viewer)
    assert answer.abandoned == 0
    data = answer.json["data"]
    visible = [node is not None for node in data["nodes"]]
    sees_all, sees_own = viewer == "staff", viewer == "customer"
    assert visible == [
        sees_all or sees_own,
        sees_all,
        sees_all or sees_own,
        sees_all,
        sees_all or sees_own,
        sees_all,
        True,
        False,
        False,
        True,
        False,
    ]
    assert (data["one"] is not None) == sees_all


async def test_a_fully_skipped_selection_is_an_empty_object(pair: Pair) -> None:
    """Selections whose every field is skipped: empty objects, one per object."""
    document = (
        "query Q($no: Boolean!) { products(first: 3) { nodes { name @include(if: $no) }"
        " edges { node { ... @skip(if: true) { name } } } } }"
    )
    answer = await pair.send({"query": document, "variables": {"no": False}})
    assert answer.json["data"] == {"products": {"nodes": [{}, {}, {}], "edges": [{"node": {}}] * 3}}
    assert answer.abandoned == 0


async def test_everything_skipped_at_the_root(pair: Pair) -> None:
    """Nothing left to run at the root: `data` is an empty object, from the plan too."""
    answer = await pair.send({"query": "{ __typename @skip(if: true) }"})
    assert answer.json["data"] == {}
    assert answer.abandoned == 0


async def test_a_null_condition_variable_is_an_error(pair: Pair) -> None:
    """`$b: Boolean = true` sent as null reaches `@include(if:)`, which takes no null: the
    plan cannot be made, and both paths answer with graphql-core's message as a client
    error (not a masked fault)."""
    document = "query Q($b: Boolean = true) { products(first: 1) @include(if: $b) { totalCount } }"
    answer = await pair.send({"query": document, "variables": {"b": None}})
    assert answer.status == 200
    assert answer.json["data"] is None
    (error,) = answer.json["errors"]
    assert error["locations"] == [{"line": 1, "column": 63}]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "'if'" in error["message"]
    assert "Boolean!" in error["message"]


async def test_prices_keep_their_decimals(pair: Pair) -> None:
    """Decimal and DateTime values serialize the same way on both paths."""
    document = "{ products(first: 10, orderBy: [{field: PRICE}]) { nodes { price createdAt } } }"
    answer = await pair.send({"query": document})
    prices = [Decimal(n["price"]) for n in answer.json["data"]["products"]["nodes"]]
    assert prices == sorted(prices)


@pytest.mark.parametrize(
    "document",
    [
        "{ categories(first: 100) { nodes { products(first: 100) { nodes { name } } } } }",
        "{ " + " ".join(f"a{n}: __typename" for n in range(31)) + " }",
        "{ orders(first: 1) { nodes { customer { orders(first: 1) { nodes { customer {"
        " orders(first: 1) { nodes { customer { orders(first: 1) { nodes { lines {"
        " quantity } } } } } } } } } } } } }",
    ],
)
async def test_limits_refuse_identically(pair: Pair, document: str) -> None:
    """Over a limit (cost, aliases, depth), both refuse before running anything, with the
    same error (and estimate, once the cost is known)."""
    answer = await pair.send({"query": document})
    assert answer.abandoned == 0
    assert answer.json["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_equal_arguments_written_apart_keep_their_own_cursors(pair: Pair) -> None:
    """Converted arguments are reused per plan, keyed so that values equal as numbers but
    written apart ("10" and "10.0") stay apart: a cursor carries a digest of the filter as
    written, and reusing the other spelling's conversion would refuse it on the next page."""
    document = """query($p: Decimal!, $after: String) {
      products(first: 1, after: $after, filter: {price: {gte: $p}}) {
        pageInfo { endCursor } nodes { name } } }"""
    for spelling in ("10", "10.0", "10"):
        first = await pair.send({"query": document, "variables": {"p": spelling}})
        cursor = first.json["data"]["products"]["pageInfo"]["endCursor"]
        variables = {"p": spelling, "after": cursor}
        following = await pair.send({"query": document, "variables": variables})
        assert "errors" not in following.json, following.json
        assert following.abandoned == 0
