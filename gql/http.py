"""GraphQL over HTTP, per the GraphQL-over-HTTP specification.

POST carries `application/json`; GET carries queries (never mutations) in the URL. Responses
use `application/graphql-response+json` when the client accepts it — then a request that
never reaches execution (unparsable JSON or document, invalid document, bad variables) is a
400 with no `data` — and plain `application/json` otherwise, where the spec asks for 200 for
every well-formed request. Reading the request lives in `gql.http_params`; documents named
by hash (persisted operations) are looked up, or refused, by `gql.persisted` before parsing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, Protocol

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
)
from graphql.execution.values import VariableValues
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from gql import read_after as read_your_writes
from gql.admission import Admission, DeadlineExceeded, Overloaded
from gql.auth import TokenVerifier, Unauthenticated
from gql.compiled import Abandon, Plan, execute_compiled
from gql.documents import DocumentCache
from gql.errors import (
    RETRY_AFTER_SECONDS,
    execution_error,
    plain_error,
    request_error,
    timeout_error,
    unavailable_error,
)
from gql.http_params import GRAPHQL_RESPONSE, JSON, GraphQLParams, HttpError, negotiate, read_params
from gql.limits import TOO_COMPLEX, QueryLimits, cost_error
from gql.persisted import NO_CACHE, DocumentUnavailable, PersistedOperations
from resolvers.context import RequestContext
from resolvers.viewer import Viewer

MAX_COERCION_ERRORS = 50


class ContextFactory(Protocol):
    """A request's context: `writes` for a mutation (the primary serves all of it);
    `read_after`, a WAL position its reads must include (0: any replica will do)."""

    def __call__(
        self, request: Request, viewer: Viewer, *, writes: bool = False, read_after: int = 0
    ) -> RequestContext: ...


PageFactory = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Runnable:
    """A request that passed every check: what to execute, and how."""

    document: DocumentNode
    operation: OperationDefinitionNode
    variables: VariableValues
    cost: int
    plan: Plan | None  # a compiled plan, when the operation has one
    read_after: int = 0  # the X-Read-After position its reads must include


class NotExecutable(Exception):
    """The document, the operation choice or the variables stop a request before execution."""

    def __init__(
        self, errors: list[GraphQLError], *, code: str, extensions: dict[str, Any] | None = None
    ) -> None:
        super().__init__(errors[0].message if errors else code)
        self.errors = errors
        self.code = code
        self.extensions = extensions


class GraphQLEndpoint:
    """The ASGI endpoint at `/graphql`. `graphiql`, when given, answers browsers' GETs.

    `introspection` False closes introspection, field suggestions and GraphiQL to all but
    staff; `limits` bound what one request may ask (`gql.limits`). `compiled` serves
    queries through their compiled plans (`gql.compiled`); graphql-core runs the rest."""

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
        self.schema = schema
        self.persisted = PersistedOperations() if persisted is None else persisted
        self.limits = limits or QueryLimits()
        self.documents = DocumentCache(schema, limits=self.limits)
        self.introspection = introspection
        self.compiled = compiled
        self.abandoned = 0  # compiled runs handed back to graphql-core, for tests and logs
        self.context = context
        self.tokens = tokens
        self.graphiql = graphiql
        self.admission = admission or Admission(max_concurrent=64, deadline=None)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return _refusal(405, "use GET or POST", headers={"Allow": "GET, POST"})
        if (
            request.method == "GET"
            and self.graphiql
            and _wants_html(request)
            and self._serves_graphiql(request)
        ):
            return await self.graphiql(request)
        media_type = negotiate(", ".join(request.headers.getlist("accept")))
        if media_type is None:
            return _refusal(
                406, f"responses are {GRAPHQL_RESPONSE} or {JSON}; the Accept header allows neither"
            )
        try:
            viewer = self.tokens.viewer(request.headers.get("authorization"))
        except Unauthenticated as refused:
            return _refusal(
                401,
                str(refused),
                code="UNAUTHENTICATED",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                media_type=media_type,
            )
        try:
            params = self.persisted.resolve(await read_params(request))
            request.state.operation_name = params.operation_name
            runnable = self._prepare(request.method, params, viewer=viewer, headers=request.headers)
        except HttpError as refused:
            return _refusal(
                refused.status,
                refused.message,
                code=refused.code,
                headers=refused.headers,
                media_type=media_type,
            )
        except NotExecutable as failed:
            return _request_failed(
                failed.errors, code=failed.code, media_type=media_type, extensions=failed.extensions
            )
        except DocumentUnavailable as missing:
            response = _request_failed(
                [GraphQLError(missing.message)], code=missing.code, media_type=media_type
            )
            response.headers["Cache-Control"] = NO_CACHE
            return response
        request.state.operation_name = _operation_name(runnable.operation, params.operation_name)
        return await self._execute(request, runnable, params, viewer=viewer, media_type=media_type)

    def _introspects(self, viewer: Viewer) -> bool:
        return self.introspection or viewer.is_staff

    def _serves_graphiql(self, request: Request) -> bool:
        """GraphiQL is no use without introspection (and a browser sends no token)."""
        try:
            return self._introspects(self.tokens.viewer(request.headers.get("authorization")))
        except Unauthenticated:
            return False

    def _cost(self, estimated: int) -> dict[str, Any]:
        return {"cost": {"estimated": estimated, "limit": self.limits.max_cost}}

    def _prepare(
        self, method: str, params: GraphQLParams, *, viewer: Viewer, headers: Headers
    ) -> Runnable:
        """The operation to run, its variables and estimated cost, once everything
        checkable up front passed."""
        introspects = self._introspects(viewer)
        prepared = self.documents.get(params.query, introspection=introspects)
        if prepared.document is None:
            raise NotExecutable(prepared.errors, code=prepared.code or "GRAPHQL_PARSE_FAILED")
        if method == "GET":
            # The spec answers a mutation over GET with 405 whether or not the document is valid.
            _refuse_unsafe(prepared.document, params.operation_name)
        if prepared.errors:
            code = prepared.code or "GRAPHQL_VALIDATION_FAILED"
            least = prepared.least_cost if code == TOO_COMPLEX else None
            cost = None if least is None else self._cost(least)
            raise NotExecutable(prepared.errors, code=code, extensions=cost)
        operation = _select_operation(prepared.document, params.operation_name)
        assert prepared.variables is not None
        coerced = prepared.variables.coerce(
            operation,
            params.variables or {},
            max_errors=MAX_COERCION_ERRORS,
            hide_suggestions=not introspects,
        )
        if isinstance(coerced, list):
            raise NotExecutable(coerced, code="BAD_USER_INPUT")
        after = 0
        if (token := headers.get(read_your_writes.HEADER)) is not None:
            try:
                after = read_your_writes.decode(token)
            except read_your_writes.MalformedToken as bad:
                raise NotExecutable([GraphQLError(str(bad))], code="BAD_USER_INPUT") from None
        assert prepared.plan is not None
        name = operation.name.value if operation.name else None
        estimated = prepared.plan.estimate(name, variables=coerced.coerced, limits=self.limits)
        if estimated > self.limits.max_cost:
            raise NotExecutable(
                [cost_error(estimated, self.limits)],
                code=TOO_COMPLEX,
                extensions=self._cost(estimated),
            )
        plan = None
        if self.compiled and prepared.compiled is not None:
            plan = prepared.compiled.plan(self.schema, prepared.document, operation, coerced)
        return Runnable(prepared.document, operation, coerced, estimated, plan, after)

    async def _execute(
        self,
        request: Request,
        runnable: Runnable,
        params: GraphQLParams,
        *,
        viewer: Viewer,
        media_type: str,
    ) -> Response:
        extensions = self._cost(runnable.cost)
        writes = runnable.operation.operation == OperationType.MUTATION
        try:
            async with self.admission.slot():
                ctx = self.context(request, viewer, writes=writes, read_after=runnable.read_after)
                if runnable.plan is not None:
                    try:
                        data = await execute_compiled(
                            runnable.plan, variables=runnable.variables, context=ctx
                        )
                        return _json(
                            200, {"data": data, "extensions": extensions}, media_type=media_type
                        )
                    except Abandon:
                        self.abandoned += 1
                        ctx = self.context(  # loaders start afresh
                            request, viewer, writes=writes, read_after=runnable.read_after
                        )
                result = execute(
                    self.schema,
                    runnable.document,
                    context_value=ctx,
                    variable_values=params.variables,
                    operation_name=params.operation_name,
                    max_coercion_errors=MAX_COERCION_ERRORS,
                    hide_suggestions=not self._introspects(viewer),
                )
                if isawaitable(result):
                    result = await result
        except Overloaded:
            busy = unavailable_error(request.state.request_id, busy=True)
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            refused = {"errors": [busy], "extensions": extensions}
            return _json(503, refused, media_type=media_type, headers=retry)
        except DeadlineExceeded as late:
            late_error = timeout_error(request.state.request_id, deadline=late.seconds)
            stopped = {"errors": [late_error], "extensions": extensions}
            return _json(504, stopped, media_type=media_type)
        assert isinstance(result, ExecutionResult)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [execution_error(e, request_id=ctx.request_id) for e in result.errors]
        body["data"] = result.data
        body["extensions"] = extensions
        if ctx.written.lsn:
            extensions["readAfter"] = read_your_writes.encode(ctx.written.lsn)
        return _json(200, body, media_type=media_type)


def _refuse_unsafe(document: DocumentNode, operation_name: str | None) -> None:
    operation = get_operation_ast(document, operation_name)
    if operation is not None and operation.operation != OperationType.QUERY:
        raise HttpError(
            405,
            f"{operation.operation.value}s are sent with POST; GET runs queries only",
            headers={"Allow": "POST"},
        )


def _select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operation = get_operation_ast(document, name)
    if operation is None:
        message = (
            f"no operation named {name!r} in the document"
            if name
            else "the document has several operations: name one with operationName"
        )
        raise NotExecutable([GraphQLError(message)], code="BAD_USER_INPUT")
    if operation.operation == OperationType.SUBSCRIPTION:
        # A subscription is a stream; executing it here would answer with one event at most.
        raise NotExecutable(
            [GraphQLError("subscriptions are not served over HTTP requests")], code="BAD_REQUEST"
        )
    return operation


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "query" not in request.query_params


def _operation_name(operation: OperationDefinitionNode, given: str | None) -> str | None:
    return given or (operation.name.value if operation.name else None)


def _json(
    status: int, body: dict[str, Any], *, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    return _JsonResponse(orjson.dumps(body), status, media_type, headers)


class _JsonResponse(Response):
    """A response of JSON bytes with its headers written out directly (Starlette's own
    constructor works them out from a media type and a mapping on every response)."""

    def __init__(
        self, body: bytes, status: int, media_type: str, headers: dict[str, str] | None
    ) -> None:
        self.status_code = status
        self.body = body
        self.background = None
        self.raw_headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", _CONTENT_TYPES[media_type]),
            # The same GET answers differently by Accept: caches must key on it.
            (b"vary", b"Accept"),
            *(
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in (headers or {}).items()
            ),
        ]


_CONTENT_TYPES = {kind: f"{kind}; charset=utf-8".encode() for kind in (GRAPHQL_RESPONSE, JSON)}


def _request_failed(
    errors: list[GraphQLError],
    *,
    code: str,
    media_type: str,
    extensions: dict[str, Any] | None = None,
) -> Response:
    status = 400 if media_type == GRAPHQL_RESPONSE else 200
    body: dict[str, Any] = {"errors": [request_error(e, code=code) for e in errors]}
    if extensions:
        body["extensions"] = extensions
    return _json(status, body, media_type=media_type)


def _refusal(
    status: int,
    message: str,
    *,
    code: str = "BAD_REQUEST",
    headers: dict[str, str] | None = None,
    media_type: str = JSON,
) -> Response:
    return _json(
        status,
        {"errors": [plain_error(message, code=code)]},
        media_type=media_type,
        headers=headers,
    )
