"""Global ids decode to their type and uuid; anything else is simply not an id of ours."""

from __future__ import annotations

import base64
from uuid import UUID

import pytest

from engine.node_ids import from_global_id, to_global_id, uuid_of
from sql.rows import uuid_of_text

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


@pytest.mark.parametrize(
    "text",
    [
        str(ID),
        ID.hex,
        ID.hex.upper(),
        "{" + str(ID) + "}",
        "urn:uuid:" + str(ID),
        "0b7e-7f9e-4f0a-4c53-9d1e-8a1f-6f3c-2d10",  # dashes where uuid.UUID takes them
    ],
)
def test_the_driver_uuid_of_a_global_id_reads_what_uuid_reads(text: str) -> None:
    """What `from_global_id` makes its uuids with (`sql.rows.uuid_of_text`, whose type
    hashes in C): the same value as `uuid.UUID` for every form that reads, equal and
    hashed alike, so either finds the other's rows in a dict."""
    made = uuid_of_text(text)
    assert made == UUID(text) == ID
    assert hash(made) == hash(ID)
    assert str(made) == str(ID)
    assert {ID: "found"}[made] == "found"


def test_the_driver_uuid_refuses_what_uuid_refuses() -> None:
    for text in ("", "not a uuid", str(ID) + "0", str(ID)[:-1]):
        with pytest.raises(ValueError, match="badly formed hexadecimal UUID string"):
            UUID(text)
        with pytest.raises(ValueError, match="badly formed hexadecimal UUID string"):
            uuid_of_text(text)  # the driver's type refused it, and so did uuid.UUID


def test_global_ids_hold_the_driver_uuid_once_the_schema_is_loaded() -> None:
    import gql.node  # noqa: F401 (registers `uuid_of_text` with `engine.node_ids`)

    decoded = from_global_id(to_global_id("Product", ID))
    assert decoded is not None
    assert type(decoded[1]) is type(uuid_of_text(str(ID)))  # not uuid.UUID
    assert type(decoded[1]) is not UUID
    assert decoded == ("Product", ID)
