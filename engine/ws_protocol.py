"""The graphql-transport-ws protocol's vocabulary: its subprotocol name, close codes as an
exception, the bounds of a connection, and reading client messages."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.websockets import WebSocket

from engine.http_params import GraphQLParams

SUBPROTOCOL = "graphql-transport-ws"

WRITE_NOW = "storefront.websocket.write_now"
"""An extension a server may put in the ASGI scope: write(text: bytes) -> bool sends one
text message in the caller's turn, or answers False and the message goes through ASGI."""


@dataclass(frozen=True, slots=True)
class WsLimits:
    max_connections: int = 1000  # per process
    max_subscriptions: int = 100  # per connection
    max_message_bytes: int = 65536
    queue_size: int = 100  # results waiting to be sent, per subscription
    init_timeout: float = 10.0
    keepalive: float = 30.0  # silence before the server pings; as long again for the pong


class Close(Exception):
    """Ends the connection with a close code of the protocol."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def parse(text: str) -> dict[str, Any]:
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise Close(4400, "Invalid message: not JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise Close(4400, "Invalid message: an object with a `type` is expected")
    return message


def operation_id(message: dict[str, Any]) -> str:
    id = message.get("id")
    if not isinstance(id, str) or not id:
        raise Close(4400, "Invalid message: `id` must be a non-empty string")
    return id


def params_of(payload: Any) -> GraphQLParams:
    if not isinstance(payload, dict):
        raise Close(4400, "Invalid message: `subscribe` needs a payload object")
    query = payload.get("query")
    name = payload.get("operationName")
    variables = payload.get("variables")
    extensions = payload.get("extensions")
    if (
        not isinstance(query, str | None)
        or not isinstance(name, str | None)
        or not isinstance(variables, dict | None)
        or not isinstance(extensions, dict | None)
    ):
        raise Close(4400, "Invalid message: malformed `subscribe` payload")
    if not query and not (extensions or {}).get("persistedQuery"):
        raise Close(4400, "Invalid message: `subscribe` needs a query")
    return GraphQLParams(query or "", name, variables, extensions)


def request_id_of(websocket: WebSocket) -> str:
    given = websocket.headers.get("x-request-id", "")
    if given and len(given) <= 64 and all(c.isalnum() or c in "._:-" for c in given):
        return given
    return secrets.token_hex(8)
