"""GraphQL over HTTP, per the GraphQL-over-HTTP specification.

POST carries `application/json`; GET carries queries (never mutations) in the URL. Responses
use `application/graphql-response+json` when the client accepts it — then a request that
never reaches execution (unparsable JSON or document, invalid document, bad variables) is a
400 with no `data` — and plain `application/json` otherwise, where the spec asks for 200 for
every well-formed request. Reading the request lives in `engine.http_params`; documents named
by hash (persisted operations) are looked up, or refused, by `engine.persisted` before parsing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter_ns
from typing import Any, Protocol

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
)
from starlette.requests import Request
from starlette.responses import Response

from engine import read_after as read_your_writes
from engine.admission import Admission, DeadlineExceeded, Overloaded
from engine.auth import TokenVerifier, Unauthenticated
from engine.context import RequestScope
from engine.errors import (
    RETRY_AFTER_SECONDS,
    timeout_error,
    unavailable_error,
)
from engine.http_params import (
    GRAPHQL_RESPONSE,
    JSON,
    GraphQLParams,
    HttpError,
    Receive,
    accepted,
    header,
    negotiate,
    prefers_html,
    read_params,
)
from engine.http_responses import JsonResponse, json_response, refusal, request_failed
from engine.limits import QueryLimits
from engine.observe import OK, FieldWaits, Observation, current
from engine.operations import MUTATION, NotExecutable, Operations, Runnable
from engine.persisted import NO_CACHE, DocumentUnavailable, PersistedOperations
from resolvers.viewer import Viewer


class ContextFactory(Protocol):
    """A request's context: `writes` for a mutation (the primary serves all of it);
    `read_after`, a WAL position its reads must include (0: any replica will do)."""

    def __call__(
        self, request_id: str, viewer: Viewer, *, writes: bool = False, read_after: int = 0
    ) -> RequestScope: ...


PageFactory = Callable[[Request], Awaitable[Response]]


class GraphQLEndpoint(Operations):
    """The ASGI endpoint at `/graphql`. `graphiql`, when given, answers browsers' GETs.

    `introspection` False closes introspection, field suggestions and GraphiQL to all but
    staff; `limits` bound what one request may ask (`engine.limits`). `compiled` serves
    queries and mutations through compiled plans (`engine.compiled`); graphql-core runs the rest."""

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        context: ContextFactory,
        tokens: TokenVerifier,
        graphiql: PageFactory | None = None,
        admission: Admission | None = None,
        persisted: PersistedOperations | None = None,
        limits: QueryLimits | None = None,
        introspection: bool = True,
        compiled: bool = True,
    ) -> None:
        super().__init__(
            schema,
            persisted=persisted,
            limits=limits,
            introspection=introspection,
            compiled=compiled,
        )
        self.context = context
        self.tokens = tokens
        self.graphiql = graphiql
        self.admission = admission or Admission(max_concurrent=64, deadline=None)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        # The scope's own values: Starlette's `method` property calls `typing.cast` each time.
        method = request.scope["method"]
        if method not in ("GET", "POST"):
            return refusal(405, "use GET or POST", headers={"Allow": "GET, POST"})
        if (
            method == "GET"
            and self.graphiql
            and _wants_html(request)
            and self._serves_graphiql(request)
        ):
            return await self.graphiql(request)
        return await self.respond(request.scope, request.receive)

    async def respond(self, scope: Any, body: bytes | Receive) -> JsonResponse:
        """The JSON answer to a GET or POST, whatever carries the request: `body` is a POST's
        body as read already (by an HTTP protocol that gathers it itself), or the ASGI
        `receive` to read it from. The answer is a `JsonResponse`: its status, raw headers
        and bytes are all there is to write."""
        media_type = negotiate(accepted(scope).decode("latin-1"))
        if media_type is None:
            return refusal(
                406, f"responses are {GRAPHQL_RESPONSE} or {JSON}; the Accept header allows neither"
            )
        try:
            viewer = self.tokens.viewer(header(scope, b"authorization"))
        except Unauthenticated as refused:
            _failed("UNAUTHENTICATED")
            return refusal(
                401,
                str(refused),
                code="UNAUTHENTICATED",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                media_type=media_type,
            )
        # What the access log reads (`request.state`, without its wrapper object).
        noted = scope.setdefault("state", {})
        try:
            params = self.persisted.resolve(await read_params(scope, body))
            noted["operation_name"] = params.operation_name
            runnable = self._prepare(
                scope["method"],
                params,
                viewer=viewer,
                read_after=header(scope, READ_AFTER),
            )
        except HttpError as refused:
            _failed(refused.code)
            return refusal(
                refused.status,
                refused.message,
                code=refused.code,
                headers=refused.headers,
                media_type=media_type,
            )
        except NotExecutable as failed:
            _failed(failed.code)
            return request_failed(
                failed.errors, code=failed.code, media_type=media_type, extensions=failed.extensions
            )
        except DocumentUnavailable as missing:
            _failed(missing.code)
            response = request_failed(
                [GraphQLError(missing.message)], code=missing.code, media_type=media_type
            )
            response.headers["Cache-Control"] = NO_CACHE
            return response
        noted["operation_name"] = _operation_name(runnable.operation, params.operation_name)
        if (observation := current.get()) is not None:
            # `_value_`: the member's value without Enum's descriptor (a Python call)
            observation.operation_type = runnable.operation.operation._value_
            name = runnable.operation.name
            observation.operation_name = None if name is None else name.value
            observation.document = params.query
        return await self._execute(
            noted.get("request_id", ""),
            runnable,
            params,
            viewer=viewer,
            media_type=media_type,
            observation=observation,
        )

    def _serves_graphiql(self, request: Request) -> bool:
        """GraphiQL is no use without introspection (and a browser sends no token)."""
        try:
            return self._introspects(self.tokens.viewer(request.headers.get("authorization")))
        except Unauthenticated:
            return False

    async def _execute(
        self,
        request_id: str,
        runnable: Runnable,
        params: GraphQLParams,
        *,
        viewer: Viewer,
        media_type: str,
        observation: Observation | None,
    ) -> JsonResponse:
        extensions = self._cost(runnable.cost)
        started = 0 if observation is None else perf_counter_ns()
        writes = runnable.operation.operation is MUTATION
        try:
            async with self.admission.slot():
                body = await self._run(
                    runnable,
                    params,
                    lambda: self.context(
                        request_id, viewer, writes=writes, read_after=runnable.read_after
                    ),
                    viewer=viewer,
                    observation=observation,
                    middleware=_middleware(observation),
                )
        except Overloaded:
            _failed("SERVICE_UNAVAILABLE")
            busy = unavailable_error(request_id, busy=True)
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            refused = {"errors": [busy], "extensions": extensions}
            return json_response(503, refused, media_type=media_type, headers=retry)
        except DeadlineExceeded as late:
            if observation is not None:
                observation.phase("execute", started)
                observation.fail("TIMEOUT")
            late_error = timeout_error(request_id, deadline=late.seconds)
            stopped = {"errors": [late_error], "extensions": extensions}
            return json_response(504, stopped, media_type=media_type)
        body["extensions"] = extensions | body.get("extensions", {})  # readAfter after cost
        if observation is None:
            return json_response(200, body, media_type=media_type)
        started = perf_counter_ns()
        response = json_response(200, body, media_type=media_type)
        if "errors" in body:
            observation.fail(body["errors"][0].get("extensions", {}).get("code", "ERROR"))
        elif observation.outcome is None:
            observation.outcome = OK
        observation.phase("serialise", started)
        return response


READ_AFTER = read_your_writes.HEADER.encode()


def _failed(code: str) -> None:
    """The request ends in a top-level error of `code` (for whoever observes it)."""
    if (observation := current.get()) is not None:
        observation.fail(code)


def _middleware(observation: Observation | None) -> list[Any] | None:
    """Traced fields are waiters for the batches they load through (see `FieldWaits`);
    mutations note their union errors without middleware (`note_mutation_outcomes`)."""
    if observation is None or not observation.traced:
        return None
    return [FieldWaits()]


def _wants_html(request: Request) -> bool:
    """A browser's GET, a shared `?query=` link included: GraphiQL puts the URL's query,
    variables and operationName in its editor. Clients that rank JSON first get JSON."""
    return prefers_html(", ".join(request.headers.getlist("accept")))


def _operation_name(operation: OperationDefinitionNode, given: str | None) -> str | None:
    return given or (operation.name.value if operation.name else None)
