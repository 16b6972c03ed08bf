"""The JSON answers of GraphQL over HTTP: the response type, and the errors of requests
refused before or without execution."""

from __future__ import annotations

from typing import Any

import orjson
from graphql import GraphQLError
from starlette.responses import Response

from engine.errors import plain_error, request_error
from engine.http_params import GRAPHQL_RESPONSE, JSON


def json_response(
    status: int, body: dict[str, Any], *, media_type: str, headers: dict[str, str] | None = None
) -> JsonResponse:
    return JsonResponse(orjson.dumps(body), status, media_type, headers)


class JsonResponse(Response):
    """A response of JSON bytes with its headers written out directly (Starlette's own
    constructor works them out from a media type and a mapping on every response)."""

    body: bytes

    def __init__(
        self, body: bytes, status: int, media_type: str, headers: dict[str, str] | None
    ) -> None:
        self.status_code = status
        self.body = body
        self.background = None
        self.raw_headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", CONTENT_TYPES[media_type]),
            # The same GET answers differently by Accept: caches must key on it.
            (b"vary", b"Accept"),
        ]
        if headers:
            self.raw_headers += [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
            ]


CONTENT_TYPES = {kind: f"{kind}; charset=utf-8".encode() for kind in (GRAPHQL_RESPONSE, JSON)}


def request_failed(
    errors: list[GraphQLError],
    *,
    code: str,
    media_type: str,
    extensions: dict[str, Any] | None = None,
) -> JsonResponse:
    status = 400 if media_type == GRAPHQL_RESPONSE else 200
    body: dict[str, Any] = {"errors": [request_error(e, code=code) for e in errors]}
    if extensions:
        body["extensions"] = extensions
    return json_response(status, body, media_type=media_type)


def refusal(
    status: int,
    message: str,
    *,
    code: str = "BAD_REQUEST",
    headers: dict[str, str] | None = None,
    media_type: str = JSON,
) -> JsonResponse:
    return json_response(
        status,
        {"errors": [plain_error(message, code=code)]},
        media_type=media_type,
        headers=headers,
    )
