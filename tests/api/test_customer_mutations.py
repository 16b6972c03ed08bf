"""What customer writes add to the standard ones (test_standard_mutations.py): emails match
whatever their case, every problem of an input is listed, and orders outlive a deletion."""

from __future__ import annotations

from engine.node_ids import to_global_id
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.api.mutations import result
from tests.api.test_standard_mutations import ENTITIES
from tests.factories import snapshot

CUSTOMER = ENTITIES["customer"].docs


async def test_a_new_customer_has_no_orders_and_is_found_by_email_in_any_case(
    client: GraphQLClient, db: Database
) -> None:
    created = await result(
        client, CUSTOMER.create, input={"email": "ann@example.com", "name": "Ann"}
    )
    customer = created["customer"]
    assert customer["orderCount"] == 0
    read = await client.data('query { customerByEmail(email: "ANN@example.com") { id } }')
    assert read["customerByEmail"]["id"] == customer["id"]


async def test_invalid_input_lists_every_problem_and_writes_nothing(
    client: GraphQLClient, db: Database
) -> None:
    await factories.customer(db)
    before = await snapshot(db)
    failed = await result(client, CUSTOMER.create, input={"email": "not an email", "name": ""})
    assert (failed["__typename"], failed["code"]) == ("ValidationError", "VALIDATION")
    assert [(f["path"], f["code"]) for f in failed["fields"]] == [
        (["input", "email"], "VALUE_ERROR"),
        (["input", "name"], "STRING_TOO_SHORT"),
    ]
    too_long = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".org"  # 260 characters
    long = await result(client, CUSTOMER.create, input={"email": too_long, "name": "Ann"})
    assert [f["path"] for f in long["fields"]] == [["input", "email"]]
    nul = await result(client, CUSTOMER.create, input={"email": "a@example.com", "name": "A\u0000"})
    assert nul["fields"][0]["message"] == "must not contain NUL characters"
    assert await snapshot(db) == before


async def test_update_moves_the_email_and_lists_every_problem_of_a_patch(
    client: GraphQLClient, db: Database
) -> None:
    id = to_global_id("Customer", await factories.customer(db, "Ann", email="ann@example.com"))
    moved = await result(client, CUSTOMER.update, id=id, rev=1, patch={"email": "lee@example.com"})
    assert (moved["customer"]["rev"], moved["customer"]["email"]) == (2, "lee@example.com")
    before = await snapshot(db)
    patch = {"name": None, "email": "x"}
    required = await result(client, CUSTOMER.update, id=id, rev=2, patch=patch)
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
    failed = await result(client, CUSTOMER.update, id=id, rev=1, patch={"email": "Bob@Example.com"})
    assert failed["__typename"] == "AlreadyExistsError"
    assert (failed["field"], failed["value"]) == ("email", "Bob@Example.com")
    assert await snapshot(db) == before


async def test_delete_keeps_orders_and_restore_brings_them_back(
    client: GraphQLClient, db: Database
) -> None:
    customer = await factories.customer(db)
    product = await factories.product(db, await factories.category(db))
    await factories.order(db, customer, [(product, 1)])
    id = to_global_id("Customer", customer)
    deleted = await result(client, CUSTOMER.delete, id=id, rev=1)
    assert deleted["__typename"] == "DeleteCustomerSuccess"
    assert await db.fetchval("SELECT count(*) FROM orders WHERE customer_id = $1", customer) == 1
    restored = await result(client, CUSTOMER.restore, id=id, rev=2)
    assert restored["__typename"] == "RestoreCustomerSuccess"
    assert restored["customer"]["orderCount"] == 1
