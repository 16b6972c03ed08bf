"""The bench's comparison of PostGraphile's answers with ours (bench/peer_answers.py), and
its reading of which database a PostgreSQL process serves (bench/machine.py)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from bench.agree import ordered
from bench.machine import session_database
from bench.peer_answers import comparable
from engine.node_ids import to_global_id

PRODUCT = UUID("000942de-9414-4fa4-8f1e-3e9694901340")


def ours_product(**changes: Any) -> dict[str, Any]:
    product = {
        "id": to_global_id("Product", PRODUCT),
        "sku": "BOO-TRA-05831",
        "price": "10.00",
        "updatedAt": "2024-01-11T07:41:31+00:00",
    }
    return {"data": {"product": {**product, **changes}}}


def peer_product(**changes: Any) -> dict[str, Any]:
    product = {
        "id": str(PRODUCT),
        "sku": "BOO-TRA-05831",
        "price": "10.0",
        "updatedAt": "2024-01-11T08:41:31.000000+01:00",
    }
    return {"data": {"productById": {**product, **changes}}}


def same(ours: dict[str, Any], peer: dict[str, Any]) -> bool:
    return bool(ordered(comparable(ours, peer=False)) == ordered(comparable(peer, peer=True)))


def test_ids_decimals_and_times_compare_by_what_they_mean() -> None:
    assert same(ours_product(), peer_product())


def test_a_different_value_is_still_a_difference() -> None:
    assert not same(ours_product(), peer_product(price="10.01"))
    assert not same(ours_product(), peer_product(id=str(UUID(int=7))))
    assert not same(ours_product(), peer_product(updatedAt="2024-01-11T07:41:32+00:00"))
    assert not same(ours_product(), peer_product(sku="boo-tra-05831"))


def test_relations_are_renamed_and_connections_become_lists() -> None:
    ours: dict[str, Any] = {
        "data": {
            "orders": {
                "edges": [
                    {
                        "node": {
                            "number": 1001,
                            "customer": {"name": "Rosa"},
                            "lines": [{"quantity": 4, "product": {"category": {"name": "Hubs"}}}],
                        }
                    }
                ]
            }
        }
    }
    peer: dict[str, Any] = {
        "data": {
            "allOrders": {
                "edges": [
                    {
                        "node": {
                            "number": 1001,
                            "customerByCustomerId": {"name": "Rosa"},
                            "orderLinesByOrderId": {
                                "nodes": [
                                    {
                                        "quantity": 4,
                                        "productByProductId": {
                                            "categoryByCategoryId": {"name": "Hubs"}
                                        },
                                    }
                                ]
                            },
                        }
                    }
                ]
            }
        }
    }
    assert same(ours, peer)
    peer["data"]["allOrders"]["edges"][0]["node"]["number"] = 1002
    assert not same(ours, peer)


def test_cursors_compare_by_presence_and_errors_are_kept() -> None:
    ours: dict[str, Any] = {
        "data": {"products": {"pageInfo": {"hasNextPage": True, "endCursor": "b3Vycw=="}}}
    }
    peer: dict[str, Any] = {
        "data": {"allProducts": {"pageInfo": {"hasNextPage": True, "endCursor": "WyJ4Il0="}}}
    }
    assert same(ours, peer)
    peer["data"]["allProducts"]["pageInfo"]["endCursor"] = None
    assert not same(ours, peer)
    failed = {"data": None, "errors": [{"message": "boom"}]}
    assert comparable(failed, peer=True) == failed


def test_the_database_of_a_postgres_session() -> None:
    assert session_database(b"postgres: 15/main: postgres shop 127.0.0.1(5432) idle\0\0") == "shop"
    assert session_database(b"postgres: postgres shop 127.0.0.1(42930) SELECT\0") == "shop"
    assert session_database(b"postgres: alice shop [local] idle") == "shop"
    assert session_database(b"postgres: 15/main: checkpointer \0") is None
    assert session_database(b"postgres: walwriter") is None
    assert session_database(b"/usr/lib/postgresql/15/bin/postgres\0-D\0/data") is None
