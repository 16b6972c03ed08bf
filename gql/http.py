"""GraphQL over HTTP, per the GraphQL-over-HTTP specification.

POST carries `application/json`; GET carries queries (never mutations) in the URL. Responses
use `application/graphql-response+json` when the client accepts it — then a request that
never reaches execution (unparsable JSON or document, invalid document, bad variables) is a
400 with no `data` — and plain `application/json` otherwise, where the spec asks for 200 for
every well-formed request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

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
from starlette.requests import Request
from starlette.responses import Response

from gql.documents import DocumentCache
from gql.errors import execution_error, plain_error, request_error
from resolvers.context import RequestContext

log = logging.getLogger("storefront.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY_BYTES = 1 << 20


class HttpError(Exception):
    """A request refused before GraphQL sees it, with its HTTP status."""

    def __init__(
        self, status: int, message: str, *, code: str = "BAD_REQUEST", headers: dict[str, str]
        | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None


ContextFactory = Callable[[Request], RequestContext]
PageFactory = Callable[[Request], Awaitable[Response]]


class GraphQLEndpoint:
    """The ASGI endpoint at `/graphql`. `graphiql`, when given, answers browsers' GETs."""

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        context: ContextFactory,
        graphiql: PageFactory | None = None,
    ) -> None:
        self.schema = schema
        self.documents = DocumentCache(schema)
        self.context = context
        self.graphiql = graphiql

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return _refusal(405, "use GET or POST", headers={"Allow": "GET, POST"})
        if request.method == "GET" and self.graphiql and _wants_html(request):
            return await self.graphiql(request)
        media_type = _negotiate(request.headers.get("accept"))
        if media_type is None:
            return _refusal(
                406, f"responses are {GRAPHQL_RESPONSE} or {JSON}; the Accept header allows neither"
            )
        try:
            params = await _read_params(request)
            return await self._run(request, params, media_type)
        except HttpError as refused:
            return _refusal(refused.status, refused.message, code=refused.code,
                            headers=refused.headers, media_type=media_type)

    async def _run(self, request: Request, params: GraphQLParams, media_type: str) -> Response:
        request.state.operation_name = params.operation_name
        prepared = self.documents.get(params.query)
        if prepared.errors:
            code = "GRAPHQL_VALIDATION_FAILED" if prepared.parsed else "GRAPHQL_PARSE_FAILED"
            return _request_failed(prepared.errors, code=code, media_type=media_type)
        assert prepared.document is not None
        operation = get_operation_ast(prepared.document, params.operation_name)
        if operation is None:
            message = (
                f"no operation named {params.operation_name!r} in the document"
                if params.operation_name
                else "the document has several operations: name one with operationName"
            )
            return _request_failed(
                [GraphQLError(message)], code="BAD_USER_INPUT", media_type=media_type
            )
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            raise HttpError(
                405,
                f"{operation.operation.value}s are sent with POST; GET runs queries only",
                headers={"Allow": "POST"},
            )
        request.state.operation_name = _operation_name(operation, params.operation_name)
        ctx = self.context(request)
        result = execute(
            self.schema,
            prepared.document,
            context_value=ctx,
            variable_values=params.variables,
            operation_name=params.operation_name,
        )
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # Nothing executed: the variables did not coerce.
            return _request_failed(result.errors, code="BAD_USER_INPUT", media_type=media_type)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [execution_error(e, request_id=ctx.request_id) for e in result.errors]
        body["data"] = result.data
        return _json(200, body, media_type=media_type)


async def _read_params(request: Request) -> GraphQLParams:
    if request.method == "GET":
        raw: dict[str, Any] = dict(request.query_params)
        for key in ("variables", "extensions"):
            if raw.get(key):
                raw[key] = _parse_json(raw[key].encode(), what=key)
            else:
                raw.pop(key, None)
        return _params(raw)
    content_type = request.headers.get("content-type")
    if content_type is None:
        raise HttpError(415, f"POST needs Content-Type: {JSON}")
    mime, _, options = content_type.partition(";")
    if mime.strip().lower() != JSON:
        raise HttpError(415, f"POST bodies are {JSON}, not {mime.strip() or 'empty'}")
    charset = _charset(options)
    if charset not in (None, "utf-8", "utf8"):
        raise HttpError(415, f"request bodies are UTF-8, not {charset}")
    body = await _read_body(request)
    if not body:
        raise HttpError(400, "the request body is empty: send a JSON object with `query`")
    payload = _parse_json(body, what="request body")
    if not isinstance(payload, dict):
        raise HttpError(400, "the request body must be a JSON object (batching is not supported)")
    return _params(payload)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HttpError(413, f"request bodies are at most {MAX_BODY_BYTES} bytes", code="PAYLOAD_TOO_LARGE")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HttpError(413, f"request bodies are at most {MAX_BODY_BYTES} bytes", code="PAYLOAD_TOO_LARGE")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(data: bytes, *, what: str) -> Any:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, f"the {what} is not valid UTF-8") from None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        detail = "nested too deeply" if "depth" in str(error) else "not valid JSON"
        raise HttpError(400, f"the {what} is {detail}") from None


def _params(raw: dict[str, Any]) -> GraphQLParams:
    query = raw.get("query")
    if not isinstance(query, str) or not query.strip():
        raise HttpError(400, "`query` is required and must be a string holding a GraphQL document")
    operation_name = raw.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise HttpError(400, "`operationName` must be a string or null")
    variables = raw.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise HttpError(400, "`variables` must be a JSON object or null")
    extensions = raw.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise HttpError(400, "`extensions` must be a JSON object or null")
    return GraphQLParams(query, operation_name or None, variables, extensions)


def _charset(options: str) -> str | None:
    for option in options.split(";"):
        name, _, value = option.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when nothing we speak fits."""
    if not accept:
        return JSON
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept.split(",")):
        mime, _, options = item.partition(";")
        mime = mime.strip().lower()
        quality = 1.0
        for option in options.split(";"):
            name, _, value = option.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        if mime == GRAPHQL_RESPONSE:
            ranked.append((quality, -position, GRAPHQL_RESPONSE))
        elif mime in (JSON, "application/*", "*/*"):
            ranked.append((quality, -position, JSON))
    return max(ranked)[2] if ranked else None


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "query" not in request.query_params


def _operation_name(operation: OperationDefinitionNode, given: str | None) -> str | None:
    return given or (operation.name.value if operation.name else None)


def _json(
    status: int, body: dict[str, Any], *, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=headers,
    )


def _request_failed(errors: list[GraphQLError], *, code: str, media_type: str) -> Response:
    status = 400 if media_type == GRAPHQL_RESPONSE else 200
    return _json(
        status, {"errors": [request_error(e, code=code) for e in errors]}, media_type=media_type
    )


def _refusal(
    status: int,
    message: str,
    *,
    code: str = "BAD_REQUEST",
    headers: dict[str, str] | None = None,
    media_type: str = JSON,
) -> Response:
    return _json(status, {"errors": [plain_error(message, code=code)]}, media_type=media_type,
                 headers=headers)
