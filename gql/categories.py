"""The `Category` type."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.node import Node
from gql.node_ids import to_global_id
from sql.categories import CategoryRow


@strawberry.type(description="A group of products in the catalogue.")
class Category(Node):
    rev: int = strawberry.field(description="Revision; every write bumps it by one.")
    name: str = strawberry.field(description="Unique name among live categories.")
    description: str | None = strawberry.field(description="Longer text about the category.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it was last written.")
    deleted_at: datetime | None = strawberry.field(
        description="When it was soft-deleted; null while live."
    )

    @classmethod
    def from_row(cls, row: CategoryRow) -> Category:
        return cls(
            id=strawberry.ID(to_global_id("Category", row.id)),
            rev=row.rev,
            name=row.name,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
            deleted_at=row.deleted_at,
        )
