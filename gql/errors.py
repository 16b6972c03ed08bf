"""How errors reach clients.

Top-level errors come in three kinds: request errors (the document or variables are wrong:
graphql-core's own messages, safe to show), client mistakes found while resolving
(`BadUserInput`: shown with code BAD_USER_INPUT), and everything else — masked as
"Unexpected error" with the request id, and logged with the stack under that id.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from resolvers.errors import BadUserInput

log = logging.getLogger("storefront.errors")


def request_error(error: GraphQLError, *, code: str) -> dict[str, Any]:
    """A parse, validation or variable error: the message is graphql-core's and safe."""
    formatted = error.formatted
    formatted["extensions"] = {**formatted.get("extensions", {}), "code": code}
    return dict(formatted)


def plain_error(message: str, *, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


def execution_error(error: GraphQLError, *, request_id: str) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, BadUserInput):
        formatted = dict(error.formatted)
        formatted["message"] = original.message
        formatted["extensions"] = {"code": "BAD_USER_INPUT"}
        return formatted
    log.error(
        "unexpected error at %s (request %s)",
        ".".join(map(str, error.path or [])) or "<root>",
        request_id,
        exc_info=original or error,
    )
    masked: dict[str, Any] = {
        "message": f"Unexpected error (request id {request_id}).",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    }
    if error.locations:
        masked["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path is not None:
        masked["path"] = error.path
    return masked
