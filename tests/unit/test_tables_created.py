"""The tables each test starts without are read from the migrations, however a migration
spells its CREATE TABLE."""

from __future__ import annotations

from tests.conftest import DOMAIN_TABLES, FEED_TABLES, tables_created


def test_every_spelling_of_create_table_is_read() -> None:
    sql = """
    CREATE TABLE products (id uuid);
    create table if not exists Reviews (id uuid);
    CREATE TABLE public.categories (id uuid);
    CREATE UNLOGGED TABLE IF NOT EXISTS "public"."Odd Name" (id uuid);
    -- CREATE INDEX is not a table
    CREATE INDEX products_sku ON products (sku);
    """
    assert tables_created(sql) == ["products", "reviews", "categories", "Odd Name"]


def test_the_migrations_tables_are_found() -> None:
    assert {"products", "categories", "reviews"} <= set(DOMAIN_TABLES)
    assert not FEED_TABLES & set(DOMAIN_TABLES)
