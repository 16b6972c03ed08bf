"""What every streaming transport (WebSocket, Server-Sent Events, multipart) serves with."""

from __future__ import annotations

from dataclasses import dataclass

from engine.admission import Admission
from engine.auth import TokenVerifier
from engine.operations import Operations
from engine.streams import ContextFactory, Subscriptions


@dataclass(frozen=True, slots=True)
class StreamServices:
    operations: Operations
    hub: Subscriptions
    tokens: TokenVerifier
    admission: Admission
    context: ContextFactory


class StreamTransport:
    """A transport's shared state: its services, and whether the process is stopping (then
    it takes no new connection or stream)."""

    def __init__(self, services: StreamServices) -> None:
        self.operations = services.operations
        self.hub = services.hub
        self.tokens = services.tokens
        self.admission = services.admission
        self.context = services.context
        self.stopping = False
