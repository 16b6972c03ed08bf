"""Helpers for mutation tests: selections for result-union members, the standard documents of
an entity, and the result itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.api.conftest import GraphQLClient

FRAGMENTS = {
    "NotFoundError": "... on NotFoundError { nodeId }",
    "ConflictError": "... on ConflictError { expectedRev currentRev current { id {current} } }",
    "ValidationError": "... on ValidationError { fields { path message code } }",
    "AlreadyExistsError": "... on AlreadyExistsError { field value }",
    "ReferencedError": "... on ReferencedError { nodeId }",
    "IdempotencyKeyReusedError": "... on IdempotencyKeyReusedError { key }",
    "InsufficientStockError": "... on InsufficientStockError { items { "
    "product { id stock } requested available } }",
    "InvalidTransitionError": "... on InvalidTransitionError { from to }",
}


def errors(*names: str, current: str = "") -> str:
    """Selections for a result union's error members (only members may be spread);
    `current` selects more of a ConflictError's current node, e.g. `... on Order { rev }`."""
    chosen = [FRAGMENTS[name].replace("{current}", current) for name in names]
    return "... on Error { __typename message code } " + " ".join(chosen)


async def result(client: GraphQLClient, query: str, **variables: Any) -> dict[str, Any]:
    """The one root field's result of a mutation document that must not error."""
    data = await client.data(query, variables)
    [value] = data.values()
    assert isinstance(value, dict)
    return value


UPDATE_ERRORS = ("ValidationError", "AlreadyExistsError")


@dataclass(frozen=True)
class Documents:
    """The standard create/update/delete/restore documents of one entity, each selecting every
    member of its result union: `fields` of the node on success, `current` of a ConflictError's
    node (e.g. "name rev")."""

    type: str
    fields: str
    current: str
    create_errors: tuple[str, ...] = ("ValidationError", "AlreadyExistsError")
    delete_errors: tuple[str, ...] = ()
    create_extra: str = ""  # more of the create success, e.g. its edge

    @property
    def field(self) -> str:
        """The node's field on a success, and the root query field that reads one by id."""
        return self.type[0].lower() + self.type[1:]

    def _errors(self, *names: str) -> str:
        return errors(*names, current=f"... on {self.type} {{ {self.current} }}")

    def _success(self, verb: str, extra: str = "") -> str:
        node = f"{self.field} {{ {self.fields} }}"
        return f"__typename ... on {verb}{self.type}Success {{ {node} {extra} }}"

    @property
    def create(self) -> str:
        return f"""mutation($input: Create{self.type}Input!, $key: String) {{
          create{self.type}(input: $input, idempotencyKey: $key) {{
            {self._success("Create", self.create_extra)}
            {self._errors(*self.create_errors, "IdempotencyKeyReusedError")} }} }}"""

    @property
    def update(self) -> str:
        return f"""mutation($id: ID!, $rev: Int!, $patch: {self.type}Patch!) {{
          update{self.type}(id: $id, rev: $rev, patch: $patch) {{ {self._success("Update")}
            {self._errors("NotFoundError", "ConflictError", *UPDATE_ERRORS)} }} }}"""

    @property
    def delete(self) -> str:
        return f"""mutation($id: ID!, $rev: Int!) {{ delete{self.type}(id: $id, rev: $rev) {{
          {self._success("Delete")}
          {self._errors("NotFoundError", "ConflictError", *self.delete_errors)} }} }}"""

    @property
    def restore(self) -> str:
        return f"""mutation($id: ID!, $rev: Int!) {{ restore{self.type}(id: $id, rev: $rev) {{
          {self._success("Restore")}
          {self._errors("NotFoundError", "ConflictError", "AlreadyExistsError")} }} }}"""
