"""Who sees what: the role matrix over every entry point to customer-owned rows.

Customer A's rows (their customer record, their orders, their order lines) are probed
through every way the schema reaches them. For a viewer who may not see them — anonymous,
or customer B — each probe must answer exactly as it answers for an id that never existed:
no existence leaks. For a viewer who may (A, staff), the same probe must answer otherwise,
which proves the probe really reaches the row. The catalogue is the same for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient


def gid(type_name: str, id: UUID) -> str:
    return to_global_id(type_name, id)


@dataclass(frozen=True, slots=True)
class World:
    books: UUID
    atlas: UUID
    chess: UUID
    ann: UUID  # customer A: the owner of every probed row
    bob: UUID  # customer B
    ann_paid: UUID
    ann_pending: UUID
    bob_paid: UUID
    ann_paid_number: int
    ann_lines: tuple[UUID, ...]

    def customer(self, name: str) -> UUID:
        return {"ann": self.ann, "bob": self.bob}[name]


ANN_EMAIL = "ann@example.com"


@pytest.fixture
def client(module_client: GraphQLClient) -> GraphQLClient:
    return module_client


async def build_world(db: Database) -> World:
    books = await factories.category(db, "Books", description="Paper and ink")
    atlas = await factories.product(db, books, "Atlas", price="25.50", stock=5, sku="ATLAS-1")
    chess = await factories.product(db, books, "Chess", price="12.00", stock=9)
    ann = await factories.customer(db, "Ann", email=ANN_EMAIL)
    bob = await factories.customer(db, "Bob", email="bob@example.com")
    ann_paid = await factories.order(db, ann, [(atlas, 2), (chess, 1)], status="PAID")
    ann_pending = await factories.order(db, ann, [(chess, 3)])
    bob_paid = await factories.order(db, bob, [(atlas, 1)], status="PAID")
    number: int = await db.fetchval("SELECT number FROM orders WHERE id = $1", ann_paid)
    lines = await factories.line_ids(db, ann_paid)
    return World(
        books, atlas, chess, ann, bob, ann_paid, ann_pending, bob_paid, number, tuple(lines)
    )


WORLD = factories.Reused(build_world)


@pytest.fixture
async def world(pool: Database) -> World:
    """The tests here only read, so the world is built once and reused (see Reused)."""
    return await WORLD.get(pool)


# -- the probes ----------------------------------------------------------------------------
#
# Each probe reaches one of A's rows through one entry point. `$target` is the probed key —
# a global id, an email or an order number; `$own` is the viewer's own customer id (A's for
# viewers who have none), and `$bob` is B's id.


@dataclass(frozen=True, slots=True)
class Probe:
    kind: str  # which key $target is: customer, email, order, number, line
    query: str


CUSTOMER_FIELDS = "id email name orderCount totalSpent orders { totalCount nodes { id } }"
ORDER_FIELDS = "id number status total customer { id orderCount } lines { id order { id } }"
# Cursors are left out where `$target` is in a filter: a cursor is bound to its filter.
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage }"
PAGE = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor }"


def filtered(
    root: str,
    filter: str,
    key: str = "ID",
    *,
    nodes: str = "id",
    more: str = "",
    page: bool = False,
) -> str:
    """A probe through a root list's filter on `$target` (of GraphQL type `key`)."""
    shown = f"totalCount nodes {{ {nodes} }}" + (f" {PAGE_INFO}" if page else "")
    return f"query($target: {key}!) {{ {root}(filter: {{{filter}}}{more}) {{ {shown} }} }}"


PROBES: dict[str, Probe] = {
    # Customer
    "customer(id)": Probe(
        "customer", f"query($target: ID!) {{ customer(id: $target) {{ {CUSTOMER_FIELDS} }} }}"
    ),
    "customerByEmail": Probe(
        "email",
        f"query($target: String!) {{ customerByEmail(email: $target) {{ {CUSTOMER_FIELDS} }} }}",
    ),
    "node(Customer)": Probe(
        "customer",
        f"""query($target: ID!) {{ node(id: $target) {{
              id ... on Customer {{ {CUSTOMER_FIELDS} }} }} }}""",
    ),
    "nodes(Customer)": Probe(
        "customer",
        "query($target: ID!, $own: ID!) { nodes(ids: [$target, $own, $target]) { id } }",
    ),
    "customers(id eq)": Probe(
        "customer", filtered("customers", "id: {eq: $target}", nodes=CUSTOMER_FIELDS, page=True)
    ),
    "customers(id in)": Probe(
        "customer",
        """query($target: ID!, $bob: ID!) { customers(filter: {id: {in: [$target, $bob]}}) {
              totalCount nodes { id } } }""",
    ),
    "customers(id neq)": Probe(
        "customer", filtered("customers", "id: {neq: $target}", more=", first: 1", page=True)
    ),
    "customers(email eq)": Probe("email", filtered("customers", "email: {eq: $target}", "String")),
    "customers(last, id in)": Probe(
        "customer",
        f"""query($target: ID!, $bob: ID!) {{
              customers(filter: {{id: {{in: [$target, $bob]}}}}, last: 1) {{
              totalCount nodes {{ id }} {PAGE_INFO} }} }}""",
    ),
    "orders(customer id)": Probe(
        "customer", filtered("orders", "customer: {id: {eq: $target}}", nodes=ORDER_FIELDS)
    ),
    "orders(customer email)": Probe(
        "email", filtered("orders", "customer: {email: {eq: $target}}", "String")
    ),
    # Order
    "order(id)": Probe(
        "order", f"query($target: ID!) {{ order(id: $target) {{ {ORDER_FIELDS} }} }}"
    ),
    "orderByNumber": Probe(
        "number", f"query($target: Int!) {{ orderByNumber(number: $target) {{ {ORDER_FIELDS} }} }}"
    ),
    "node(Order)": Probe(
        "order",
        f"query($target: ID!) {{ node(id: $target) {{ id ... on Order {{ {ORDER_FIELDS} }} }} }}",
    ),
    "nodes(Order)": Probe(
        "order", "query($target: ID!, $own: ID!) { nodes(ids: [$own, $target]) { id } }"
    ),
    "orders(id eq)": Probe(
        "order", filtered("orders", "id: {eq: $target}", nodes=ORDER_FIELDS, page=True)
    ),
    "orders(id neq)": Probe(
        "order", filtered("orders", "id: {neq: $target}", more=", first: 1", page=True)
    ),
    "orders(number eq)": Probe("number", filtered("orders", "number: {eq: $target}", "Int")),
    "customers(hasOrders id)": Probe(
        "order", filtered("customers", "hasOrders: {id: {eq: $target}}")
    ),
    "customers(hasOrders number)": Probe(
        "number", filtered("customers", "hasOrders: {number: {eq: $target}}", "Int")
    ),
    "customer(own).orders(id eq)": Probe(
        "order",
        f"""query($target: ID!, $own: ID!) {{ customer(id: $own) {{
              orders(filter: {{id: {{eq: $target}}}}) {{
                totalCount nodes {{ id }} {PAGE_INFO} }} }} }}""",
    ),
    "customers.orders(id eq)": Probe(
        "order",
        """query($target: ID!) { customers { nodes {
              orders(filter: {id: {eq: $target}}) { totalCount nodes { id } } } } }""",
    ),
    "customers.orders(last, id neq)": Probe(
        "order",
        f"""query($target: ID!) {{ customers {{ nodes {{
              orders(filter: {{id: {{neq: $target}}}}, last: 1) {{
                totalCount nodes {{ id }} {PAGE_INFO} }} }} }} }}""",
    ),
    # OrderLine
    "node(OrderLine)": Probe(
        "line",
        """query($target: ID!) { node(id: $target) { id ... on OrderLine {
              quantity unitPrice order { id customer { id } lines { id } } product { id } } } }""",
    ),
    "nodes(OrderLine)": Probe(
        "line", "query($target: ID!, $own: ID!) { nodes(ids: [$target, $own]) { id } }"
    ),
}

KINDS = {"customer", "email", "order", "number", "line"}
assert {probe.kind for probe in PROBES.values()} == KINDS


def target_of(world: World, kind: str, *, real: bool) -> Any:
    """A's row as the probe's key, or a key of the same kind that nothing has."""
    if kind == "customer":
        return gid("Customer", world.ann if real else uuid4())
    if kind == "email":
        return ANN_EMAIL if real else "nobody@example.com"
    if kind == "order":
        return gid("Order", world.ann_paid if real else uuid4())
    if kind == "number":
        return world.ann_paid_number if real else 999_999
    assert kind == "line"
    return gid("OrderLine", world.ann_lines[0] if real else uuid4())


# Who looks, and whether A's rows are theirs to see.
VIEWERS = {
    "anonymous": (None, None, False),
    "customer B": ("customer", "bob", False),
    "customer A": ("customer", "ann", True),
    "staff": ("staff", None, True),
}


def viewer(client: GraphQLClient, world: World, who: str) -> tuple[GraphQLClient, str]:
    """The client of a viewer, and the id they pass as `$own`."""
    role, name, _ = VIEWERS[who]
    customer = None if name is None else world.customer(name)
    own = gid("Customer", customer if customer is not None else world.ann)
    return client.as_viewer(role, customer), own


async def answer(client: GraphQLClient, world: World, probe: Probe, target: Any, own: str) -> Any:
    given = {"target": target, "own": own, "bob": gid("Customer", world.bob)}
    variables = {name: value for name, value in given.items() if f"${name}" in probe.query}
    return await client.data(probe.query, variables)


@pytest.mark.parametrize("who", VIEWERS)
@pytest.mark.parametrize("entry", PROBES)
async def test_matrix(client: GraphQLClient, world: World, entry: str, who: str) -> None:
    probe = PROBES[entry]
    looker, own = viewer(client, world, who)
    real_target = target_of(world, probe.kind, real=True)
    made_up_target = target_of(world, probe.kind, real=False)
    real = await answer(looker, world, probe, real_target, own)
    made_up = await answer(looker, world, probe, made_up_target, own)
    _, _, may_see = VIEWERS[who]
    if may_see:
        assert real != made_up, f"{entry} does not reach A's row for {who}"
    else:
        assert real == made_up, f"{entry} shows {who} a row they may not see"


# -- as if it did not exist: the whole read surface, with and without A -------------------

EVERYTHING = f"""query {{
  customers {{ totalCount nodes {{ {CUSTOMER_FIELDS} }} {PAGE} }}
  withOrders: customers(filter: {{hasOrders: {{}}}}) {{ totalCount nodes {{ id }} }}
  paidOrders: customers(filter: {{hasOrders: {{status: {{eq: PAID}}}}}}) {{ totalCount }}
  orders {{ totalCount nodes {{ {ORDER_FIELDS}
    lines {{ id quantity subtotal product {{ id stock }} order {{ id customer {{ id }} }} }} }}
    {PAGE} }}
  lastOrders: orders(last: 1, orderBy: [{{field: TOTAL, direction: DESC}}]) {{
    totalCount nodes {{ id }} {PAGE} }}
  annsOrders: orders(filter: {{customer: {{name: {{eq: "Ann"}}}}}}) {{ totalCount }}
  expensive: orders(filter: {{total: {{gt: "20.00"}}}}) {{ totalCount nodes {{ id }} }}
  categories {{ totalCount nodes {{ name productCount
    products {{ totalCount nodes {{ sku }} }} }} }}
  products {{ totalCount nodes {{ name stock category {{ name }} }} }}
}}"""


async def remove_ann(db: Database, world: World) -> None:
    """A and everything of theirs, gone for good."""
    await db.execute(
        "DELETE FROM order_lines WHERE order_id IN (SELECT id FROM orders WHERE customer_id = $1)",
        world.ann,
    )
    await db.execute("DELETE FROM orders WHERE customer_id = $1", world.ann)
    await db.execute("DELETE FROM customers WHERE id = $1", world.ann)


@pytest.mark.parametrize("who", VIEWERS)
async def test_everything_reads_as_if_a_did_not_exist(
    client: GraphQLClient, pool: Database, world: World, who: str
) -> None:
    """Connections, totalCount, nested relations, counts and sums, relation filters: the
    same answer with A's rows as without them, for those who may not see them."""
    looker, _ = viewer(client, world, who)
    with_ann = await looker.data(EVERYTHING)
    await remove_ann(pool, world)
    without_ann = await looker.data(EVERYTHING)
    _, _, may_see = VIEWERS[who]
    if may_see:
        assert with_ann != without_ann
    else:
        assert with_ann == without_ann


# -- what each role sees -------------------------------------------------------------------


async def test_a_customer_sees_exactly_their_own_record_and_orders(
    client: GraphQLClient, world: World
) -> None:
    ann = client.as_viewer("customer", world.ann)
    me, paid, pending = (
        gid("Customer", world.ann),
        gid("Order", world.ann_paid),
        gid("Order", world.ann_pending),
    )
    line = gid("OrderLine", world.ann_lines[0])
    data = await ann.data(
        """query($me: ID!, $paid: ID!, $line: ID!, $email: String!) {
          customers { totalCount nodes { id } }
          orders { totalCount nodes { id } }
          customer(id: $me) { id email orderCount totalSpent
            orders { totalCount nodes { id lines { id } } } }
          customerByEmail(email: $email) { id }
          order(id: $paid) { id total customer { id } lines { id order { id } product { name } } }
          orderByNumber(number: 1001) { id }
          node(id: $line) { id ... on OrderLine { order { id } } }
          nodes(ids: [$me, $paid, $line]) { id }
          withOrders: customers(filter: {hasOrders: {}}) { nodes { id } }
        }""",
        {"me": me, "paid": paid, "line": line, "email": ANN_EMAIL.upper()},
    )
    assert data["customers"] == {"totalCount": 1, "nodes": [{"id": me}]}
    assert data["orders"] == {"totalCount": 2, "nodes": [{"id": paid}, {"id": pending}]}
    customer = data["customer"]
    assert (customer["id"], customer["email"]) == (me, ANN_EMAIL)
    assert (customer["orderCount"], customer["totalSpent"]) == (2, "63.00")
    assert customer["orders"]["totalCount"] == 2
    assert [len(o["lines"]) for o in customer["orders"]["nodes"]] == [2, 1]
    assert data["customerByEmail"] == {"id": me}
    order = data["order"]
    assert (order["total"], order["customer"]) == ("63.00", {"id": me})
    assert [(x["order"]["id"], x["product"]["name"]) for x in order["lines"]] == [
        (paid, "Atlas"),
        (paid, "Chess"),
    ]
    assert data["orderByNumber"] == {"id": paid}
    assert data["node"] == {"id": line, "order": {"id": paid}}
    assert data["nodes"] == [{"id": me}, {"id": paid}, {"id": line}]
    assert data["withOrders"] == {"nodes": [{"id": me}]}
    # B's rows are nowhere.
    bob = await ann.data(
        "query($b: ID!, $o: ID!) { customer(id: $b) { id } order(id: $o) { id } "
        "orderByNumber(number: 1003) { id } nodes(ids: [$b, $o]) { id } }",
        {"b": gid("Customer", world.bob), "o": gid("Order", world.bob_paid)},
    )
    assert bob == {"customer": None, "order": None, "orderByNumber": None, "nodes": [None, None]}


async def test_staff_sees_every_customer_and_order(client: GraphQLClient, world: World) -> None:
    data = await client.data(
        """query($a: ID!, $b: ID!) {
          customers { totalCount nodes { id orderCount totalSpent orders { totalCount } } }
          orders { totalCount nodes { number customer { id } } }
          nodes(ids: [$a, $b]) { id }
        }""",
        {"a": gid("Customer", world.ann), "b": gid("Customer", world.bob)},
    )
    assert data["customers"] == {
        "totalCount": 2,
        "nodes": [
            {
                "id": gid("Customer", world.ann),
                "orderCount": 2,
                "totalSpent": "63.00",
                "orders": {"totalCount": 2},
            },
            {
                "id": gid("Customer", world.bob),
                "orderCount": 1,
                "totalSpent": "25.50",
                "orders": {"totalCount": 1},
            },
        ],
    }
    assert [(o["number"], o["customer"]["id"]) for o in data["orders"]["nodes"]] == [
        (1001, gid("Customer", world.ann)),
        (1002, gid("Customer", world.ann)),
        (1003, gid("Customer", world.bob)),
    ]
    assert data["nodes"] == [{"id": gid("Customer", world.ann)}, {"id": gid("Customer", world.bob)}]


CATALOGUE = """query($books: ID!, $atlas: ID!) {
  categories { totalCount nodes { id name description productCount
    products { totalCount nodes { id sku } } } }
  products { totalCount nodes { id sku name price stock category { id name } } }
  search: products(search: "atlas") { nodes { name } }
  category(id: $books) { name }
  categoryByName(name: "Books") { id }
  product(id: $atlas) { name }
  productBySku(sku: "ATLAS-1") { id }
  node(id: $atlas) { id ... on Product { name } }
  nodes(ids: [$books, $atlas]) { id }
}"""


async def test_the_catalogue_is_the_same_for_every_role(
    client: GraphQLClient, world: World
) -> None:
    ids = {"books": gid("Category", world.books), "atlas": gid("Product", world.atlas)}
    seen = [
        await client.as_viewer(role, customer).data(CATALOGUE, ids)
        for role, customer in [(None, None), ("customer", world.ann), ("customer", world.bob)]
    ]
    seen.append(await client.data(CATALOGUE, ids))
    assert seen[0]["products"]["totalCount"] == 2
    assert seen[0]["category"] == {"name": "Books"}
    assert seen[0]["productBySku"] == {"id": ids["atlas"]}
    assert seen[0]["nodes"] == [{"id": ids["books"]}, {"id": ids["atlas"]}]
    assert all(view == seen[0] for view in seen)
