"""Who is asking, and what that lets them see and do.

Visibility is applied where rows are read: every query over customer-owned rows takes the
viewer's `owner` scope, so lookups, `node`, connections, nested fields and counts all
inherit it. What a viewer may not see behaves as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from resolvers.errors import Forbidden, NotFound

Role = Literal["anonymous", "customer", "staff"]

NOBODY = UUID(int=0)
"""The owner scope that matches no row: anonymous viewers own nothing."""


@dataclass(frozen=True, slots=True)
class Viewer:
    role: Role
    customer_id: UUID | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def owner(self) -> UUID | None:
        """The owner scope for customer-owned rows: None (staff) sees every row."""
        if self.role == "staff":
            return None
        return self.customer_id if self.role == "customer" and self.customer_id else NOBODY

    def require_staff(self, action: str) -> None:
        if not self.is_staff:
            raise Forbidden(f"only staff may {action}")


ANONYMOUS = Viewer("anonymous")
STAFF = Viewer("staff")


def allow(*, permitted: bool, visible: bool, type_name: str, id: UUID, action: str) -> None:
    """Lets a permitted action through; otherwise the target is not found when the viewer
    cannot see it (no existence leaks), and forbidden when they can."""
    if permitted:
        return
    if not visible:
        raise NotFound(type_name, id)
    raise Forbidden(f"you may not {action}")
