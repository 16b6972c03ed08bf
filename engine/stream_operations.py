"""What every streaming transport (WebSocket, Server-Sent Events, multipart HTTP) does with
one operation it was handed: prepare it under the same rules as HTTP, run a query or a
mutation once, or open a subscription on the schema's core (`engine.streams`). Each
transport only frames the results; none decides anything of its own about an operation.
"""

from __future__ import annotations

from typing import Any

from engine.admission import Admission, DeadlineExceeded, Overloaded
from engine.errors import plain_error, request_error, timeout_error, unavailable_error
from engine.http_params import GraphQLParams, HttpError
from engine.operations import NotExecutable, Operations, Runnable
from engine.persisted import DocumentUnavailable
from engine.streams import ContextFactory
from resolvers.viewer import Viewer


class Refused(Exception):
    """The operation stops before execution; `errors` say why, as a result's `errors`."""

    def __init__(self, errors: list[dict[str, Any]], *, status: int = 400) -> None:
        super().__init__(errors[0]["message"] if errors else "refused")
        self.errors = errors
        self.status = status  # for transports that answer over plain HTTP


def prepare(
    operations: Operations, params: GraphQLParams, *, viewer: Viewer, method: str = "POST"
) -> tuple[Runnable, GraphQLParams]:
    """The runnable operation (and its parameters, a persisted document resolved), or
    `Refused` with the errors a client is shown."""
    try:
        params = operations.persisted.resolve(params)
        return operations._prepare(method, params, viewer=viewer, streams=True), params
    except HttpError as refused:
        error = plain_error(refused.message, code=refused.code)
        raise Refused([error], status=refused.status) from None
    except DocumentUnavailable as missing:
        raise Refused([plain_error(missing.message, code=missing.code)]) from None
    except NotExecutable as failed:
        errors = [request_error(e, code=failed.code) for e in failed.errors]
        if failed.extensions:
            for error in errors:
                error["extensions"].update(failed.extensions)
        raise Refused(errors) from None


async def run_once(
    operations: Operations,
    runnable: Runnable,
    params: GraphQLParams,
    *,
    admission: Admission,
    context: ContextFactory,
    viewer: Viewer,
    request_id: str,
) -> dict[str, Any]:
    """A query or mutation's one result, as over HTTP (same admission, same deadline)."""
    extensions = operations._cost(runnable.cost)
    try:
        async with admission.slot():
            body = await operations._run(
                runnable, params, lambda: context(request_id, viewer), viewer=viewer
            )
    except Overloaded:
        body = {"errors": [unavailable_error(request_id, busy=True)]}
    except DeadlineExceeded as late:
        body = {"errors": [timeout_error(request_id, deadline=late.seconds)]}
    body["extensions"] = extensions | body.get("extensions", {})
    return body


def too_many(limit: int, what: str) -> Refused:
    return Refused([plain_error(f"at most {limit} {what}", code="LIMIT")], status=429)


def expired_error() -> dict[str, Any]:
    """Ends a stream whose bearer token expired: the client signs in again and resumes."""
    return plain_error(
        "the bearer token expired; subscribe again with a fresh one", code="UNAUTHENTICATED"
    )
