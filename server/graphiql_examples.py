"""GraphiQL's example operations, one `.graphql` file each in `server/graphiql/examples/`.

A file begins with a comment line that says what it shows, then `# viewer: ROLE ...` with
ROLE `anonymous`, `customer` or `staff`: who the tab runs as. Files open as tabs in name
order on a browser's first visit (GraphiQL keeps the user's tabs after that). Adding an
example, a subscription included, is adding a file.

Ids and revs change as people write, so a required variable without a default whose name
is one of `FACTS` is filled from the data at hand when the page is made; then the first run
of every tab does what its comment says. In development each tab's headers carry the token
of its viewer (`server.dev_tokens`); in production no token is ever put in the page.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from graphql import NonNullTypeNode, OperationDefinitionNode, parse

from engine.node_ids import to_global_id
from server.dev_tokens import DevTokens, dev_tokens
from server.settings import Settings
from sql.demo import DemoCustomer, DemoProduct, demo_customer, products_in_stock
from sql.pool import Executor

log = logging.getLogger("storefront.graphiql")

EXAMPLES_DIR = Path(__file__).parent / "graphiql" / "examples"
VIEWER_PREFIX = "# viewer: "

Role = Literal["anonymous", "customer", "staff"]


class ExampleError(Exception):
    """An example file does not follow the format above."""


@dataclass(frozen=True, slots=True)
class Example:
    name: str  # the file's stem
    title: str  # the first comment line, without '#'
    viewer: Role
    text: str
    operation: str  # query, mutation or subscription
    operation_name: str | None  # GraphiQL's title for the tab
    facts: tuple[str, ...]  # variables filled from the data (see FACTS)


@dataclass(frozen=True, slots=True)
class Facts:
    """Values of the data at hand that examples' variables name."""

    customer: DemoCustomer | None
    products: tuple[DemoProduct, ...]  # live, in stock, at least two when the data has them

    def values(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.customer is not None:
            found["customerId"] = to_global_id("Customer", self.customer.id)
        if self.products:
            found["productId"] = to_global_id("Product", self.products[0].id)
            found["productRev"] = self.products[0].rev
        if len(self.products) > 1:
            found["otherProductId"] = to_global_id("Product", self.products[1].id)
        return found


FACTS = ("customerId", "productId", "productRev", "otherProductId")
PRODUCTS_NEEDED = 2


@functools.cache
def examples(folder: Path = EXAMPLES_DIR) -> tuple[Example, ...]:
    return tuple(read_example(path) for path in sorted(folder.glob("*.graphql")))


def read_example(path: Path) -> Example:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if len(lines) < 2 or not lines[0].startswith("# ") or not lines[1].startswith(VIEWER_PREFIX):
        raise ExampleError(
            f"{path.name}: begin with '# what this shows', then '{VIEWER_PREFIX}ROLE'"
        )
    viewer = lines[1].removeprefix(VIEWER_PREFIX).split(" ", 1)[0]
    if viewer not in get_args(Role):
        raise ExampleError(f"{path.name}: the viewer is one of {', '.join(get_args(Role))}")
    operations = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        raise ExampleError(f"{path.name}: one operation per example, not {len(operations)}")
    [operation] = operations
    required = tuple(
        d.variable.name.value
        for d in operation.variable_definitions or ()
        if isinstance(d.type, NonNullTypeNode) and d.default_value is None
    )
    unknown = [name for name in required if name not in FACTS]
    if unknown:
        raise ExampleError(
            f"{path.name}: ${', $'.join(unknown)} needs a default (only {', '.join(FACTS)} "
            "are filled in)"
        )
    return Example(
        name=path.stem,
        title=lines[0].removeprefix("# "),
        viewer=viewer,  # type: ignore[arg-type]  # checked against Role above
        text=text,
        operation=operation.operation.value,
        operation_name=operation.name.value if operation.name else None,
        facts=required,
    )


def headers(role: Role, tokens: DevTokens | None) -> str | None:
    """The header editor's text for a viewer: its development token, when there is one."""
    token = None
    if tokens is not None:
        token = {"staff": tokens.staff, "customer": tokens.customer}.get(role)
    if token is None:
        return None
    return json.dumps({"Authorization": f"Bearer {token}"}, indent=2)


def tabs(
    found: tuple[Example, ...], facts: Facts, tokens: DevTokens | None
) -> list[dict[str, str | None]]:
    """GraphiQL's `defaultTabs`: each example with its variables and headers."""
    values = facts.values()
    result = []
    for example in found:
        variables = {name: values.get(name) for name in example.facts}
        result.append(
            {
                "query": example.text,
                "variables": json.dumps(variables, indent=2) if variables else None,
                # Empty, not absent: GraphiQL gives a tab without headers the default ones.
                "headers": headers(example.viewer, tokens) or "",
            }
        )
    return result


async def page_setup(settings: Settings, executor: Executor) -> dict[str, Any]:
    """What the page hands GraphiQL: the example tabs, and the headers of a new tab."""
    try:
        tokens = await dev_tokens(settings, executor)
        customer = tokens.demo_customer if tokens is not None else await demo_customer(executor)
        products = await products_in_stock(executor, limit=PRODUCTS_NEEDED)
    except Exception:  # the database is away: the examples still open, without its values
        log.warning("GraphiQL's examples open without values from the database", exc_info=True)
        tokens, customer, products = None, None, []
    return {
        "tabs": tabs(examples(), Facts(customer, tuple(products)), tokens),
        "headers": headers("staff", tokens),
        # Tabs keep their tokens across visits; headers are never kept without tokens here.
        "persistHeaders": tokens is not None,
    }
