"""Runtime settings, read from the environment and `.env` (pydantic-settings).

Every setting has an environment variable `STOREFRONT_<NAME>`; the database URL is also read
from the conventional `DATABASE_URL`. The CLI builds its `serve` options from this model, so
`storefront serve --help` always lists exactly these settings with their defaults.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class PersistedQueries(StrEnum):
    OFF = "off"
    APQ = "apq"
    TRUSTED_ONLY = "trusted-only"


class MetricsAccess(StrEnum):
    OFF = "off"
    OPEN = "open"
    STAFF = "staff"
    PORT = "port"


class PoolerMode(StrEnum):
    NONE = "none"
    TRANSACTION = "transaction"


# The units most settings are in, each with the bounds every setting in it has.
Seconds = Annotated[float, Field(gt=0)]
Hours = Annotated[float, Field(gt=0)]
Milliseconds = Annotated[int, Field(ge=0)]
Count = Annotated[int, Field(ge=1)]
"""How many of something there may be: at least one."""


FORMER_NAMES = {"compiled_reads": "compiled"}
"""Settings' earlier names, still accepted (as keywords and `serve` options; environment
variables are the fields' aliases): `compiled_reads` governed mutations too."""


class Settings(BaseSettings):
    """Each setting's docstring is its description (`storefront serve --help`)."""

    model_config = SettingsConfigDict(
        env_prefix="STOREFRONT_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        use_attribute_docstrings=True,
        validate_by_name=True,
    )

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "STOREFRONT_DATABASE_URL")
    )
    """PostgreSQL URL; unset starts an embedded PostgreSQL under the data dir"""
    host: str = "127.0.0.1"
    """interface the HTTP server binds"""
    port: int = Field(default=8000, ge=0, le=65535)
    """HTTP port (0 picks a free one)"""
    workers: int = Field(default=1, ge=1, le=64)
    """server worker processes"""
    log_level: LogLevel = LogLevel.INFO
    """log level"""
    log_format: LogFormat = LogFormat.TEXT
    """log lines as text or json"""
    pool_min_size: int = Field(default=2, ge=0)
    """connections kept open per worker"""
    pool_max_size: Count = 10
    """connections at most per worker"""
    pool_acquire_timeout: Seconds = 2.0
    """seconds to wait for a pooled connection"""
    statement_timeout_ms: Milliseconds = 5000
    """PostgreSQL statement_timeout in ms (0: none)"""
    lock_timeout_ms: Milliseconds = 2000
    """PostgreSQL lock_timeout in ms (0: none)"""
    idle_in_transaction_timeout_ms: Milliseconds = 10000
    """PostgreSQL idle_in_transaction_session_timeout in ms (0: none)"""
    request_timeout: Seconds = 10.0
    """seconds one GraphQL execution may take in all"""
    compiled: bool = Field(
        default=True,
        validation_alias=AliasChoices("STOREFRONT_COMPILED", "STOREFRONT_COMPILED_READS"),
    )
    """run queries and mutations from compiled plans (graphql-core runs the rest, and any
    operation whose plan fails); false runs everything on graphql-core"""
    max_concurrent_requests: Count = 64
    """GraphQL executions at once per worker; more are refused with 503"""
    shutdown_delay: float = Field(default=1.0, ge=0)
    """seconds /readyz answers 503 after SIGTERM before connections are refused"""
    header_timeout: Seconds = 5.0
    """seconds a request's head may take to arrive, from the connection's opening or the request's
    first byte; then the connection is closed"""
    keep_alive_timeout: Seconds = 5.0
    """seconds a kept-alive connection may idle between requests"""
    direct_http: bool = True
    """answer plain JSON POSTs to /graphql straight from the HTTP protocol, without an ASGI
    request cycle; false sends every request through the ASGI app"""
    data_dir: Path = Path(".storefront")
    """embedded PostgreSQL data and local state"""
    max_page_size: Count = 100
    """largest first/last accepted"""
    default_page_size: Count = 20
    """page size when none is given"""
    env: Environment = Environment.DEVELOPMENT
    """production closes introspection, field suggestions and GraphiQL to all but staff"""
    max_document_chars: Count = 65_536
    """characters a document may hold, blanks, strings and comments included"""
    max_depth: Count = 12
    """levels of fields a query may nest"""
    max_aliases: int = Field(default=30, ge=0)
    """aliased fields a query may execute"""
    max_tokens: Count = 5000
    """tokens a document may hold, comments included"""
    max_cost: Count = 10_000
    """objects a query may return by estimate"""
    idempotency_ttl_hours: Hours = 24.0
    """how long an idempotency key is remembered"""
    jwt_secret: str | None = None
    """HS256 secret for bearer tokens; unset: one kept in the data dir"""
    jwt_public_keys: Path | None = None
    """PEM or JWKS file of RS256/ES256 public keys for tokens"""
    jwt_audience: str | None = None
    """required `aud` of tokens"""
    jwt_issuer: str | None = None
    """required `iss` of tokens"""
    seed_demo: bool = True
    """load a small demo catalogue into an empty database on serve"""
    persisted_queries: PersistedQueries = PersistedQueries.APQ
    """persisted operations: off, apq (automatic persisted queries) or trusted-only (only the
    manifest's operations run)"""
    persisted_queries_manifest: Path | None = None
    """manifest written by `storefront persist`; needed by trusted-only"""
    metrics: MetricsAccess = MetricsAccess.OFF
    """Prometheus metrics on GET /metrics: off (nothing is measured), open (anyone may scrape),
    staff (a staff bearer token is needed) or port (only on metrics_bind, a separate address, open
    to whoever reaches it)"""
    metrics_bind: str = Field(
        default="127.0.0.1:9464", pattern=r"^(\[[0-9A-Fa-f:.]+\]|[^:\s]*):[0-9]{1,5}$"
    )
    """host:port where metrics=port serves GET /metrics (every worker binds it)"""
    metrics_operation_names: int = Field(default=50, ge=0)
    """operation names outside the persisted manifest that get series of their own (the first to
    reach 10 requests); the rest count as `other`"""
    metrics_dir: Path | None = None
    """directory where worker processes share their figures; `serve` makes one per run when unset"""
    slow_operation_ms: float = Field(default=1000.0, ge=0)
    """log a warning for each GraphQL operation that takes at least this many ms (0: never)"""
    trace_document: bool = False
    """put the GraphQL document on trace spans (graphql.document); it may hold literal values"""
    max_directives: int = Field(default=50, ge=0)
    """directives a document may hold, written out"""
    max_selections: Count = 1000
    """selections of a whole document, a fragment's counted each time it is spread"""
    max_fields: Count = 50
    """fields a query may select on one object, repeats and fragments included"""
    max_operations: Count = 50
    """operations a document may hold, whichever one runs"""
    max_errors: int = Field(default=20, ge=2)
    """validation errors one answer carries at most"""
    event_retention_hours: Hours = 24.0
    """how long change events are kept for subscribers"""
    ws_max_connections: Count = 2000
    """WebSocket connections at once per worker"""
    ws_max_subscriptions: Count = 100
    """subscriptions at once per WebSocket connection"""
    ws_max_message_bytes: int = Field(default=65536, ge=1024)
    """bytes of one message a WebSocket client sends"""
    subscriber_queue_size: Count = 100
    """events waiting to be sent to one subscriber before it is stopped as too slow
    (SUBSCRIBER_TOO_SLOW)"""
    ws_compression: bool = False
    """permessage-deflate for WebSocket clients that offer it (each compressed connection holds
    zlib's state and compresses every event for itself)"""
    ws_init_timeout: Seconds = 10.0
    """seconds a WebSocket client has to send connection_init"""
    ws_keepalive: Seconds = 30.0
    """seconds of silence before a WebSocket client is pinged, and again before it is closed"""
    stream_max_open: Count = 2000
    """streaming HTTP responses (Server-Sent Events, multipart) at once per worker"""
    sse_heartbeat: Seconds = 15.0
    """seconds between comment lines on an idle Server-Sent Events stream, so proxies keep it
    open"""
    multipart_heartbeat: Seconds = 5.0
    """seconds between heartbeat parts on an idle multipart subscription"""
    pooler_mode: PoolerMode = PoolerMode.NONE
    """transaction: DATABASE_URL is a pooler in transaction mode (PgBouncer pool_mode=transaction),
    so no session state is left on its connections"""
    pooler_prepared_statements: bool = False
    """in transaction mode, the pooler keeps prepared statements (PgBouncer >= 1.21 with
    max_prepared_statements > 0)"""
    database_direct_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_DIRECT_URL", "STOREFRONT_DATABASE_DIRECT_URL"),
    )
    """the primary without a pooler, for what needs a session (migrations and their lock, LISTEN);
    default DATABASE_URL"""
    database_replica_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_REPLICA_URL", "STOREFRONT_DATABASE_REPLICA_URL"),
    )
    """streaming replicas for queries, comma-separated; default none"""
    replica_max_lag_ms: Milliseconds = 5000
    """a replica further behind than this (ms) is left out"""
    replica_max_wait_ms: Milliseconds = 200
    """how long a request with X-Read-After waits for a replica before it reads the primary (ms)"""

    @model_validator(mode="before")
    @classmethod
    def _former_names(cls, given: Any) -> Any:
        """A setting given by a name it had before counts under its name now (which wins
        when both are given)."""
        if isinstance(given, dict) and not FORMER_NAMES.keys().isdisjoint(given):
            given = dict(given)
            for former, name in FORMER_NAMES.items():
                if former in given:
                    given.setdefault(name, given.pop(former))
        return given

    @model_validator(mode="after")
    def _default_page_fits(self) -> Settings:
        if self.default_page_size > self.max_page_size:
            raise ValueError(
                f"default_page_size ({self.default_page_size}) exceeds "
                f"max_page_size ({self.max_page_size})"
            )
        return self


def environment_variable(name: str) -> str:
    """The environment variable a setting is documented under: its conventional name when it
    has one (`DATABASE_URL`), else `STOREFRONT_<NAME>`."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return f"STOREFRONT_{name.upper()}"
