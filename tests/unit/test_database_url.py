"""Every command says which database it uses, whole but for secrets."""

from __future__ import annotations

import logging

import pytest

from server.database import database_url, redacted
from server.settings import Settings


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://shop:s3cret@db.example:5432/store",
            "postgresql://shop:***@db.example:5432/store",
        ),
        (
            "postgresql://shop@db.example/store?password=s3cret",
            "postgresql://shop@db.example/store",
        ),
        ("postgresql://127.0.0.1:5432/store", "postgresql://127.0.0.1:5432/store"),
        ("postgresql://a%40b:p%3Aw@h/d", "postgresql://a%40b:***@h/d"),
    ],
)
def test_passwords_never_reach_the_log(url: str, shown: str) -> None:
    assert redacted(url) == shown


def test_a_configured_database_is_named_with_its_database(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "postgresql://shop:s3cret@db.example:5432/store"
    with (
        caplog.at_level(logging.INFO, logger="storefront"),
        database_url(Settings(database_url=url)) as given,
    ):
        assert given == url
    assert "database: postgresql://shop:***@db.example:5432/store" in caplog.text
    assert "s3cret" not in caplog.text
