"""`make bench --against`: ours at an older checkout's code is served from that code, on
the bench's database, token and settings, though the database has a migration it lacks."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from bench.against import MIGRATIONS, NOT_CODE, serving
from bench.common import ROOT
from bench.measure import Bench
from bench.plan import Plan
from tests.conftest import token

pytestmark = pytest.mark.e2e

MARK = "served by the older checkout"


def older_checkout(tmp_path: Path) -> Path:
    """This checkout's code without its newest migration, its /healthz answering MARK."""
    checkout = tmp_path / "older"
    shutil.copytree(ROOT, checkout, ignore=NOT_CODE)
    max((checkout / MIGRATIONS).glob("*.sql")).unlink()
    health = checkout / "server" / "health.py"
    text = health.read_text()
    assert text.count('{"status": "ok"}') == 1  # the probe this test marks
    health.write_text(text.replace('{"status": "ok"}', f'{{"status": "{MARK}"}}'))
    return checkout


def test_the_older_checkout_serves_the_bench_database(
    tmp_path: Path, direct_database_url: str, db: object
) -> None:
    plan = Plan(q1_ids=[], q4_ids=[], category="", customer=UUID(int=0), q5_ids=[])
    bench = Bench(direct_database_url, plan, argparse.Namespace(), tmp_path / "scratch")
    (tmp_path / "scratch").mkdir()
    with serving(bench, older_checkout(tmp_path)) as server:
        assert server.label == "ours at older"
        assert bench.servers == [server]
        assert httpx.get(server.base + "/healthz").json() == {"status": MARK}
        answer = httpx.post(
            server.base + "/graphql",
            json={"query": "{ products(first: 1) { totalCount } }"},
            headers={"Authorization": f"Bearer {token('staff')}"},
        )
        assert answer.json()["data"] == {"products": {"totalCount": 0}}
    assert bench.servers == []
    assert server.process.poll() is not None
