"""createCustomer, updateCustomer, deleteCustomer, restoreCustomer: each result member."""

from __future__ import annotations

import pytest

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.api.mutations import errors, result
from tests.factories import snapshot

CURRENT = "... on Customer { email rev }"  # what a ConflictError shows of the current node
UPDATE_ERRORS = errors(
    "NotFoundError", "ConflictError", "ValidationError", "AlreadyExistsError", current=CURRENT
)

CUSTOMER = "customer { id rev email name deletedAt orderCount }"

CREATE = f"""mutation($input: CreateCustomerInput!, $key: String) {{
  createCustomer(input: $input, idempotencyKey: $key) {{
    __typename ... on CreateCustomerSuccess {{ {CUSTOMER} }}
    {errors("ValidationError", "AlreadyExistsError", "IdempotencyKeyReusedError")} }} }}"""
UPDATE = f"""mutation($id: ID!, $rev: Int!, $patch: CustomerPatch!) {{
  updateCustomer(id: $id, rev: $rev, patch: $patch) {{
    __typename ... on UpdateCustomerSuccess {{ {CUSTOMER} }}
    {UPDATE_ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!, $rev: Int!) {{ deleteCustomer(id: $id, rev: $rev) {{
    __typename ... on DeleteCustomerSuccess {{ {CUSTOMER} }}
    {errors("NotFoundError", "ConflictError", current=CURRENT)} }} }}"""
RESTORE = f"""mutation($id: ID!, $rev: Int!) {{ restoreCustomer(id: $id, rev: $rev) {{
    __typename ... on RestoreCustomerSuccess {{ {CUSTOMER} }}
    {errors("NotFoundError", "ConflictError", "AlreadyExistsError", current=CURRENT)} }} }}"""


async def test_create_then_read_back(client: GraphQLClient, db: Database) -> None:
    created = await result(client, CREATE, input={"email": "ann@example.com", "name": "Ann"})
    assert created["__typename"] == "CreateCustomerSuccess"
    customer = created["customer"]
    assert (customer["rev"], customer["email"], customer["name"]) == (1, "ann@example.com", "Ann")
    assert (customer["deletedAt"], customer["orderCount"]) == (None, 0)
    read = await client.data(
        'query { customerByEmail(email: "ANN@example.com") { id } }',
    )
    assert read["customerByEmail"]["id"] == customer["id"]


async def test_invalid_input_lists_every_problem_and_writes_nothing(
    client: GraphQLClient, db: Database
) -> None:
    await factories.customer(db)
    before = await snapshot(db)
    failed = await result(client, CREATE, input={"email": "not an email", "name": ""})
    assert (failed["__typename"], failed["code"]) == ("ValidationError", "VALIDATION")
    assert [(f["path"], f["code"]) for f in failed["fields"]] == [
        (["input", "email"], "VALUE_ERROR"),
        (["input", "name"], "STRING_TOO_SHORT"),
    ]
    too_long = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".org"  # 260 characters
    long = await result(client, CREATE, input={"email": too_long, "name": "Ann"})
    assert [f["path"] for f in long["fields"]] == [["input", "email"]]
    nul = await result(client, CREATE, input={"email": "a@example.com", "name": "A\u0000"})
    assert nul["fields"][0]["message"] == "must not contain NUL characters"
    assert await snapshot(db) == before


async def test_a_taken_email_is_already_exists_ignoring_case(
    client: GraphQLClient, db: Database
) -> None:
    await factories.customer(db, email="ann@example.com")
    before = await snapshot(db)
    failed = await result(client, CREATE, input={"email": "ANN@example.com", "name": "Ann"})
    assert failed["__typename"] == "AlreadyExistsError"
    assert (failed["field"], failed["value"], failed["code"]) == (
        "email",
        "ANN@example.com",
        "ALREADY_EXISTS",
    )
    assert await snapshot(db) == before


async def test_update_patches_only_given_fields_and_bumps_rev(
    client: GraphQLClient, db: Database
) -> None:
    id = to_global_id("Customer", await factories.customer(db, "Ann", email="ann@example.com"))
    renamed = await result(client, UPDATE, id=id, rev=1, patch={"name": "Ann Lee"})
    assert renamed["__typename"] == "UpdateCustomerSuccess"
    assert (renamed["customer"]["rev"], renamed["customer"]["name"]) == (2, "Ann Lee")
    assert renamed["customer"]["email"] == "ann@example.com"
    moved = await result(client, UPDATE, id=id, rev=2, patch={"email": "lee@example.com"})
    assert (moved["customer"]["rev"], moved["customer"]["email"]) == (3, "lee@example.com")
    before = await snapshot(db)
    required = await result(client, UPDATE, id=id, rev=3, patch={"name": None, "email": "x"})
    assert required["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in required["fields"]] == [
        (["patch", "email"], "VALUE_ERROR"),
        (["patch", "name"], "REQUIRED"),
    ]
    assert await snapshot(db) == before


async def test_update_to_a_taken_email_is_already_exists(
    client: GraphQLClient, db: Database
) -> None:
    await factories.customer(db, email="bob@example.com")
    id = to_global_id("Customer", await factories.customer(db, email="ann@example.com"))
    before = await snapshot(db)
    failed = await result(client, UPDATE, id=id, rev=1, patch={"email": "Bob@Example.com"})
    assert failed["__typename"] == "AlreadyExistsError"
    assert (failed["field"], failed["value"]) == ("email", "Bob@Example.com")
    assert await snapshot(db) == before


async def test_stale_rev_is_a_conflict_with_the_current_node(
    client: GraphQLClient, db: Database
) -> None:
    id = to_global_id("Customer", await factories.customer(db, email="ann@example.com"))
    await result(client, UPDATE, id=id, rev=1, patch={"name": "Ann"})
    before = await snapshot(db)
    for query, extra in ((UPDATE, {"patch": {"name": "Bob"}}), (DELETE, {})):
        stale = await result(client, query, id=id, rev=1, **extra)
        assert stale["__typename"] == "ConflictError"
        assert (stale["expectedRev"], stale["currentRev"], stale["code"]) == (1, 2, "CONFLICT")
        assert stale["current"] == {"id": id, "email": "ann@example.com", "rev": 2}
    assert await snapshot(db) == before


@pytest.mark.parametrize("bad_id", ["nonsense", to_global_id("Category", factories.BASE_UUID)])
async def test_unknown_or_foreign_ids_are_not_found(
    client: GraphQLClient, db: Database, bad_id: str
) -> None:
    before = await snapshot(db)
    for query, extra in ((UPDATE, {"patch": {"name": "X"}}), (DELETE, {}), (RESTORE, {})):
        failed = await result(client, query, id=bad_id, rev=1, **extra)
        assert (failed["__typename"], failed["nodeId"]) == ("NotFoundError", bad_id)
    missing = to_global_id("Customer", factories.BASE_UUID)
    failed = await result(client, DELETE, id=missing, rev=1)
    assert (failed["__typename"], failed["nodeId"]) == ("NotFoundError", missing)
    assert await snapshot(db) == before


async def test_delete_keeps_orders_and_restore_brings_them_back(
    client: GraphQLClient, db: Database
) -> None:
    customer = await factories.customer(db)
    product = await factories.product(db, await factories.category(db))
    await factories.order(db, customer, [(product, 1)])
    id = to_global_id("Customer", customer)
    deleted = await result(client, DELETE, id=id, rev=1)
    assert deleted["__typename"] == "DeleteCustomerSuccess"
    assert (deleted["customer"]["rev"], deleted["customer"]["deletedAt"] is None) == (2, False)
    assert await db.fetchval("SELECT count(*) FROM orders WHERE customer_id = $1", customer) == 1
    lookup = "query($id: ID!) { customer(id: $id) { id } }"
    assert await client.data(lookup, {"id": id}) == {"customer": None}
    gone = await result(client, UPDATE, id=id, rev=2, patch={"name": "X"})
    assert gone["__typename"] == "NotFoundError"
    stale = await result(client, RESTORE, id=id, rev=1)
    assert (stale["__typename"], stale["currentRev"]) == ("ConflictError", 2)
    restored = await result(client, RESTORE, id=id, rev=2)
    assert restored["__typename"] == "RestoreCustomerSuccess"
    assert (restored["customer"]["rev"], restored["customer"]["deletedAt"]) == (3, None)
    assert restored["customer"]["orderCount"] == 1
    unchanged = await result(client, RESTORE, id=id, rev=3)
    assert unchanged["customer"]["rev"] == 3


async def test_restore_when_the_email_was_taken_meanwhile(
    client: GraphQLClient, db: Database
) -> None:
    id = to_global_id("Customer", await factories.customer(db, email="ann@example.com"))
    await result(client, DELETE, id=id, rev=1)
    await result(client, CREATE, input={"email": "Ann@example.com", "name": "Other Ann"})
    before = await snapshot(db)
    failed = await result(client, RESTORE, id=id, rev=2)
    assert failed["__typename"] == "AlreadyExistsError"
    assert (failed["field"], failed["value"]) == ("email", "ann@example.com")
    assert await snapshot(db) == before


async def test_idempotent_create(client: GraphQLClient, db: Database) -> None:
    input = {"email": "ann@example.com", "name": "Ann"}
    first = await result(client, CREATE, input=input, key="c-1")
    retry = await result(client, CREATE, input=input, key="c-1")
    assert retry == first
    assert await db.fetchval("SELECT count(*) FROM customers") == 1
    before = await snapshot(db)
    reused = await result(client, CREATE, input={**input, "name": "Bob"}, key="c-1")
    assert reused["__typename"] == "IdempotencyKeyReusedError"
    assert (reused["key"], reused["code"]) == ("c-1", "IDEMPOTENCY_KEY_REUSED")
    assert await snapshot(db) == before
