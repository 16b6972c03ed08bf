"""How errors reach clients.

Top-level errors come in four kinds: request errors (the document or variables are wrong:
graphql-core's own messages, safe to show), client mistakes found while resolving
(`BadUserInput`: shown with code BAD_USER_INPUT), transient failures (a timeout, or the
database unavailable: TIMEOUT or SERVICE_UNAVAILABLE with `retryable: true`, as told by
`sql.errors.transient`), and everything else — masked as "Unexpected error" with the request
id, and logged with the stack under that id. No message of a driver, of SQL or of Python
ever reaches a client: transient failures get fixed messages of ours too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError, ValueNode

from resolvers.errors import BadUserInput
from sql.errors import bad_client_value, too_large_for_database, transient

RETRY_AFTER_SECONDS = 1
"""What clients are told to wait before retrying when the server is unavailable or busy."""

log = logging.getLogger("storefront.errors")


def request_error(error: GraphQLError, *, code: str) -> dict[str, Any]:
    """A parse, validation or variable error: the message is graphql-core's and safe."""
    formatted = error.formatted
    formatted["extensions"] = {**formatted.get("extensions", {}), "code": code}
    return dict(formatted)


def plain_error(message: str, *, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


def in_document_order(errors: Sequence[GraphQLError]) -> list[GraphQLError]:
    """An execution's field errors by where their fields are written in the document, then
    by path (list items by index). graphql-core lists them as they happen, so the errors of
    siblings reading the database side by side come in whichever order the reads end; a
    compiled run's fallback answers the reads it already made from memory, which ends them
    in another order than a plain run."""
    if len(errors) < 2:
        return list(errors)
    return sorted(errors, key=_document_position)


def _document_position(error: GraphQLError) -> tuple[Any, ...]:
    first = error.locations[0] if error.locations else None
    place = (0, first.line, first.column) if first else (1, 0, 0)
    path = tuple(
        (0, step, "") if isinstance(step, int) else (1, 0, step) for step in error.path or ()
    )
    return place, path


def execution_error(error: GraphQLError, *, request_id: str) -> dict[str, Any]:
    original = error.original_error
    if _refused_argument(error):
        return _client_error(error, error.message)
    if isinstance(original, BadUserInput):
        return _client_error(error, original.message)
    if original is not None and bad_client_value(original):
        return _client_error(
            error,
            "an argument holds a value the store cannot take "
            "(a NUL character, or a number or time out of range)",
        )
    if original is not None and too_large_for_database(original):
        return _client_error(
            error, "the request's arguments make a statement too large for the database"
        )
    kind = None if original is None else transient(original)
    if kind is not None:
        log.warning(
            "%s at %s (request %s): %s",
            "timeout" if kind == "timeout" else "database unavailable",
            ".".join(map(str, error.path or [])) or "<root>",
            request_id,
            type(original).__name__,
            exc_info=original,
        )
        placed = timeout_error(request_id) if kind == "timeout" else unavailable_error(request_id)
        return _placed(placed, error)
    log.error(
        "unexpected error at %s (request %s)",
        ".".join(map(str, error.path or [])) or "<root>",
        request_id,
        exc_info=original or error,
    )
    return _placed(masked_error(request_id), error)


def handed_back(abandoned: BaseException, *, request_id: str) -> None:
    """Logs why a compiled run handed its request to graphql-core (`abandoned`, raised from
    the error that stopped it, if any). A fault no client mistake or timeout explains — a
    statement the database refused, say — is a warning: graphql-core may well answer
    without it (reading rows where the run read rendered text), so nothing else would tell
    that every such request is read twice. Expected hand-backs (a null to spread, a
    client's mistake, a timeout, which the answer reports) are debug lines. The error's
    class and SQLSTATE are named, never its message, which may hold SQL or values."""
    cause = abandoned.__cause__
    while isinstance(cause, type(abandoned)):  # a sibling's hand-back, wrapped: its reason
        abandoned, cause = cause, cause.__cause__
    fault = not (
        cause is None
        or isinstance(cause, BadUserInput | GraphQLError)
        or bad_client_value(cause)
        or too_large_for_database(cause)
        or transient(cause) is not None
    )
    reason = str(abandoned)
    if cause is not None:
        sqlstate = getattr(cause, "sqlstate", None)
        named = type(cause).__name__ + (f", SQLSTATE {sqlstate}" if sqlstate else "")
        reason = named if reason == type(cause).__name__ else f"{reason} ({named})"
    level = logging.WARNING if fault else logging.DEBUG
    log.log(level, "compiled run handed to graphql-core (request %s): %s", request_id, reason)


def _client_error(error: GraphQLError, message: str) -> dict[str, Any]:
    """The client's mistake, where it happened, told in `message`."""
    formatted = dict(error.formatted)
    formatted["message"] = message
    formatted["extensions"] = {"code": "BAD_USER_INPUT"}
    return formatted


def _refused_argument(error: GraphQLError) -> bool:
    """graphql-core refusing an argument's value while executing: a variable with a
    default may stand where an argument takes no null, and validation lets it, but sent
    as null it fails there (`@include(if: $b)` with `$b: Boolean = true` and b null).
    Such an error points at the value in the document and wraps no Python exception."""
    original = error.original_error
    nodes = error.nodes or []
    return (
        (original is None or isinstance(original, GraphQLError))
        and bool(nodes)
        and isinstance(nodes[0], ValueNode)
    )


def masked_error(request_id: str) -> dict[str, Any]:
    """What a client sees of an unexpected fault: nothing but the id to quote."""
    return {
        "message": f"Unexpected error (request id {request_id}).",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    }


def timeout_error(request_id: str, *, deadline: float | None = None) -> dict[str, Any]:
    """A statement or a lock wait ran over its time, or (`deadline`, in seconds) the whole
    request did. A mutation field stopped this way wrote nothing: its transaction rolled
    back; fields that had finished before it keep their effects."""
    what = (
        f"The request took longer than {deadline:g} s and was stopped"
        if deadline is not None
        else "The database took too long to answer"
    )
    return {
        "message": f"{what}; retry the request (request id {request_id}).",
        "extensions": {"code": "TIMEOUT", "retryable": True, "requestId": request_id},
    }


def unavailable_error(request_id: str | None = None, *, busy: bool = False) -> dict[str, Any]:
    """The database cannot be reached (or, `busy`, the server takes no more requests now)."""
    what = "The server is busy" if busy else "The database is unavailable"
    extensions: dict[str, Any] = {
        "code": "SERVICE_UNAVAILABLE",
        "retryable": True,
        "retryAfter": RETRY_AFTER_SECONDS,
    }
    suffix = ""
    if request_id is not None:
        extensions["requestId"] = request_id
        suffix = f" (request id {request_id})"
    return {
        "message": f"{what}; retry in {RETRY_AFTER_SECONDS} s{suffix}.",
        "extensions": extensions,
    }


def _placed(formatted: dict[str, Any], error: GraphQLError) -> dict[str, Any]:
    """`formatted` with the locations and path of the field the error happened at."""
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    if error.path is not None:
        formatted["path"] = error.path
    return formatted
