"""Generated customers, categories and products: small, built up front, kept for the
orders that refer to them (`sql.seed_orders`).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from random import Random
from uuid import UUID

from sql.seed_clock import DAY, LAUNCH_FROM, LAUNCH_TO, SPAN, at, at_or_none, later, new_uuid
from sql.seed_words import (
    ADJECTIVES,
    BLURBS,
    DEPARTMENTS,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    MATERIALS,
    QUALIFIERS,
    ascii_word,
)

Row = tuple[object, ...]

_PRICE_ENDINGS = (99, 99, 99, 49, 95, 0)
_MIN_LOG_PRICE, _MAX_LOG_PRICE = math.log(0.99), math.log(999.99)


class Customers:
    def __init__(self, rng: Random, count: int) -> None:
        self.ids: list[UUID] = []
        self.created = array("q")
        self.rows: list[Row] = []
        taken: dict[str, int] = {}
        for _ in range(count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            # first.last@, then first.last.2@ ...: the suffix keeps emails unique, and base
            # local parts hold no digits, so a suffixed one never meets a plain one.
            local = f"{ascii_word(first)}.{ascii_word(last)}".lower()
            taken[local] = seen = taken.get(local, 0) + 1
            if seen > 1:
                local = f"{local}.{seen}"
            email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
            # Sign-ups grow over time: skew towards the recent end.
            created = LAUNCH_TO + int(rng.random() ** 0.7 * (SPAN - LAUNCH_TO - DAY))
            rev, updated = (2, later(rng, created)) if rng.random() < 0.15 else (1, created)
            customer_id = new_uuid(rng)
            self.ids.append(customer_id)
            self.created.append(created)
            self.rows.append(
                (customer_id, rev, email, f"{first} {last}", at(created), at(updated), None)
            )


@dataclass(frozen=True, slots=True)
class _Category:
    id: UUID
    name: str
    code: str
    nouns: tuple[str, ...]
    log_price: float
    """Where this category's prices centre, on a log scale: tea tins cost less than tents."""


class Categories:
    def __init__(self, rng: Random, count: int) -> None:
        self.items: list[_Category] = []
        self.rows: list[Row] = []
        for name, code, nouns in _category_names(rng, count):
            category = _Category(new_uuid(rng), name, code, nouns, rng.uniform(1.5, 5.3))
            description = None
            if rng.random() < 0.8:
                description = f"{name}: {', '.join(nouns[:-1])} and {nouns[-1]}."
            created = int(rng.random() * LAUNCH_FROM)
            self.items.append(category)
            self.rows.append((category.id, 1, name, description, at(created), at(created), None))


def _category_names(rng: Random, count: int) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """Unique (case-insensitively) names: departments, then qualified ones, then numbered."""
    departments = list(DEPARTMENTS.items())
    rng.shuffle(departments)
    qualified = [
        (qualifier, department, nouns)
        for qualifier in QUALIFIERS
        for department, nouns in departments
        if qualifier.lower() not in department.lower()
    ]
    rng.shuffle(qualified)
    named = [(d, ascii_word(d)[:3].upper(), n) for d, n in departments]
    named += [
        (f"{q} {d}", (ascii_word(q)[:1] + ascii_word(d)[:2]).upper(), n) for q, d, n in qualified
    ]
    for index in range(count):
        name, code, nouns = named[index % len(named)]
        if index >= len(named):
            name = f"{name} {index // len(named) + 1}"
        yield name, code, nouns


class Products:
    def __init__(self, rng: Random, count: int, categories: Categories) -> None:
        self.ids: list[UUID] = []
        self.prices: list[Decimal] = []
        self.cents = array("q")
        self.created = array("q")
        self.deleted = array("q")  # SPAN + 1 for live products: they outlive every order
        self.rows: list[Row] = []
        for index in range(count):
            self._add(rng, index, categories.items)

    def _add(self, rng: Random, index: int, categories: list[_Category]) -> None:
        # The first products cover every category once; the rest land anywhere.
        category = categories[index if index < len(categories) else rng.randrange(len(categories))]
        adjective, noun = rng.choice(ADJECTIVES), rng.choice(category.nouns)
        material = rng.choice(MATERIALS) if rng.random() < 0.5 else None
        name = " ".join(w for w in (adjective, material, noun) if w)
        sku = f"{category.code}-{ascii_word(noun)[:3].upper()}-{index + 1:05d}"
        log_price = category.log_price + rng.gauss(0.0, 0.7)
        log_price = min(max(log_price, _MIN_LOG_PRICE), _MAX_LOG_PRICE)
        cents = min(max(int(math.exp(log_price)) * 100 + rng.choice(_PRICE_ENDINGS), 99), 99_999)
        stock = 0 if rng.random() < 0.04 else min(1 + int(rng.random() ** 2 * 500), 500)
        launch = index == 0 or rng.random() < 0.5
        created = LAUNCH_FROM + int(
            rng.random() * ((LAUNCH_TO if launch else SPAN - DAY) - LAUNCH_FROM)
        )
        rev, updated = 1, created
        if rng.random() < 0.3:
            rev, updated = 1 + rng.randint(1, 3), later(rng, created)
        deleted = None
        # Product 0 never goes: it guarantees every order some product on sale.
        if index and rng.random() < 0.01:
            rev, deleted = rev + 1, later(rng, updated)
            updated = deleted
        description = _description(rng, adjective, material, noun, category.name)
        price = Decimal(cents).scaleb(-2)
        product_id = new_uuid(rng)
        self.ids.append(product_id)
        self.prices.append(price)
        self.cents.append(cents)
        self.created.append(created)
        self.deleted.append(SPAN + 1 if deleted is None else deleted)
        self.rows.append((
            product_id, rev, sku, name, description, price, stock, category.id,
            at(created), at(updated), at_or_none(deleted),
        ))  # fmt: skip


def _description(
    rng: Random, adjective: str, material: str | None, noun: str, category: str
) -> str | None:
    if rng.random() < 0.15:
        return None
    noun = " ".join(w if w.isupper() else w.lower() for w in noun.split())
    what = f"{adjective.lower()} {noun}" + (f" in {material.lower()}" if material else "")
    article = "An" if what[0] in "aeiou" else "A"
    extra = rng.sample(BLURBS, 2)
    return f"{article} {what}. {extra[0]} {extra[1]}".replace("{category}", category.lower())
