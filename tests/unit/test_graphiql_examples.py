"""GraphiQL's examples: each is valid against the schema, says what it shows and who runs
it, and the README shows the same text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from gql.schema import schema
from server.graphiql_examples import (
    FACTS,
    ExampleError,
    Facts,
    examples,
    headers,
    read_example,
    tabs,
)
from sql.demo import DemoCustomer, DemoProduct

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_there_is_an_example_of_each_kind_the_store_teaches() -> None:
    found = examples()
    assert [(e.name, e.operation, e.viewer) for e in found[:4]] == [
        ("1-product-page", "query", "anonymous"),
        ("2-customer-orders", "query", "customer"),
        ("3-update-product", "mutation", "staff"),
        ("4-place-order", "mutation", "customer"),
    ]
    assert all(e.title and not e.title.startswith("#") for e in found)
    assert all(e.operation_name for e in found)


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_every_example_is_valid_against_the_schema(example: object) -> None:
    from server.graphiql_examples import Example

    assert isinstance(example, Example)
    assert validate(schema._schema, parse(example.text)) == []
    assert set(example.facts) <= set(FACTS)


def test_the_readme_shows_the_examples_as_they_are() -> None:
    section = README.split("\n## GraphiQL\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```graphql\n(.*?)```", section, flags=re.S)
    texts = {e.text: e.name for e in examples()}
    assert blocks, "the GraphiQL section shows examples"
    for block in blocks:
        assert block in texts, f"not an example file's text:\n{block}"
    for example in examples()[:4]:
        assert f"`{example.operation_name}`" in section, f"{example.name} is not listed"


def test_every_graphql_block_of_the_readme_is_valid_against_the_schema() -> None:
    for block in re.findall(r"```graphql\n(.*?)```", README, flags=re.S):
        assert validate(schema._schema, parse(block)) == [], block


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("query Q { __typename }\n", "begin with"),
        ("# Shows.\nquery Q { __typename }\n", "begin with"),
        ("# Shows.\n# viewer: admin\nquery Q { __typename }\n", "the viewer is one of"),
        ("# Shows.\n# viewer: staff\nquery A { __typename }\nquery B { __typename }\n", "one"),
        ("# Shows.\n# viewer: staff\nquery Q($n: Int!) { __typename }\n", r"\$n needs a default"),
    ],
)
def test_a_file_out_of_format_is_refused_with_the_reason(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "bad.graphql"
    path.write_text(text)
    with pytest.raises(ExampleError, match=problem):
        read_example(path)


def test_a_subscription_example_is_one_more_file(tmp_path: Path) -> None:
    (tmp_path / "5-watch.graphql").write_text(
        "# Watch a product.\n# viewer: anonymous\n"
        "subscription Watch($productId: ID!) { productChanged(id: $productId) { kind } }\n"
    )
    [watch] = examples(tmp_path)
    assert (watch.operation, watch.facts) == ("subscription", ("productId",))


def test_tabs_fill_facts_and_carry_the_viewers_tokens() -> None:
    from uuid import UUID

    from server.dev_tokens import DevTokens

    customer = DemoCustomer(UUID(int=1), "a@example.com", "A", 3)
    products = (DemoProduct(UUID(int=2), 4, "S-1", 9), DemoProduct(UUID(int=3), 1, "S-2", 5))
    tokens = DevTokens(staff="staff-token", customer="customer-token", demo_customer=customer)
    by_name = {
        e.name: t
        for e, t in zip(
            examples(), tabs(examples(), Facts(customer, products), tokens), strict=True
        )
    }

    assert by_name["1-product-page"]["variables"] is None
    assert by_name["1-product-page"]["headers"] == ""  # anonymous, and not the default headers
    assert "customer-token" in (by_name["2-customer-orders"]["headers"] or "")
    update = by_name["3-update-product"]
    assert '"productRev": 4' in (update["variables"] or "")
    assert "staff-token" in (update["headers"] or "")
    # Production: no tokens anywhere, facts still filled.
    bare = tabs(examples(), Facts(customer, products), None)
    assert all(tab["headers"] == "" for tab in bare)
    assert "Q3VzdG9tZXI6" in (bare[3]["variables"] or "")  # base64 of "Customer:"
    assert headers("staff", None) is None
