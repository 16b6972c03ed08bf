"""Generated data loaded with COPY: determinism, consistency, refusal, the command line."""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from server.cli import main
from server.seeding import ProgressBars
from sql import seed, seed_data
from sql.pool import Database
from tests.conftest import scratch_database

SMALL = seed.Scale(customers=30, categories=6, products=120, orders=150)
TABLES = ("customers", "categories", "products", "orders", "order_lines")


async def load(
    pool: Database,
    scale: seed.Scale = SMALL,
    *,
    with_seed: int = 3,
    truncate: bool = False,
    progress: seed.Progress | None = None,
) -> dict[str, int]:
    async with pool.acquire() as conn:
        return await seed.load(
            conn, scale=scale, seed=with_seed, truncate=truncate, progress=progress
        )


async def snapshot(pool: Database) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: [tuple(r) for r in await pool.fetch(f"SELECT * FROM {table} ORDER BY id")]
        for table in TABLES
    }


async def test_loads_every_table_and_reports_progress(db: Database) -> None:
    assert await seed.is_empty(db)
    calls: list[tuple[str, int, int]] = []
    counts = await load(db, progress=lambda *call: calls.append(call))
    assert not await seed.is_empty(db)
    stored = {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}
    assert counts == stored
    assert (stored["customers"], stored["categories"]) == (30, 6)
    assert (stored["products"], stored["orders"]) == (120, 150)
    assert 150 <= stored["order_lines"] <= 5 * 150
    # Each table: a start at 0, then its whole count once the COPY is done, in FK order.
    assert [(t, d) for t, d, _ in calls if d in (0, counts[t])] == [
        (t, d) for t in TABLES for d in (0, counts[t])
    ]


async def test_same_seed_same_rows_other_seed_other_rows(db: Database) -> None:
    await load(db, with_seed=11)
    first = await snapshot(db)
    await load(db, with_seed=11, truncate=True)
    assert await snapshot(db) == first
    await load(db, with_seed=12, truncate=True)
    other = await snapshot(db)
    assert {r[0] for r in other["customers"]}.isdisjoint(r[0] for r in first["customers"])


def test_generation_does_not_depend_on_string_hashing() -> None:
    """Same rows in fresh interpreters with different hash seeds as in this one."""
    code = (
        "import hashlib; from sql import seed_data as d; "
        "rows = [list(t.rows) for t in d.tables(d.Scale(20, 5, 60, 40), seed=5)]; "
        "print(hashlib.sha256(repr(rows).encode()).hexdigest())"
    )
    rows = [list(t.rows) for t in seed_data.tables(seed_data.Scale(20, 5, 60, 40), seed=5)]
    here = hashlib.sha256(repr(rows).encode()).hexdigest()
    root = Path(__file__).resolve().parents[2]
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True
        )
        assert done.stdout.strip() == here, done.stderr


async def test_orders_are_consistent_with_their_lines_and_products(db: Database) -> None:
    await load(db, seed_data.Scale(customers=40, categories=8, products=150, orders=400))
    per_order = await db.fetch(
        """
        SELECT o.total, count(l.id) AS lines, count(DISTINCT l.product_id) AS products,
               min(l.position) AS first, max(l.position) AS last,
               sum(l.quantity * l.unit_price) AS sum, min(l.quantity) AS qmin,
               max(l.quantity) AS qmax
        FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id GROUP BY o.id
        """
    )
    assert len(per_order) == 400
    for o in per_order:
        assert 1 <= o["lines"] <= 5
        assert o["products"] == o["lines"]
        assert (o["first"], o["last"]) == (1, o["lines"])
        assert o["total"] == o["sum"]
        assert 1 <= o["qmin"] <= o["qmax"] <= 5
    mismatched = await db.fetchval(
        """
        SELECT count(*) FROM order_lines l JOIN products p ON p.id = l.product_id
        JOIN orders o ON o.id = l.order_id
        WHERE l.unit_price <> p.price OR l.created_at <> o.placed_at
           OR p.created_at > o.placed_at OR p.deleted_at <= o.placed_at
        """
    )
    assert mismatched == 0
    assert (
        await db.fetchval(
            "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
            "WHERE o.placed_at < c.created_at"
        )
        == 0
    )


async def test_order_status_fits_its_age_and_timestamps(db: Database) -> None:
    await load(db, seed_data.Scale(customers=40, categories=8, products=150, orders=400))
    orders = await db.fetch(
        "SELECT number, status::text, rev, placed_at, paid_at, shipped_at, cancelled_at, "
        "created_at, updated_at FROM orders ORDER BY number"
    )
    assert [o["number"] for o in orders] == list(range(1001, 1401))
    base = seed_data.BASE_TIME
    placed = [o["placed_at"] for o in orders]
    assert placed == sorted(placed), "numbers follow the order in which orders were placed"
    for o in orders:
        steps = [o[k] for k in ("paid_at", "shipped_at", "cancelled_at") if o[k] is not None]
        assert o["rev"] == 1 + len(steps)
        assert o["created_at"] == o["placed_at"]
        assert o["updated_at"] == max(steps, default=o["placed_at"]) <= base
        if o["paid_at"] is not None:
            assert o["paid_at"] >= o["placed_at"]
        if o["shipped_at"] is not None:
            assert o["shipped_at"] >= o["paid_at"]
        if o["cancelled_at"] is not None:
            assert o["cancelled_at"] >= (o["paid_at"] or o["placed_at"])
        if (base - o["placed_at"]).days >= 7:
            assert o["status"] in ("SHIPPED", "CANCELLED")
    statuses = {o["status"] for o in orders}
    assert {"SHIPPED", "CANCELLED"} <= statuses


async def test_catalogue_and_customers_look_real(db: Database) -> None:
    await load(db, seed_data.Scale(customers=300, categories=60, products=500, orders=0))
    emails = [r[0] for r in await db.fetch("SELECT email FROM customers")]
    assert len(set(emails)) == 300
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+(\.\d+)?@[a-z.]+\.(com|net|org)", e) for e in emails)
    names = [r[0] for r in await db.fetch("SELECT name FROM categories")]
    assert len({n.lower() for n in names}) == 60
    products = await db.fetch(
        "SELECT sku, name, description, price, stock, rev, created_at, updated_at, deleted_at "
        "FROM products"
    )
    assert len({p["sku"] for p in products}) == 500
    assert all(re.fullmatch(r"[A-Z0-9-]{3,32}", p["sku"]) for p in products)
    prices = [p["price"] for p in products]
    assert all(Decimal("0.99") <= p <= Decimal("999.99") for p in prices)
    assert all(p.as_tuple().exponent == -2 for p in prices)
    assert min(prices) < 10
    assert max(prices) > 100
    assert all(0 <= p["stock"] <= 500 for p in products)
    assert any(p["stock"] == 0 for p in products)
    assert 0 < sum(p["description"] is None for p in products) < 250
    deleted = [p for p in products if p["deleted_at"] is not None]
    assert 0 < len(deleted) < 25
    for p in products:
        assert p["created_at"] <= p["updated_at"] <= seed_data.BASE_TIME
        assert (p["rev"] > 1) == (p["updated_at"] > p["created_at"])
    assert all(p["deleted_at"] == p["updated_at"] for p in deleted)


async def test_later_orders_get_fresh_numbers(db: Database) -> None:
    await load(db)
    customer = await db.fetchval("SELECT id FROM customers LIMIT 1")
    number = await db.fetchval(
        "INSERT INTO orders (customer_id) VALUES ($1) RETURNING number", customer
    )
    assert number == 1001 + SMALL.orders


async def test_no_orders_leaves_numbering_at_its_start(db: Database) -> None:
    await load(db, seed_data.Scale(customers=2, categories=1, products=1, orders=0))
    customer = await db.fetchval("SELECT id FROM customers LIMIT 1")
    number = await db.fetchval(
        "INSERT INTO orders (customer_id) VALUES ($1) RETURNING number", customer
    )
    assert number == 1001


async def test_refuses_a_database_with_documents_unless_truncating(db: Database) -> None:
    await db.execute("INSERT INTO categories (name) VALUES ('Hand-made')")
    with pytest.raises(seed.NotEmpty):
        await load(db)
    assert [r[0] for r in await db.fetch("SELECT name FROM categories")] == ["Hand-made"]
    await load(db, truncate=True)
    assert await db.fetchval("SELECT count(*) FROM categories WHERE name = 'Hand-made'") == 0
    assert await db.fetchval("SELECT count(*) FROM categories") == SMALL.categories


async def test_a_failure_halfway_writes_nothing(db: Database) -> None:
    def fail_on_orders(table: str, done: int, total: int) -> None:
        if table == "orders":
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        await load(db, progress=fail_on_orders)
    assert await seed.is_empty(db)


def test_scale_refuses_impossible_sizes() -> None:
    with pytest.raises(ValueError, match="negative"):
        seed.Scale(customers=-1, categories=1, products=1, orders=1)
    with pytest.raises(ValueError, match="category"):
        seed.Scale(customers=1, categories=0, products=1, orders=0)
    with pytest.raises(ValueError, match="customer"):
        seed.Scale(customers=0, categories=1, products=1, orders=1)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_one_line_per_table_off_a_terminal() -> None:
    out = io.StringIO()
    bars = ProgressBars(out)
    for done in (0, 5000, 10000, 12000):
        bars.update("orders", done, 12000)
    bars.update("empty", 0, 0)
    bars.update("empty", 0, 0)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 2
    assert re.match(r"orders +12,000 rows in +[\d.]+ s \([\d,]+ rows/s\)", lines[0])
    assert re.match(r"empty +0 rows", lines[1])


def test_progress_redraws_in_place_on_a_terminal() -> None:
    out = Terminal()
    bars = ProgressBars(out)
    bars.update("orders", 0, 100)
    bars.drawn = 0.0  # the next redraw is due now
    bars.update("orders", 50, 100)
    bars.update("orders", 100, 100)
    shown = out.getvalue()
    assert shown.count("\n") == 1
    assert shown.endswith("rows/s)\n")
    assert "[###############...............]  50% 50/100 rows" in shown
    bars.update("products", 0, 10)
    bars.abandon()  # a failure ends the unfinished bar's line before its message
    assert out.getvalue().endswith("0/10 rows 0 rows/s\n")


@pytest.fixture
async def empty_database(server_url: str) -> AsyncIterator[str]:
    async with scratch_database(server_url, prefix="sf_seed") as url:
        yield url


def test_command_line_seeds_refuses_and_truncates(
    empty_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sync on purpose: the command runs its own event loop."""
    monkeypatch.setenv("DATABASE_URL", empty_database)
    command = ["seed", "--customers", "10", "--categories", "3", "--products", "30"]
    command += ["--orders", "20", "--seed", "4"]
    assert main(command) == 0
    shown = capsys.readouterr().err
    for table, rows in (("customers", 10), ("categories", 3), ("products", 30), ("orders", 20)):
        assert re.search(rf"^{table} +{rows} rows in .* rows/s\)$", shown, re.MULTILINE)
    assert re.search(r"^total +\d+ rows in .* rows/s\)$", shown, re.MULTILINE)
    assert main(command) == 1
    assert "pass --truncate" in capsys.readouterr().err
    assert main([*command, "--truncate"]) == 0
    assert main(["seed", "--orders", "-1"]) == 2
    assert "negative" in capsys.readouterr().err
