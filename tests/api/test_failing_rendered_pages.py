"""A root page the database renders with its count, in one statement that times out,
answers after that one timeout (`sql.rendered_pages`): neither the page nor the count is
sent again. When the page was the slow part, the answer is that of the two read apart;
when the count was, the whole connection fails with it, where read apart `totalCount`
alone would (the same null data: the count and the connection may not be null).

Products whose descriptions are long runs of "a " that end in "b", filtered on a shorter
run ending in "b" (or in "c"): each description costs the pattern match a millisecond or
so. All of them match "…b": the first page is found at once in name order, while counting
them reads every description. None matches "…c": even the first page reads them all. The
compiled app and the plain one (`test_failing_reads`) get the same request and must answer
it byte for byte alike.
"""

from __future__ import annotations

import json
import logging

import asyncpg
import pytest

from sql.pool import Database
from tests import factories
from tests.api.test_failing_reads import _send, _side
from tests.conftest import token

ROWS = 3000
TIMEOUT_MS = 100
RUN = "a " * 240


async def _many_products(db: Database) -> None:
    category = await factories.category(db, "Lorem")
    await db.execute(
        "INSERT INTO products (sku, name, price, stock, category_id, description)"
        " SELECT 'LOREM-' || i, 'Lorem ' || i, 10, 1, $1,"
        " repeat('a ', 490) || 'b'"
        " FROM generate_series(1, $2::int) AS i",
        category,
        ROWS,
    )
    # The planner then knows every description (one value, short enough to be sampled).
    await db.execute("ANALYZE products")


@pytest.mark.parametrize(
    ("word", "failed"),
    [
        pytest.param(RUN + "b", ["products", "totalCount"], id="slow-count"),
        pytest.param(RUN + "c", ["products"], id="slow-page"),
    ],
)
async def test_a_timed_out_page_and_count_answer_after_one_timeout(
    database_url: str,
    db: Database,
    caplog: pytest.LogCaptureFixture,
    word: str,
    failed: list[str],
) -> None:
    await _many_products(db)
    document = (
        f"{{ products(first: 2, filter: {{description: {{contains: {json.dumps(word)}}}}})"
        " { totalCount nodes { name } } }"
    )
    async with (
        _side(database_url, compiled=True, statement_timeout_ms=TIMEOUT_MS) as fast,
        _side(database_url, compiled=False, statement_timeout_ms=TIMEOUT_MS) as plain,
    ):
        for side in (fast, plain):  # asyncpg's type introspection behind both sides
            await _send(side, "{ products(first: 1) { nodes { name } } }", token("staff"))
        with caplog.at_level(logging.DEBUG, logger="storefront.errors"):
            answer = await _send(fast, document, token("staff"))
        plain_answer = await _send(plain, document, token("staff"))
    status, body, statements, abandoned = answer
    errors = json.loads(plain_answer[1])["errors"]
    assert [e["path"] for e in errors] == [failed], "the premise: which part is slow"
    assert errors[0]["extensions"]["code"] == "TIMEOUT"
    assert abandoned == 1, "the compiled run must have met the timeout"
    # One statement, the rendered one, timed out; nothing it stands for was sent again.
    assert sum(statements.values()) == 1, statements
    if failed == ["products"]:
        assert (status, body) == plain_answer[:2]
    else:
        assert status == plain_answer[0]
        got = json.loads(body)
        assert got["data"] is None
        assert json.loads(plain_answer[1])["data"] is None
        assert [(e["path"], e["extensions"]["code"]) for e in got["errors"]] == [
            (["products"], "TIMEOUT")
        ]
    # A timeout hands the request back as expected: a debug line (the answer reports it).
    handed = [r for r in caplog.records if r.getMessage().startswith("compiled run handed")]
    assert [r.levelno for r in handed] == [logging.DEBUG]
    assert "(request failing-read-0001): " in handed[0].getMessage()


async def test_a_rendered_page_the_database_refuses_is_logged(
    direct_database_url: str, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A rendered page whose statement fails for another reason than a timeout leaves the
    request to graphql-core, which reads the page as rows and answers in full: the hand-back
    is a warning with the request id and the error's class (not its text), so a statement
    that always fails does not double every read unnoticed. Here the aggregate that joins
    the page's items is shadowed, for the app's connections alone, by one that raises."""
    category = await factories.category(db, "Lighting")
    for n in range(3):
        await factories.product(db, category, f"Lamp {n}")
    admin = await asyncpg.connect(direct_database_url)
    await admin.execute(
        "CREATE SCHEMA broken;"
        " CREATE FUNCTION broken.refuse(text, text, text) RETURNS text LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;"
        " CREATE AGGREGATE broken.string_agg(text, text) (SFUNC = broken.refuse, STYPE = text)"
    )
    url = direct_database_url + ("&" if "?" in direct_database_url else "?")
    try:
        async with _side(url + "search_path=broken,pg_catalog,public", compiled=True) as fast:
            with caplog.at_level(logging.DEBUG, logger="storefront.errors"):
                status, body, statements, abandoned = await _send(
                    fast, "{ products(first: 2) { nodes { name } } }", token("staff")
                )
    finally:
        await admin.execute("DROP SCHEMA broken CASCADE")
        await admin.close()
    assert abandoned == 1
    assert status == 200
    names = json.loads(body)["data"]["products"]["nodes"]
    assert names == [{"name": "Lamp 0"}, {"name": "Lamp 1"}]
    assert any("string_agg" in s for s in fast.recorder.failed), statements
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == [
        "compiled run handed to graphql-core (request failing-read-0001):"
        " RaiseError, SQLSTATE P0001"
    ]


async def test_a_client_mistake_under_a_sibling_is_handed_back_quietly(
    database_url: str, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A client's mistake met under one field while its siblings run is handed back
    wrapped in theirs: the hand-back is told by its innermost reason, a debug line, so a
    client cannot fill the log with warnings."""
    category = await factories.category(db, "Lighting")
    await factories.product(db, category, "Lamp")
    document = (
        '{ a: categories(first: 2) { totalCount nodes { name products(after: "garbage")'
        " { totalCount } } } c: categories(first: 1) { totalCount nodes { name } } }"
    )
    async with _side(database_url, compiled=True) as fast:
        with caplog.at_level(logging.DEBUG, logger="storefront.errors"):
            status, body, _, abandoned = await _send(fast, document, token("staff"))
    assert abandoned == 1
    assert status == 200
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    handed = [r for r in caplog.records if r.getMessage().startswith("compiled run handed")]
    assert [r.levelno for r in handed] == [logging.DEBUG]
    assert "Abandon" not in handed[0].getMessage(), handed[0].getMessage()
