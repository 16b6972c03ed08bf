"""One switch runs both queries and mutations from compiled plans, or neither:
`STOREFRONT_COMPILED`, still read under its former name `STOREFRONT_COMPILED_READS` (and
`compiled_reads=`), which the new name overrides. Which engine answered is read off the
slow-operation line, logged here for every operation."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from engine.node_ids import to_global_id
from engine.observe import COMPILED, GRAPHQL_CORE
from sql.pool import Database
from tests.api.conftest import StatementRecorder, staff_client
from tests.api.observed import Q2, UPDATE, shop

CASES = [
    ({}, {}, COMPILED),
    ({"STOREFRONT_COMPILED": "false"}, {}, GRAPHQL_CORE),
    ({"STOREFRONT_COMPILED_READS": "false"}, {}, GRAPHQL_CORE),
    ({"STOREFRONT_COMPILED_READS": "false", "STOREFRONT_COMPILED": "true"}, {}, COMPILED),
    ({}, {"compiled_reads": False}, GRAPHQL_CORE),
    ({}, {"compiled": False}, GRAPHQL_CORE),
]


@pytest.mark.parametrize(("environment", "given", "engine"), CASES)
async def test_one_switch_governs_queries_and_mutations(
    database_url: str,
    db: Database,
    recorder: StatementRecorder,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    environment: dict[str, str],
    given: dict[str, Any],
    engine: str,
) -> None:
    for name in ("STOREFRONT_COMPILED", "STOREFRONT_COMPILED_READS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    product = to_global_id("Product", (await shop(db))["a"])
    async with staff_client(database_url, recorder, slow_operation_ms=1e-6, **given) as client:
        with caplog.at_level(logging.WARNING, logger="storefront.slow"):
            await client.data(Q2)
            changed = await client.data(UPDATE, {"id": product, "rev": 1})
    assert changed["updateProduct"]["__typename"] == "UpdateProductSuccess"
    slow = [vars(r) for r in caplog.records if r.name == "storefront.slow"]
    answered = {line["operation_type"]: line["engine"] for line in slow}
    assert answered == {"query": engine, "mutation": engine}
