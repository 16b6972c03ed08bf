"""Reading GraphQL-over-HTTP requests: media types, the body, and the request parameters.

Everything here refuses with `HttpError` before GraphQL sees the request; the endpoint turns
that into a response with the status it carries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY_BYTES = 1 << 20


class HttpError(Exception):
    """A request refused before GraphQL sees it, with its HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str = "BAD_REQUEST",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    """The request's parameters. `query` is empty when the client named a persisted document
    by its hash alone; `engine.persisted` puts the text in before anything reads it."""

    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None


def header(scope: Any, name: bytes) -> str | None:
    """A request header's first value, read off the scope (`name` in lower case, as ASGI
    servers give names): Starlette's `Headers.get` costs two Python calls more per lookup,
    and every query makes several."""
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def accepted(scope: Any) -> bytes:
    """Every Accept header of a request, as one list."""
    return b", ".join([value for key, value in scope["headers"] if key == b"accept"])


@lru_cache(maxsize=256)  # a client sends the same Accept header with every request
def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when nothing we speak fits.

    Each of our types takes the quality of the most specific range that matches it (so
    `*/*, application/json;q=0` refuses JSON); ties go to the more specific range, then to
    the one listed first. A missing header means `application/json`, as the spec says.
    """
    if not accept or not accept.strip():
        return JSON
    ranges = [_media_range(item) for item in accept.split(",") if item.strip()]
    best: tuple[float, int, int] = (0.0, 0, 0)
    chosen = None
    for offered in (JSON, GRAPHQL_RESPONSE):
        rank = _rank(ranges, offered)
        if rank[0] > 0 and rank > best:
            best, chosen = rank, offered
    return chosen


HTML = "text/html"


@lru_cache(maxsize=256)
def prefers_html(accept: str | None) -> bool:
    """True when the Accept header ranks `text/html` above both JSON types: a browser
    navigating (`text/html, ..., */*;q=0.8`), not a client that lists HTML after JSON or
    accepts anything (`*/*`: a tie goes to JSON). Ranks as `negotiate` does."""
    if not accept:
        return False
    ranges = [_media_range(item) for item in accept.split(",") if item.strip()]
    html, best_json = _rank(ranges, HTML), max(_rank(ranges, JSON), _rank(ranges, GRAPHQL_RESPONSE))
    return html[0] > 0 and html[:2] > best_json[:2]


def _rank(ranges: list[tuple[str, float]], offered: str) -> tuple[float, int, int]:
    """(quality, specificity, -position) of the most specific range matching `offered`;
    quality 0 when none does."""
    matches = [
        (specificity, -position, quality)
        for position, (mime, quality) in enumerate(ranges)
        if (specificity := _specificity(mime, offered)) >= 0
    ]
    if not matches:
        return (0.0, -1, 0)
    specificity, position, quality = max(matches)
    return (quality, specificity, position)


def _media_range(item: str) -> tuple[str, float]:
    mime, *options = item.split(";")
    quality = 1.0
    for option in options:
        name, _, value = option.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
    return mime.strip().lower(), quality


def _specificity(mime: str, offered: str) -> int:
    """2 for an exact match, 1 for `type/*`, 0 for `*/*`, -1 when the range misses."""
    if mime == offered:
        return 2
    if mime == offered.split("/")[0] + "/*":
        return 1
    return 0 if mime == "*/*" else -1


Receive = Callable[[], Awaitable[Any]]


async def read_params(scope: Any, body: bytes | Receive) -> GraphQLParams:
    """The parameters of a GET (from the URL) or of a POST: its `body` as read already (an
    HTTP protocol that gathered it), or read here from an ASGI `receive`."""
    if scope["method"] == "GET":
        return _query_string_params(scope)
    _check_content_type(header(scope, b"content-type"))
    if not isinstance(body, bytes):
        body = await _read_body(scope, body)
    if not body:
        raise HttpError(400, "the request body is empty: send a JSON object with `query`")
    payload = _parse_json(body, what="request body")
    if not isinstance(payload, dict):
        raise HttpError(400, "the request body must be a JSON object (batching is not supported)")
    return _params(payload)


def _query_string_params(scope: Any) -> GraphQLParams:
    raw: dict[str, Any] = dict(QueryParams(scope["query_string"]))
    for key in ("variables", "extensions"):
        # An empty value is how a form leaves a parameter out.
        if raw.get(key):
            raw[key] = _parse_json(raw[key], what=f"`{key}` parameter")
        else:
            raw.pop(key, None)
    return _params(raw)


def _check_content_type(content_type: str | None) -> None:
    if content_type is None:
        raise HttpError(415, f"POST needs Content-Type: {JSON}")
    mime, _, options = content_type.partition(";")
    mime = mime.strip().lower()
    if mime != JSON:
        raise HttpError(415, f"POST bodies are {JSON}, not {mime or 'empty'}")
    charset = _charset(options)
    if charset not in (None, "utf-8", "utf8"):
        raise HttpError(415, f"request bodies are UTF-8, not {charset}")


def _charset(options: str) -> str | None:
    for option in options.split(";"):
        name, _, value = option.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


async def _read_body(scope: Any, receive: Receive) -> bytes:
    # Content-Length refuses early; counting the stream also catches chunked bodies.
    if declared_too_large(scope):
        raise _too_large()
    # The messages straight from `receive`: `Request.stream()` is an async generator, which
    # the loop registers and finalises on every request.
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        if not message.get("more_body", False):
            if not chunks:
                return chunk  # the whole body came in one message
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)


def declared_too_large(scope: Any) -> bool:
    """Whether the request's Content-Length alone says its body is over the limit."""
    declared = declared_size((header(scope, b"content-length") or "").encode("latin-1"))
    return declared is not None and declared > MAX_BODY_BYTES


_LIMIT_DIGITS = len(str(MAX_BODY_BYTES))


def declared_size(content_length: bytes) -> int | None:
    """A Content-Length's figure (None when it is not digits), any figure over the body
    limit read as one byte over it: leading zeros count for nothing, and a figure of more
    digits than `int` takes (4,300) is over the limit, not a fault."""
    if not content_length.isdigit():
        return None
    digits = content_length.lstrip(b"0")
    if len(digits) > _LIMIT_DIGITS:
        return MAX_BODY_BYTES + 1
    return int(digits or b"0")


def _too_large() -> HttpError:
    return HttpError(
        413, f"request bodies are at most {MAX_BODY_BYTES} bytes", code="PAYLOAD_TOO_LARGE"
    )


def _parse_json(data: bytes | str, *, what: str) -> Any:
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise HttpError(400, f"the {what} is not valid UTF-8") from None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        # orjson nests at most 1024 levels; its messages quote internals, so only say which.
        detail = "nested too deeply" if "depth" in str(error) else "not valid JSON"
        raise HttpError(400, f"the {what} is {detail}") from None


def _params(raw: dict[str, Any]) -> GraphQLParams:
    query = raw.get("query")
    extensions = raw.get("extensions")
    if query in (None, "") and isinstance(extensions, dict) and extensions.get("persistedQuery"):
        query = ""  # named by its hash alone: `engine.persisted` supplies the text
    elif not isinstance(query, str) or not query.strip():
        raise HttpError(400, "`query` is required and must be a string holding a GraphQL document")
    operation_name = raw.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise HttpError(400, "`operationName` must be a string or null")
    variables = raw.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise HttpError(400, "`variables` must be a JSON object or null")
    if extensions is not None and not isinstance(extensions, dict):
        raise HttpError(400, "`extensions` must be a JSON object or null")
    return GraphQLParams(query, operation_name or None, variables, extensions)
