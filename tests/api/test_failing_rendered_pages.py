"""A root page the database renders with its count, in one statement that times out,
answers as the page and its count read apart do (`sql.rendered_pages`): when the count was
the slow part, only `totalCount` fails; when the page was, the whole connection does.

Products whose descriptions are long runs of "a " that end in "b", filtered on a shorter
run ending in "b" (or in "c"): each description costs the pattern match a millisecond or
so. All of them match "…b": the first page is found at once in name order, while counting
them reads every description. None matches "…c": even the first page reads them all. The
compiled app and the plain one (`test_failing_reads`) get the same request and must answer
it byte for byte alike.
"""

from __future__ import annotations

import json

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
async def test_a_timed_out_page_and_count_answer_as_read_apart(
    database_url: str, db: Database, word: str, failed: list[str]
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
        answer = await _send(fast, document, token("staff"))
        plain_answer = await _send(plain, document, token("staff"))
    status, body, statements, abandoned = answer
    errors = json.loads(plain_answer[1])["errors"]
    assert [e["path"] for e in errors] == [failed], "the premise: which part is slow"
    assert errors[0]["extensions"]["code"] == "TIMEOUT"
    assert abandoned == 1, "the compiled run must have met the timeout"
    assert (status, body) == plain_answer[:2]
    # The count that timed out in the compiled run is not sent again.
    slow_count = [s for s in plain.recorder.failed if s.startswith("SELECT count(*)")]
    assert slow_count or failed == ["products"], plain.recorder.failed
    assert statements.keys().isdisjoint(slow_count), statements
