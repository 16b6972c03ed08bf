"""Global ids decode to their type and uuid; anything else is simply not an id of ours."""

from __future__ import annotations

import base64
from uuid import UUID

import pytest

from engine.node_ids import from_global_id, to_global_id, uuid_of

ID = UUID("0b7e7f9e-4f0a-4c53-9d1e-8a1f6f3c2d10")


def test_a_global_id_decodes_to_its_type_and_uuid() -> None:
    assert from_global_id(to_global_id("Product", ID)) == ("Product", ID)
    assert uuid_of(to_global_id("Product", ID), type_name="Product") == ID
    assert uuid_of(to_global_id("Order", ID), type_name="Product") is None


@pytest.mark.parametrize(
    "given",
    [
        "",
        "not base64!",
        to_global_id("Product", ID) + "\n",  # a character outside the alphabet
        " " + to_global_id("Product", ID),
        to_global_id("Product", ID).replace("+", "-").replace("/", "_") + "-_",  # URL-safe
        "UHJvZHVjdA==UHJvZHVjdA==",  # padding in the middle
        "UHJvZHVjdA===",  # too much padding
        "UHJvZHVjdA",  # too little
        "é",
        base64.b64encode(b"Product:not-a-uuid").decode(),
        base64.b64encode(b"\xff\xfe:" + str(ID).encode()).decode(),  # not UTF-8
    ],
)
def test_anything_else_is_no_id(given: str) -> None:
    assert from_global_id(given) is None
