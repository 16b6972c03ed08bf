"""Generated store data: deterministic, realistic rows in each table's COPY column order.

Pure Python, no database. The same seed and scale give the same rows: every value comes from
RNGs seeded with (seed, table), and times count back from a fixed instant rather than now().
Customers, categories and products are small and built up front; orders and their lines are
planned compactly (integers in arrays) and turned into rows lazily, so memory stays flat.
"""

from __future__ import annotations

import math
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from random import Random
from uuid import UUID

Row = tuple[object, ...]

BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
"""The generated store's "now": every timestamp lies in the two years before it."""

DAY = 86_400
SPAN = 730 * DAY
START = BASE_TIME - timedelta(seconds=SPAN)
# Times are whole seconds after START. The catalogue opens in the first weeks, before any
# customer exists, so every order finds products that were already on sale when it was placed.
LAUNCH_FROM, LAUNCH_TO = 7 * DAY, 37 * DAY
FIRST_ORDER_NUMBER = 1001

# Weighted choices as lookup tables indexed by int(random() * 100): cheaper than choices().
_LINES_PER_ORDER = [1] * 15 + [2] * 25 + [3] * 25 + [4] * 20 + [5] * 15  # mean 2.95
_QUANTITY = [1] * 62 + [2] * 24 + [3] * 8 + [4] * 4 + [5] * 2
_PRICE_ENDINGS = (99, 99, 99, 49, 95, 0)
_MIN_LOG_PRICE, _MAX_LOG_PRICE = math.log(0.99), math.log(999.99)


@dataclass(frozen=True, slots=True)
class Scale:
    """How many documents of each kind to generate; order lines follow from orders (1-5)."""

    customers: int
    categories: int
    products: int
    orders: int

    def __post_init__(self) -> None:
        if min(self.customers, self.categories, self.products, self.orders) < 0:
            raise ValueError("sizes must not be negative")
        if self.products and not self.categories:
            raise ValueError("products need at least one category")
        if self.orders and not (self.customers and self.products):
            raise ValueError("orders need at least one customer and one product")


@dataclass(frozen=True, slots=True)
class Table:
    """One table's rows, in `columns` order; `rows` may be a generator, read it once."""

    name: str
    columns: tuple[str, ...]
    count: int
    rows: Iterable[Row]


def tables(scale: Scale, *, seed: int) -> list[Table]:
    """Every domain table's generated rows, parents before children."""
    customers = _Customers(_rng(seed, "customers"), scale.customers)
    categories = _Categories(_rng(seed, "categories"), scale.categories)
    products = _Products(_rng(seed, "products"), scale.products, categories)
    plan = _OrderPlan(_rng(seed, "orders"), scale.orders, customers, products)
    return [
        Table("customers", CUSTOMER_COLUMNS, len(customers.rows), customers.rows),
        Table("categories", CATEGORY_COLUMNS, len(categories.rows), categories.rows),
        Table("products", PRODUCT_COLUMNS, len(products.rows), products.rows),
        Table("orders", ORDER_COLUMNS, scale.orders, plan.orders(_rng(seed, "status"))),
        Table("order_lines", LINE_COLUMNS, plan.line_count, plan.lines(_rng(seed, "lines"))),
    ]


def _rng(seed: int, stream: str) -> Random:
    """One generator per stream, so changing how one table is made leaves the others alone.
    Seeding with a string hashes it with SHA-512: stable across runs and PYTHONHASHSEED."""
    return Random(f"{seed}/{stream}")  # noqa: S311 - reproducible on purpose, not secret


CUSTOMER_COLUMNS = ("id", "rev", "email", "name", "created_at", "updated_at", "deleted_at")
CATEGORY_COLUMNS = ("id", "rev", "name", "description", "created_at", "updated_at", "deleted_at")
PRODUCT_COLUMNS = (
    *("id", "rev", "sku", "name", "description", "price", "stock", "category_id"),
    *("created_at", "updated_at", "deleted_at"),
)
ORDER_COLUMNS = (
    *("id", "rev", "number", "status", "customer_id", "total", "placed_at", "paid_at"),
    *("shipped_at", "cancelled_at", "created_at", "updated_at", "deleted_at"),
)
LINE_COLUMNS = ("id", "order_id", "position", "product_id", "quantity", "unit_price", "created_at")


def _uuid(rng: Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def _at(second: int) -> datetime:
    return START + timedelta(seconds=second)


def _at_or_none(second: int | None) -> datetime | None:
    return None if second is None else _at(second)


def _later(rng: Random, after: int) -> int:
    """A uniformly random second between `after` and the base time."""
    return after + int(rng.random() * (SPAN - after))


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded if c.isalnum())


class _Customers:
    def __init__(self, rng: Random, count: int) -> None:
        self.ids: list[UUID] = []
        self.created = array("q")
        self.rows: list[Row] = []
        taken: dict[str, int] = {}
        for _ in range(count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            # first.last@, then first.last.2@ ...: the suffix keeps emails unique, and base
            # local parts hold no digits, so a suffixed one never meets a plain one.
            local = f"{_ascii(first)}.{_ascii(last)}".lower()
            taken[local] = seen = taken.get(local, 0) + 1
            if seen > 1:
                local = f"{local}.{seen}"
            email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
            # Sign-ups grow over time: skew towards the recent end.
            created = LAUNCH_TO + int(rng.random() ** 0.7 * (SPAN - LAUNCH_TO - DAY))
            rev, updated = (2, _later(rng, created)) if rng.random() < 0.15 else (1, created)
            customer_id = _uuid(rng)
            self.ids.append(customer_id)
            self.created.append(created)
            self.rows.append(
                (customer_id, rev, email, f"{first} {last}", _at(created), _at(updated), None)
            )


@dataclass(frozen=True, slots=True)
class _Category:
    id: UUID
    name: str
    code: str
    nouns: tuple[str, ...]
    log_price: float
    """Where this category's prices centre, on a log scale: tea tins cost less than tents."""


class _Categories:
    def __init__(self, rng: Random, count: int) -> None:
        self.items: list[_Category] = []
        self.rows: list[Row] = []
        for name, code, nouns in _category_names(rng, count):
            category = _Category(_uuid(rng), name, code, nouns, rng.uniform(1.5, 5.3))
            description = None
            if rng.random() < 0.8:
                description = f"{name}: {', '.join(nouns[:-1])} and {nouns[-1]}."
            created = int(rng.random() * LAUNCH_FROM)
            self.items.append(category)
            self.rows.append((category.id, 1, name, description, _at(created), _at(created), None))


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
    named = [(d, _ascii(d)[:3].upper(), n) for d, n in departments]
    named += [(f"{q} {d}", (_ascii(q)[:1] + _ascii(d)[:2]).upper(), n) for q, d, n in qualified]
    for index in range(count):
        name, code, nouns = named[index % len(named)]
        if index >= len(named):
            name = f"{name} {index // len(named) + 1}"
        yield name, code, nouns


class _Products:
    def __init__(self, rng: Random, count: int, categories: _Categories) -> None:
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
        sku = f"{category.code}-{_ascii(noun)[:3].upper()}-{index + 1:05d}"
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
            rev, updated = 1 + rng.randint(1, 3), _later(rng, created)
        deleted = None
        # Product 0 never goes: it guarantees every order some product on sale.
        if index and rng.random() < 0.01:
            rev, deleted = rev + 1, _later(rng, updated)
            updated = deleted
        description = _description(rng, adjective, material, noun, category.name)
        price = Decimal(cents).scaleb(-2)
        product_id = _uuid(rng)
        self.ids.append(product_id)
        self.prices.append(price)
        self.cents.append(cents)
        self.created.append(created)
        self.deleted.append(SPAN + 1 if deleted is None else deleted)
        self.rows.append((
            product_id, rev, sku, name, description, price, stock, category.id,
            _at(created), _at(updated), _at_or_none(deleted),
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


class _OrderPlan:
    """Who ordered what and when, as compact arrays; rows are made on the way to COPY.

    Orders are numbered in the order they were placed, so numbers grow with placed_at.
    """

    def __init__(self, rng: Random, count: int, customers: _Customers, products: _Products) -> None:
        self.customer_ids = customers.ids
        self.products = products
        by_signup = sorted(range(len(customers.ids)), key=customers.created.__getitem__)
        signups = [customers.created[c] for c in by_signup]
        opened = signups[0] if signups else 0
        # Trade grows, so orders thicken towards the base time; numbers follow placed_at.
        self.placed = array(
            "q", sorted(opened + int(rng.random() ** 0.7 * (SPAN - opened)) for _ in range(count))
        )
        # Anyone signed up by then may order: early customers, eligible longest, order most.
        self.customer = array(
            "q", (by_signup[int(rng.random() * bisect_right(signups, t))] for t in self.placed)
        )
        self.order_ids = [_uuid(rng) for _ in range(count)]
        self.line_start = array("q", [0])
        self.line_product = array("q")
        self.line_quantity = array("b")
        on_sale = sorted(range(len(products.ids)), key=products.created.__getitem__)
        launched = [products.created[p] for p in on_sale]
        for placed in self.placed:
            available = bisect_right(launched, placed)
            wanted = _LINES_PER_ORDER[int(rng.random() * 100)]
            for product in self._pick(rng, on_sale, available, wanted, placed):
                self.line_product.append(product)
                self.line_quantity.append(_QUANTITY[int(rng.random() * 100)])
            self.line_start.append(len(self.line_product))
        self.line_count = len(self.line_product)

    def _pick(
        self, rng: Random, on_sale: list[int], available: int, wanted: int, placed: int
    ) -> list[int]:
        """Up to `wanted` distinct products launched and not deleted by `placed`."""
        deleted = self.products.deleted
        picked: list[int] = []
        for _ in range(4 * wanted):
            product = on_sale[int(rng.random() * available)]
            if product not in picked and deleted[product] > placed:
                picked.append(product)
                if len(picked) == wanted:
                    break
        return picked or [0]

    def orders(self, rng: Random) -> Iterator[Row]:
        cents = self.products.cents
        for index, placed in enumerate(self.placed):
            start, end = self.line_start[index], self.line_start[index + 1]
            total = sum(
                self.line_quantity[j] * cents[self.line_product[j]] for j in range(start, end)
            )
            status, paid, shipped, cancelled = _status(rng, placed)
            changes = [t for t in (paid, shipped, cancelled) if t is not None]
            yield (
                self.order_ids[index], 1 + len(changes), FIRST_ORDER_NUMBER + index, status,
                self.customer_ids[self.customer[index]], Decimal(total).scaleb(-2),
                _at(placed), _at_or_none(paid), _at_or_none(shipped), _at_or_none(cancelled),
                _at(placed), _at(max(changes, default=placed)), None,
            )  # fmt: skip

    def lines(self, rng: Random) -> Iterator[Row]:
        ids, prices = self.products.ids, self.products.prices
        for index, order_id in enumerate(self.order_ids):
            created = _at(self.placed[index])
            start, end = self.line_start[index], self.line_start[index + 1]
            for position, j in enumerate(range(start, end), start=1):
                product = self.line_product[j]
                yield (
                    _uuid(rng), order_id, position, ids[product], self.line_quantity[j],
                    prices[product], created,
                )  # fmt: skip


def _status(rng: Random, placed: int) -> tuple[str, int | None, int | None, int | None]:
    """A status for an order of this age, with the timestamps of the path that reached it
    (orders_status_timestamps_check); none of them lies after the base time."""
    age, roll = SPAN - placed, rng.random()
    if age < DAY:
        status = "PENDING" if roll < 0.55 else "PAID" if roll < 0.9 else "CANCELLED"
    elif age < 7 * DAY:
        status = "PENDING" if roll < 0.04 else "PAID" if roll < 0.3 else "SHIPPED"
        status = "CANCELLED" if roll > 0.92 else status
    else:
        status = "SHIPPED" if roll < 0.93 else "CANCELLED"
    if status == "PENDING":
        return status, None, None, None
    paid = None
    if status != "CANCELLED" or rng.random() < 0.35:
        # Most pay within minutes, a few take hours.
        paid = min(placed + 60 + int(rng.random() ** 3 * 6 * 3600), SPAN)
    if status == "PAID":
        return status, paid, None, None
    if status == "SHIPPED":
        assert paid is not None
        return status, paid, min(paid + 7200 + int(rng.random() * 4 * DAY), SPAN), None
    return status, paid, None, min((paid or placed) + int(rng.random() * 3 * DAY), SPAN)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The vocabulary. Names are ASCII-folded for emails, so accents are welcome here.
FIRST_NAMES = _words("""
Ada Aiko Alan Alice Amara Amir Ana Andrei Anna Aylin Ben Bianca Carlos Chen Chloe Chloé Daniel
Dmitri Elena Emma Erik Fatima Felix Grace Hannah Hiro Inès Isaac Ivan Jack James Jana Javier
Jonas Julia Kai Kenji Lara Leo Liam Lina Lucas Lucía Maya Mei Mia Miguel Nadia Noah Nora Olivia
Omar Oscar Paula Pedro Priya Rafael Rosa Ruth Sam Sara Sofia Sven Tariq Theo Tomás Uma Victor
Wei Yara Yusuf Zoë
""")
LAST_NAMES = _words("""
Adams Ahmed Alvarez Andersen Bauer Becker Brown Campbell Chen Costa Cruz Dubois Eriksen Evans
Fernández Fischer Garcia Gomez Gupta Hansen Harris Hoffmann Ito Jensen Johnson Kim Kowalski
Kumar Larsen Laurent Lee Lopez Martin Meyer Moreau Müller Murphy Nakamura Nguyen Novak O'Brien
Okafor Olsen Park Patel Perez Petrov Popescu Quinn Rossi Santos Sato Schmidt Silva Singh Smith
Suzuki Tanaka Taylor Thomas Torres Wagner Walker Wang Weber Williams Wilson Wong Yamamoto Zhang
""")
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
ADJECTIVES = _words("""
Alpine Artisan Bold Classic Coastal Compact Cozy Deluxe Elegant Essential Everyday Foldable
Handmade Heritage Lightweight Minimalist Modern Nordic Organic Portable Premium Retro Rugged
Rustic Signature Sleek Slim Soft Studio Sturdy Urban Vintage
""")
MATERIALS = _words("""
Aluminium Bamboo Brass Canvas Ceramic Copper Cork Cotton Glass Leather Linen Oak Recycled
Silicone Steel Stone Walnut Wool
""")
QUALIFIERS = ("Kids'", "Outdoor", "Travel", "Vintage", "Eco", "Premium", "Compact", "Studio")
BLURBS = (
    "Ships in plastic-free packaging.",
    "Backed by a two-year warranty.",
    "Designed in-house and tested for everyday use.",
    "A customer favourite since launch.",
    "Easy to clean and built to last.",
    "Pairs well with the rest of our {category} range.",
    "Restocked every month.",
    "Made in small batches.",
    "Free returns within 30 days.",
)
DEPARTMENTS: dict[str, tuple[str, ...]] = {
    name.strip(): tuple(n.strip() for n in nouns.split(","))
    for name, nouns in (
        line.split(":")
        for line in """
Kitchen: Kettle, Toaster, Blender, Skillet, Saucepan, Chef's Knife, Cutting Board, Colander
Coffee & Tea: Coffee Grinder, French Press, Teapot, Espresso Cup, Pour-Over Kit, Tea Tin
Tableware: Dinner Plate, Bowl, Mug, Serving Platter, Wine Glass, Cutlery Set
Bedding: Duvet Cover, Pillow, Fitted Sheet, Throw Blanket, Quilt, Mattress Topper
Bath: Bath Towel, Bath Mat, Shower Curtain, Soap Dish, Bathrobe, Toothbrush Holder
Lighting: Desk Lamp, Floor Lamp, Pendant Light, LED Strip, Night Light, Lantern
Furniture: Armchair, Bookshelf, Side Table, Stool, Desk, Coat Rack
Home Decor: Vase, Picture Frame, Wall Clock, Candle Holder, Mirror, Cushion Cover
Garden: Watering Can, Pruning Shears, Planter, Garden Hose, Trowel, Seed Tray
Tools: Hammer, Screwdriver Set, Tape Measure, Cordless Drill, Spirit Level, Wrench
Electronics: Headphones, Bluetooth Speaker, Power Bank, USB Charger, Webcam, Smart Plug
Computers: Keyboard, Mouse, Monitor Stand, Laptop Sleeve, USB Hub, External Drive
Phones: Phone Case, Screen Protector, Charging Cable, Car Mount, Wireless Charger
Cameras: Camera Bag, Tripod, Lens Cap, Memory Card, Camera Strap, Flash
Audio: Turntable, Earbuds, Amplifier, Microphone, Soundbar, Radio
Gaming: Game Controller, Gaming Headset, Mouse Pad, Controller Stand, Card Game
Books: Cookbook, Novel, Atlas, Field Guide, Poetry Collection, Travel Guide
Stationery: Notebook, Fountain Pen, Pencil Set, Planner, Sticky Notes, Desk Organizer
Art Supplies: Sketchbook, Watercolor Set, Paint Brush, Easel, Canvas Pad, Charcoal Set
Toys: Building Blocks, Jigsaw Puzzle, Plush Bear, Toy Car, Kite, Marble Run
Baby: Baby Blanket, Bib, Rattle, Teething Ring, Baby Monitor, Changing Mat
Pets: Dog Leash, Cat Bed, Pet Bowl, Chew Toy, Scratching Post, Pet Carrier
Sports: Yoga Mat, Dumbbell, Jump Rope, Resistance Band, Water Bottle, Foam Roller
Outdoor: Tent, Sleeping Bag, Camping Stove, Headlamp, Backpack, Hammock
Cycling: Bike Light, Bike Lock, Helmet, Saddle Bag, Tire Pump, Cycling Gloves
Running: Running Belt, Sports Watch, Armband, Reflective Vest, Running Socks
Footwear: Sneakers, Boots, Sandals, Slippers, Loafers, Running Shoes
Clothing: T-Shirt, Hoodie, Jeans, Jacket, Sweater, Scarf
Accessories: Wallet, Belt, Sunglasses, Watch, Umbrella, Tote Bag
Jewelry: Necklace, Ring, Bracelet, Earrings, Pendant, Cufflinks
Beauty: Face Cream, Lip Balm, Hair Brush, Nail Kit, Shampoo, Face Mask
Health: First Aid Kit, Thermometer, Pill Organizer, Heating Pad, Massage Ball
Grocery: Olive Oil, Honey, Granola, Pasta, Hot Sauce, Dark Chocolate
Pantry: Spice Jar, Storage Jar, Bread Bin, Lunch Box, Food Container
Cleaning: Mop, Broom, Dish Brush, Microfiber Cloth, Laundry Basket, Spray Bottle
Storage: Storage Box, Shelf Basket, Drawer Divider, Shoe Rack, Garment Bag
Travel: Suitcase, Packing Cubes, Neck Pillow, Travel Adapter, Passport Holder
Music: Guitar Strings, Ukulele, Capo, Metronome, Harmonica, Drumsticks
Party: Balloons, Party Lights, Gift Wrap, Greeting Card, Paper Napkins
Automotive: Car Vacuum, Seat Cover, Dash Cam, Ice Scraper, Tire Gauge
Office: Office Chair, Desk Mat, Stapler, Paper Tray, Whiteboard, Label Maker
""".strip().splitlines()
    )
}
