"""Who may change what: every mutation, for viewers who may not do it, through the schema.

`ForbiddenError` answers an action on something the viewer can see but may not do (a
customer changing the catalogue, or paying their own order). Where the viewer cannot see the
target it is `NotFoundError`, exactly as for an id that never existed. Either way nothing is
written. The documents are generated from the schema, selecting every member of each result
union, so a member a mutation returns can never hide behind a missing fragment.
"""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
from graphql import GraphQLUnionType, get_named_type

from engine.node_ids import to_global_id
from gql.schema import schema
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient

MUTATION = schema._schema.mutation_type
assert MUTATION is not None

# What each member of a result union shows; members not listed show their __typename.
SELECTIONS = {
    "NotFoundError": "nodeId",
    "UpdateCustomerSuccess": "customer { id name }",
    "PlaceOrderSuccess": "order { status customer { id } lines { quantity } }",
    "OrderTransitionSuccess": "order { id status }",
    "DeleteReviewSuccess": "review { id }",
}


def union_of(field_name: str) -> GraphQLUnionType:
    assert MUTATION is not None
    union = get_named_type(MUTATION.fields[field_name].type)
    assert isinstance(union, GraphQLUnionType)
    return union


def document(field_name: str) -> str:
    """The mutation with every argument as a variable, selecting every union member."""
    assert MUTATION is not None
    arguments = MUTATION.fields[field_name].args
    declared = ", ".join(f"${name}: {argument.type}" for name, argument in arguments.items())
    passed = ", ".join(f"{name}: ${name}" for name in arguments)
    members = " ".join(
        f"... on {member.name} {{ {SELECTIONS.get(member.name, '__typename')} }}"
        for member in union_of(field_name).types
    )
    return (
        f"mutation({declared}) {{ {field_name}({passed}) {{ __typename "
        f"... on Error {{ message code }} {members} }} }}"
    )


# -- the world -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class World:
    """Every row a case may point at, by its name in the cases (`@books`, ...)."""

    ids: dict[str, tuple[str, UUID]]

    def gid(self, name: str) -> str:
        type_name, id = self.ids[name]
        return to_global_id(type_name, id)

    def customer(self, name: str) -> UUID:
        type_name, id = self.ids[name]
        assert type_name == "Customer"
        return id


async def build_world(db: Database) -> World:
    books = await factories.category(db, "Books")
    old = await factories.category(db, "Old")
    atlas = await factories.product(db, books, "Atlas", stock=10, sku="ATLAS-1")
    gone = await factories.product(db, books, "Gone", sku="GONE-1")
    ann = await factories.customer(db, "Ann")
    bob = await factories.customer(db, "Bob")
    dan = await factories.customer(db, "Dan")
    ann_order = await factories.order(db, ann, [(atlas, 1)])
    bob_order = await factories.order(db, bob, [(atlas, 2)])
    ann_review = await factories.review(db, atlas, ann)
    await factories.soft_delete(db, "categories", old)
    await factories.soft_delete(db, "products", gone)
    await factories.soft_delete(db, "customers", dan)
    return World(
        {
            "books": ("Category", books),
            "old": ("Category", old),  # soft-deleted
            "atlas": ("Product", atlas),
            "gone": ("Product", gone),  # soft-deleted
            "ann": ("Customer", ann),  # customer A
            "bob": ("Customer", bob),  # customer B
            "dan": ("Customer", dan),  # soft-deleted, and still holding a token
            "ann_order": ("Order", ann_order),
            "bob_order": ("Order", bob_order),
            "ann_review": ("Review", ann_review),
        }
    )


WORLD = factories.Reused(build_world)


@pytest.fixture
async def world(pool: Database) -> World:
    return await WORLD.get(pool)


# -- the cases -----------------------------------------------------------------------------

VIEWERS: dict[str, tuple[str | None, str | None]] = {
    "anonymous": (None, None),
    "customer A": ("customer", "ann"),
    "deleted customer D": ("customer", "dan"),
}


@dataclass(frozen=True, slots=True)
class Case:
    field: str
    who: str
    args: dict[str, Any]
    """The variables; `"@name"` is the global id of the world's row of that name, and
    `"@missing:Type"` one of that type that nothing has."""
    expect: str
    """The result's __typename."""
    payload: dict[str, Any] = dataclasses.field(default_factory=dict)
    """For a success: what it shows besides its __typename (ids as in `args`)."""

    @property
    def name(self) -> str:
        return f"{self.field}/{self.who}/{self.target or 'new'}/{self.expect}"

    @property
    def target(self) -> str | None:
        """The id the case acts on (what a NotFoundError must name)."""
        found = [v for v in _strings(self.args) if v.startswith("@")]
        return found[0] if found else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def new_category() -> dict[str, Any]:
    return {"input": {"name": "New"}}


def new_product(sku: str = "NEW-1") -> dict[str, Any]:
    return {"sku": sku, "name": "New", "price": "1.00", "categoryId": "@books"}


def order_for(customer: str) -> dict[str, Any]:
    return {"input": {"customerId": customer, "lines": [{"productId": "@atlas", "quantity": 1}]}}


def new_review() -> dict[str, Any]:
    return {"productId": "@atlas", "rating": 5, "title": "Fine"}


F, N = "ForbiddenError", "NotFoundError"
CUSTOMERS = ("customer A", "anonymous")


def catalogue_cases() -> list[Case]:
    cases = [
        *(Case("createCategory", who, new_category(), F) for who in CUSTOMERS),
        *(Case("createProduct", who, {"input": new_product()}, F) for who in CUSTOMERS),
        *(
            Case("createProducts", who, {"inputs": [new_product(), new_product("NEW-2")]}, F)
            for who in CUSTOMERS
        ),
        # A new sku and an existing one: neither creates nor updates.
        *(Case("upsertProduct", who, {"input": new_product()}, F) for who in CUSTOMERS),
        Case("upsertProduct", "customer A", {"input": new_product("ATLAS-1"), "rev": 1}, F),
    ]
    changes: list[tuple[str, dict[str, Any]]] = [
        ("updateCategory", {"rev": 1, "patch": {"name": "Renamed"}}),
        ("deleteCategory", {"rev": 1}),
        ("restoreCategory", {"rev": 1}),
        ("updateProduct", {"rev": 1, "patch": {"price": "0.01"}}),
        ("adjustStock", {"delta": -1}),
        ("deleteProduct", {"rev": 1}),
        ("restoreProduct", {"rev": 1}),
    ]
    for name, rest in changes:
        type_name = "Category" if "Category" in name else "Product"
        live, deleted = ("@books", "@old") if type_name == "Category" else ("@atlas", "@gone")
        # Anyone sees the live catalogue: changing it is forbidden. Deleted or missing rows
        # are not there to change.
        cases += [
            Case(name, "customer A", {"id": live, **rest}, F),
            Case(name, "anonymous", {"id": live, **rest}, F),
            Case(name, "customer A", {"id": deleted, **rest}, N),
            Case(name, "customer A", {"id": f"@missing:{type_name}", **rest}, N),
        ]
    return cases


CASES: list[Case] = [
    *catalogue_cases(),
    # Customers: only staff create, delete and restore them; a customer sees and changes
    # themselves only.
    *(
        Case("createCustomer", who, {"input": {"email": "new@example.com", "name": "N"}}, F)
        for who in CUSTOMERS
    ),
    Case("deleteCustomer", "customer A", {"id": "@ann", "rev": 1}, F),
    Case("deleteCustomer", "customer A", {"id": "@bob", "rev": 1}, N),
    Case("deleteCustomer", "anonymous", {"id": "@ann", "rev": 1}, N),
    Case("deleteCustomer", "deleted customer D", {"id": "@dan", "rev": 1}, N),
    Case("restoreCustomer", "customer A", {"id": "@ann", "rev": 1}, F),
    Case("restoreCustomer", "customer A", {"id": "@bob", "rev": 1}, N),
    Case("restoreCustomer", "customer A", {"id": "@dan", "rev": 1}, N),
    Case("restoreCustomer", "anonymous", {"id": "@ann", "rev": 1}, N),
    Case("restoreCustomer", "deleted customer D", {"id": "@dan", "rev": 1}, N),
    Case(
        "updateCustomer",
        "customer A",
        {"id": "@ann", "rev": 1, "patch": {"name": "Ann Again"}},
        "UpdateCustomerSuccess",
        {"customer": {"id": "@ann", "name": "Ann Again"}},
    ),
    Case("updateCustomer", "customer A", {"id": "@bob", "rev": 1, "patch": {"name": "X"}}, N),
    Case("updateCustomer", "anonymous", {"id": "@ann", "rev": 1, "patch": {"name": "X"}}, N),
    Case(
        "updateCustomer", "deleted customer D", {"id": "@dan", "rev": 1, "patch": {"name": "X"}}, N
    ),
    # Orders: customers place orders for themselves and cancel their own; paying and
    # shipping is staff's work.
    Case("placeOrder", "anonymous", order_for("@ann"), F),
    Case(
        "placeOrder",
        "customer A",
        order_for("@ann"),
        "PlaceOrderSuccess",
        {"order": {"status": "PENDING", "customer": {"id": "@ann"}, "lines": [{"quantity": 1}]}},
    ),
    Case("placeOrder", "customer A", order_for("@bob"), N),
    Case("placeOrder", "customer A", order_for("@missing:Customer"), N),
    Case("placeOrder", "deleted customer D", order_for("@dan"), N),
    *(
        case
        for name in ("payOrder", "shipOrder")
        for case in (
            Case(name, "customer A", {"id": "@ann_order", "rev": 1}, F),
            Case(name, "customer A", {"id": "@bob_order", "rev": 1}, N),
            Case(name, "anonymous", {"id": "@ann_order", "rev": 1}, N),
            Case(name, "customer A", {"id": "@missing:Order", "rev": 1}, N),
        )
    ),
    Case(
        "cancelOrder",
        "customer A",
        {"id": "@ann_order", "rev": 1},
        "OrderTransitionSuccess",
        {"order": {"id": "@ann_order", "status": "CANCELLED"}},
    ),
    Case("cancelOrder", "customer A", {"id": "@bob_order", "rev": 1}, N),
    Case("cancelOrder", "anonymous", {"id": "@ann_order", "rev": 1}, N),
    # Reviews: everyone reads them; their author changes them, a deleted author writes none.
    Case("createReview", "anonymous", {"input": new_review()}, F),
    *(
        Case(name, "anonymous", {"id": "@ann_review", "rev": 1, **rest}, F)
        for name, rest in (
            ("updateReview", {"patch": {"rating": 1}}),
            ("deleteReview", {}),
            ("restoreReview", {}),
        )
    ),
    Case("updateReview", "customer A", {"id": "@missing:Review", "rev": 1, "patch": {}}, N),
    # Batches: a viewer who could write none of the rows they name is refused outright.
    *(
        Case(f"{verb}{rows}", who, {"items": [{"id": row, "rev": 1, **rest}]}, F)
        for rows, row, patch in (
            ("Categories", "@books", {"name": "X"}),
            ("Products", "@atlas", {"price": "0.01"}),
            ("Customers", "@ann", {"name": "X"}),
            ("Reviews", "@ann_review", {"rating": 1}),
        )
        for verb, rest in (("update", {"patch": patch}), ("delete", {}))
        for who in ("anonymous",)
    ),
    Case(
        "deleteReview",
        "customer A",
        {"id": "@ann_review", "rev": 1},
        "DeleteReviewSuccess",
        {"review": {"id": "@ann_review"}},
    ),
]


def made_up(type_name: str) -> str:
    return to_global_id(type_name, uuid4())


def resolve(value: Any, world: World, missing: dict[str, str]) -> Any:
    """`value` with every "@name" replaced by its global id."""
    if isinstance(value, dict):
        return {k: resolve(v, world, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, world, missing) for v in value]
    if isinstance(value, str) and value.startswith("@missing:"):
        return missing.setdefault(value, made_up(value.removeprefix("@missing:")))
    if isinstance(value, str) and value.startswith("@"):
        return world.gid(value[1:])
    return value


def swap(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: swap(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [swap(v, old, new) for v in value]
    return new if value == old else value


async def run(
    client: GraphQLClient, world: World, who: str, field_name: str, variables: dict[str, Any]
) -> dict[str, Any]:
    role, name = VIEWERS[who]
    viewer = client.as_viewer(role, None if name is None else world.customer(name))
    data = await viewer.data(document(field_name), variables)
    result: dict[str, Any] = data[field_name]
    return result


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_mutation_permission(
    module_client: GraphQLClient, pool: Database, world: World, case: Case
) -> None:
    missing: dict[str, str] = {}
    variables = resolve(case.args, world, missing)
    before = await factories.snapshot(pool)
    got = await run(module_client, world, case.who, case.field, variables)
    assert got["__typename"] == case.expect, got
    if case.expect.endswith("Success"):
        shown = {k: v for k, v in got.items() if k != "__typename"}
        assert shown == resolve(case.payload, world, missing)
        assert await factories.snapshot(pool) != before
        return
    assert got["code"] == {F: "FORBIDDEN", N: "NOT_FOUND"}[case.expect]
    assert await factories.snapshot(pool) == before, "a refused mutation wrote something"
    if case.expect != N:
        return
    assert case.target is not None
    target = resolve(case.target, world, missing)
    assert got["nodeId"] == target
    # Exactly what an id that never existed gets.
    type_name = base64.b64decode(target).decode().partition(":")[0]
    stranger = made_up(type_name)
    other = await run(module_client, world, case.who, case.field, swap(variables, target, stranger))
    assert swap(other, stranger, target) == got
    assert await factories.snapshot(pool) == before


# -- completeness --------------------------------------------------------------------------


def forbidding_fields() -> dict[str, str]:
    """Each mutation whose result union has a ForbiddenError member, with that union."""
    assert MUTATION is not None
    return {
        name: union_of(name).name
        for name in MUTATION.fields
        if "ForbiddenError" in {member.name for member in union_of(name).types}
    }


def test_every_mutation_has_cases() -> None:
    assert MUTATION is not None
    assert {case.field for case in CASES} == set(MUTATION.fields)
    # The one union without ForbiddenError: an update a customer may not make is of
    # someone they cannot see.
    assert set(MUTATION.fields) - set(forbidding_fields()) == {"updateCustomer"}


async def test_every_forbidden_member_of_every_result_union_is_produced(
    module_client: GraphQLClient, pool: Database, world: World
) -> None:
    """Runs this file's ForbiddenError cases here and compares the (result union,
    __typename) pairs they produce with what the schema declares: every `*Result` union
    with a ForbiddenError member."""
    expected = {
        (t.name, "ForbiddenError")
        for t in schema._schema.type_map.values()
        if isinstance(t, GraphQLUnionType)
        and t.name.endswith("Result")
        and "ForbiddenError" in {m.name for m in t.types}
    }
    assert expected == {(union, "ForbiddenError") for union in forbidding_fields().values()}
    before = await factories.snapshot(pool)
    seen: set[tuple[str, str]] = set()
    forbidding: set[str] = set()
    for case in CASES:
        if case.expect == F:
            variables = resolve(case.args, world, {})
            got = await run(module_client, world, case.who, case.field, variables)
            seen.add((union_of(case.field).name, got["__typename"]))
            forbidding.add(case.field)
    assert seen == expected
    assert await factories.snapshot(pool) == before
    # cancelOrder shares its union with payOrder and shipOrder, but never forbids: a
    # customer may cancel their own orders, and everyone else's are not found.
    assert set(forbidding_fields()) - forbidding == {"cancelOrder"}


# -- idempotency keys belong to their viewer -----------------------------------------------


async def test_another_customers_idempotency_key_is_not_theirs(
    module_client: GraphQLClient, pool: Database, world: World
) -> None:
    """A key one customer used is invisible to another: the same key places the other's
    own order, and each retry still returns its own first result."""
    key = {"idempotencyKey": "checkout-1"}
    ann = await run(
        module_client,
        world,
        "customer A",
        "placeOrder",
        {**resolve(order_for("@ann"), world, {}), **key},
    )
    bob_input = {**resolve(order_for("@bob"), world, {}), **key}
    bob_viewer = module_client.as_viewer("customer", world.customer("bob"))
    query = document("placeOrder")
    bob = (await bob_viewer.data(query, bob_input))["placeOrder"]
    assert (ann["__typename"], bob["__typename"]) == ("PlaceOrderSuccess", "PlaceOrderSuccess")
    assert bob["order"]["customer"]["id"] == world.gid("bob")
    again = (await bob_viewer.data(query, bob_input))["placeOrder"]
    assert again == bob
    orders = await pool.fetchval("SELECT count(*) FROM orders")
    assert orders == 4  # two from the world, one each now
