"""Which requests to `/graphql` get GraphiQL: those whose Accept ranks HTML above JSON."""

from __future__ import annotations

import pytest

from engine.http_params import prefers_html

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("text/html;q=0.9, */*;q=0.1", True),
        ("*/*", False),
        ("", False),
        ("application/json", False),
        ("application/json, text/html;q=0.5", False),
        ("text/html, application/json", False),  # a tie goes to JSON
        ("text/html;q=0.5, application/graphql-response+json", False),
        ("text/html;q=0", False),
        ("text/*, application/json;q=0.5", True),
    ],
)
def test_html_is_chosen_only_when_ranked_above_json(accept: str, html: bool) -> None:
    assert prefers_html(accept) is html
