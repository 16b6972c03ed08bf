"""The floor's reads with the fewest statements (`FLOOR_SQL=minimum`): Q1, and Q2 and Q3
in one hand-written statement each (a join with every line; a window count)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from bench.floor_requests import Q3_MAX_PRICE, Q3_MIN_PRICE, Q3_ORDER, Q3_PAGE, Variables
from engine.node_ids import to_global_id, uuid_of
from resolvers.cursors import encode_cursor, page_digest
from sql.pool import Database

PRODUCT = """
SELECT id, sku, name, price, stock, updated_at FROM products
WHERE id = $1 AND deleted_at IS NULL
"""

ORDERS_PAGE = """
SELECT o.id, o.number, o.status, o.total, c.name, c.email,
       l.quantity, l.unit_price, p.name, p.price, g.name
FROM (SELECT id, number, status, total, customer_id FROM orders
      WHERE deleted_at IS NULL ORDER BY number, id LIMIT $1) AS o
JOIN customers AS c ON c.id = o.customer_id
LEFT JOIN order_lines AS l ON l.order_id = o.id
LEFT JOIN products AS p ON p.id = l.product_id
LEFT JOIN categories AS g ON g.id = p.category_id
ORDER BY o.number, o.id, l.position
"""

PRODUCTS_PAGE = """
SELECT p.id, p.name, p.price, p.stock, count(*) OVER () AS total
FROM products AS p JOIN categories AS c ON c.id = p.category_id
WHERE p.deleted_at IS NULL AND c.deleted_at IS NULL AND c.name = $1
  AND p.price >= $2 AND p.price <= $3
ORDER BY p.price DESC, p.id DESC LIMIT $4
"""


async def product(db: Database, variables: Variables) -> dict[str, Any]:
    id = uuid_of(str(variables.get("id")), type_name="Product")
    row = None if id is None else await db.fetchrow(PRODUCT, id)
    if row is None:
        return {"product": None}
    return {
        "product": {
            "id": to_global_id("Product", row[0]),
            "sku": row[1],
            "name": row[2],
            "price": str(row[3]),
            "stock": row[4],
            "updatedAt": row[5].isoformat(),
        }
    }


async def orders_page(db: Database, variables: Variables) -> dict[str, Any]:
    edges: list[dict[str, Any]] = []
    last: UUID | None = None
    lines: list[dict[str, Any]] = []
    for row in await db.fetch(ORDERS_PAGE, 50):
        if row[0] != last:
            last, lines = row[0], []
            node = {
                "number": row[1],
                "status": row[2],
                "total": str(row[3]),
                "customer": {"name": row[4], "email": row[5]},
                "lines": lines,
            }
            edges.append({"node": node})
        if row[6] is not None:
            lines.append(
                {
                    "quantity": row[6],
                    "unitPrice": str(row[7]),
                    "product": {
                        "name": row[8],
                        "price": str(row[9]),
                        "category": {"name": row[10]},
                    },
                }
            )
    return {"orders": {"edges": edges}}


async def products_page(db: Database, variables: Variables) -> dict[str, Any]:
    category = variables["category"]
    rows = await db.fetch(PRODUCTS_PAGE, category, Q3_MIN_PRICE, Q3_MAX_PRICE, Q3_PAGE + 1)
    kept = rows[:Q3_PAGE]
    end_cursor = None
    if kept:
        # What our connection's cursor names: the ordering, the filter as it was asked
        # (snake_case keys, decimals as parsed) and include_deleted (False).
        filter = {
            "price": {"gte": Q3_MIN_PRICE, "lte": Q3_MAX_PRICE},
            "category": {"name": {"eq": category}},
        }
        digest = page_digest(Q3_ORDER, scope="products", filter=filter, args=(False,))
        end_cursor = encode_cursor((kept[-1][2], kept[-1][0]), digest=digest)
    return {
        "products": {
            "totalCount": rows[0][4] if rows else 0,
            "nodes": [
                {
                    "id": to_global_id("Product", row[0]),
                    "name": row[1],
                    "price": str(row[2]),
                    "stock": row[3],
                }
                for row in kept
            ],
            "pageInfo": {"hasNextPage": len(rows) > Q3_PAGE, "endCursor": end_cursor},
        }
    }
