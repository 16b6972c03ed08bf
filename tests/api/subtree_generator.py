"""Queries down the relations of orders: lines, products, categories and customers, with
mostly plain fields under them, for the differential tests of what the database renders
(`sql.rendered`). The general generator (`query_generator`) draws from every field, so its
subtrees seldom hold plain fields (and global ids) alone; these do most of the time, and now
and then one field that is not rendered (a time, an enum, a computed or counted figure) is mixed
in, so a subtree goes back to being read row by row. Aliases, `__typename`, inline
fragments and `@include`/`@skip` (literal or variables) appear at every level."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.api.query_generator import GeneratedQuery

# By type: the fields the database can render, the others, and the relations.
RENDERED = {
    "Order": ["number", "total", "rev", "id"],
    "OrderLine": ["quantity", "unitPrice", "id"],
    "Product": ["sku", "name", "description", "price", "stock", "rev", "id"],
    "Category": ["name", "description", "rev", "id"],
    "Customer": ["name", "email", "rev", "id"],
}
OTHERS = {
    "Order": ["status", "placedAt", "paidAt"],
    "OrderLine": ["subtotal"],
    "Product": ["createdAt"],
    "Category": ["productCount", "deletedAt"],
    "Customer": ["orderCount", "totalSpent"],
}
RELATIONS = {
    "Order": {"customer": "Customer", "lines": "OrderLine"},
    "OrderLine": {"product": "Product", "order": "Order"},
    "Product": {"category": "Category"},
    "Category": {},
    "Customer": {},
}


@dataclass
class _Builder:
    draw: st.DrawFn
    ids: list[str]
    declarations: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    serial: int = 0

    def chance(self, percent: int) -> bool:
        return bool(self.draw(st.integers(0, 99)) >= 100 - percent)

    def fresh(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def directives(self) -> str:
        if not self.chance(20):
            return ""
        name = self.draw(st.sampled_from(["include", "skip"]))
        if self.chance(50):
            value = self.draw(st.sampled_from(["true", "false"]))
        else:
            value = "$" + self.fresh("b")
            self.declarations.append(f"{value}: Boolean!")
            self.variables[value[1:]] = self.draw(st.booleans())
        return f" @{name}(if: {value})"

    def selection(self, type_name: str, depth: int) -> str:
        items = [self.item(type_name, depth) for _ in range(self.draw(st.integers(1, 4)))]
        return "{ " + " ".join(items) + " }"

    def item(self, type_name: str, depth: int) -> str:
        kind = self.draw(st.integers(0, 19))
        relations = RELATIONS[type_name] if depth < 4 else {}
        if kind == 0:
            return "__typename" + self.directives()
        if kind == 1:
            head = self.draw(st.sampled_from(["...", f"... on {type_name}"]))
            return f"{head}{self.directives()} {self.selection(type_name, depth)}"
        alias = f"{self.fresh('a')}: " if self.chance(20) else ""
        if relations and kind >= 12:
            # Mostly relations down the tree: a line's order (a type read above) keeps the
            # plan from rendering at all (`engine.compiled.rendering.settle`).
            names = [n for n in sorted(relations) if n != "order"] or sorted(relations)
            name = self.draw(st.sampled_from(sorted(relations) if self.chance(10) else names))
            below = self.selection(relations[name], depth + 1)
            return f"{alias}{name}{self.directives()} {below}"
        fields = RENDERED[type_name] if not self.chance(8) else OTHERS[type_name]
        return f"{alias}{self.draw(st.sampled_from(fields))}{self.directives()}"

    def root(self) -> str:
        which = self.draw(st.integers(0, 3))
        if which == 0:
            first = self.draw(st.sampled_from([1, 2, 5, 50]))
            return f"orders(first: {first}) {{ nodes {self.selection('Order', 1)} }}"
        if which == 1:
            return f"orders {{ edges {{ node {self.selection('Order', 1)} }} }}"
        if which == 2:
            order_id = self.draw(st.sampled_from(self.ids))
            return f'order(id: "{order_id}") {self.selection("Order", 1)}'
        return f"products(first: 3) {{ nodes {self.selection('Product', 2)} }}"


def subtree_queries(order_ids: list[str]) -> st.SearchStrategy[GeneratedQuery]:
    """Queries from the order roots (`order_ids`: global ids to read single orders by)."""

    @st.composite
    def generate(draw: st.DrawFn) -> GeneratedQuery:
        builder = _Builder(draw, order_ids)
        count = 2 if builder.chance(15) else 1
        roots = " ".join(f"{builder.fresh('r')}: {builder.root()}" for _ in range(count))
        head = f"query Q({', '.join(builder.declarations)}) " if builder.declarations else ""
        return GeneratedQuery(f"{head}{{ {roots} }}", builder.variables, None)

    return generate()
