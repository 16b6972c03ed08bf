"""Runtime settings, read from the environment and `.env` (pydantic-settings).

Every setting has an environment variable `STOREFRONT_<NAME>`; the database URL is also read
from the conventional `DATABASE_URL`. The CLI builds its `serve` options from this model, so
`storefront serve --help` always lists exactly these settings with their defaults.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STOREFRONT_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "STOREFRONT_DATABASE_URL"),
        description="PostgreSQL URL; unset starts an embedded PostgreSQL under the data dir",
    )
    host: str = Field(default="127.0.0.1", description="interface the HTTP server binds")
    port: int = Field(default=8000, ge=0, le=65535, description="HTTP port (0 picks a free one)")
    workers: int = Field(default=1, ge=1, le=64, description="server worker processes")
    log_level: LogLevel = Field(default=LogLevel.INFO, description="log level")
    log_format: LogFormat = Field(default=LogFormat.TEXT, description="log lines as text or json")
    pool_min_size: int = Field(default=2, ge=0, description="connections kept open per worker")
    pool_max_size: int = Field(default=10, ge=1, description="connections at most per worker")
    pool_acquire_timeout: float = Field(
        default=2.0, gt=0, description="seconds to wait for a pooled connection"
    )
    statement_timeout_ms: int = Field(
        default=5000, ge=0, description="PostgreSQL statement_timeout in ms (0: none)"
    )
    lock_timeout_ms: int = Field(
        default=2000, ge=0, description="PostgreSQL lock_timeout in ms (0: none)"
    )
    idle_in_transaction_timeout_ms: int = Field(
        default=10000,
        ge=0,
        description="PostgreSQL idle_in_transaction_session_timeout in ms (0: none)",
    )
    request_timeout: float = Field(
        default=10.0, gt=0, description="seconds one GraphQL execution may take in all"
    )
    compiled_reads: bool = Field(
        default=True,
        description="run queries from compiled plans (graphql-core runs the rest, and any "
        "query whose plan fails); false runs everything on graphql-core",
    )
    max_concurrent_requests: int = Field(
        default=64,
        ge=1,
        description="GraphQL executions at once per worker; more are refused with 503",
    )
    shutdown_delay: float = Field(
        default=1.0,
        ge=0,
        description="seconds /readyz answers 503 after SIGTERM before connections are refused",
    )
    header_timeout: float = Field(
        default=5.0,
        gt=0,
        description="seconds a request's head may take to arrive, from the connection's "
        "opening or the request's first byte; then the connection is closed",
    )
    keep_alive_timeout: float = Field(
        default=5.0, gt=0, description="seconds a kept-alive connection may idle between requests"
    )
    data_dir: Path = Field(
        default=Path(".storefront"), description="embedded PostgreSQL data and local state"
    )
    max_page_size: int = Field(default=100, ge=1, description="largest first/last accepted")
    default_page_size: int = Field(default=20, ge=1, description="page size when none is given")
    env: Environment = Field(
        default=Environment.DEVELOPMENT,
        description="production closes introspection, field suggestions and GraphiQL to all "
        "but staff",
    )
    max_document_chars: int = Field(
        default=65_536,
        ge=1,
        description="characters a document may hold, blanks, strings and comments included",
    )
    max_depth: int = Field(default=12, ge=1, description="levels of fields a query may nest")
    max_aliases: int = Field(default=30, ge=0, description="aliased fields a query may execute")
    max_tokens: int = Field(
        default=5000, ge=1, description="tokens a document may hold, comments included"
    )
    max_cost: int = Field(
        default=10_000, ge=1, description="objects a query may return by estimate"
    )
    idempotency_ttl_hours: float = Field(
        default=24.0, gt=0, description="how long an idempotency key is remembered"
    )
    jwt_secret: str | None = Field(
        default=None,
        description="HS256 secret for bearer tokens; unset: one kept in the data dir",
    )
    jwt_public_keys: Path | None = Field(
        default=None, description="PEM or JWKS file of RS256/ES256 public keys for tokens"
    )
    jwt_audience: str | None = Field(default=None, description="required `aud` of tokens")
    jwt_issuer: str | None = Field(default=None, description="required `iss` of tokens")
    seed_demo: bool = Field(
        default=True, description="load a small demo catalogue into an empty database on serve"
    )
    persisted_queries: PersistedQueries = Field(
        default=PersistedQueries.APQ,
        description="persisted operations: off, apq (automatic persisted queries) or "
        "trusted-only (only the manifest's operations run)",
    )
    persisted_queries_manifest: Path | None = Field(
        default=None,
        description="manifest written by `storefront persist`; needed by trusted-only",
    )
    metrics: MetricsAccess = Field(
        default=MetricsAccess.OFF,
        description="Prometheus metrics on GET /metrics: off (nothing is measured), open "
        "(anyone may scrape), staff (a staff bearer token is needed) or port (only on "
        "metrics_bind, a separate address, open to whoever reaches it)",
    )
    metrics_bind: str = Field(
        default="127.0.0.1:9464",
        pattern=r"^(\[[0-9A-Fa-f:.]+\]|[^:\s]*):[0-9]{1,5}$",
        description="host:port where metrics=port serves GET /metrics (every worker binds it)",
    )
    metrics_operation_names: int = Field(
        default=50,
        ge=0,
        description="operation names outside the persisted manifest that get series of their "
        "own (the first to reach 10 requests); the rest count as `other`",
    )
    metrics_dir: Path | None = Field(
        default=None,
        description="directory where worker processes share their figures; `serve` makes one "
        "per run when unset",
    )
    slow_operation_ms: float = Field(
        default=1000.0,
        ge=0,
        description="log a warning for each GraphQL operation that takes at least this many ms "
        "(0: never)",
    )
    trace_document: bool = Field(
        default=False,
        description="put the GraphQL document on trace spans (graphql.document); it may hold "
        "literal values",
    )
    max_directives: int = Field(
        default=50, ge=0, description="directives a document may hold, written out"
    )
    max_selections: int = Field(
        default=1000,
        ge=1,
        description="selections of a whole document, a fragment's counted each time it is spread",
    )
    max_fields: int = Field(
        default=50,
        ge=1,
        description="fields a query may select on one object, repeats and fragments included",
    )
    max_operations: int = Field(
        default=50, ge=1, description="operations a document may hold, whichever one runs"
    )
    max_errors: int = Field(
        default=20, ge=2, description="validation errors one answer carries at most"
    )
    event_retention_hours: float = Field(
        default=24.0, gt=0, description="how long change events are kept for subscribers"
    )
    ws_max_connections: int = Field(
        default=2000, ge=1, description="WebSocket connections at once per worker"
    )
    ws_max_subscriptions: int = Field(
        default=100, ge=1, description="subscriptions at once per WebSocket connection"
    )
    ws_max_message_bytes: int = Field(
        default=65536, ge=1024, description="bytes of one message a WebSocket client sends"
    )
    subscriber_queue_size: int = Field(
        default=100,
        ge=1,
        description="events waiting to be sent to one subscriber before it is stopped as "
        "too slow (SUBSCRIBER_TOO_SLOW)",
    )
    ws_compression: bool = Field(
        default=False,
        description="permessage-deflate for WebSocket clients that offer it (each compressed "
        "connection holds zlib's state and compresses every event for itself)",
    )
    ws_init_timeout: float = Field(
        default=10.0, gt=0, description="seconds a WebSocket client has to send connection_init"
    )
    ws_keepalive: float = Field(
        default=30.0,
        gt=0,
        description="seconds of silence before a WebSocket client is pinged, and again "
        "before it is closed",
    )
    stream_max_open: int = Field(
        default=2000,
        ge=1,
        description="streaming HTTP responses (Server-Sent Events, multipart) at once per worker",
    )
    sse_heartbeat: float = Field(
        default=15.0,
        gt=0,
        description="seconds between comment lines on an idle Server-Sent Events stream, so "
        "proxies keep it open",
    )
    multipart_heartbeat: float = Field(
        default=5.0,
        gt=0,
        description="seconds between heartbeat parts on an idle multipart subscription",
    )
    pooler_mode: PoolerMode = Field(
        default=PoolerMode.NONE,
        description="transaction: DATABASE_URL is a pooler in transaction mode (PgBouncer "
        "pool_mode=transaction), so no session state is left on its connections",
    )
    pooler_prepared_statements: bool = Field(
        default=False,
        description="in transaction mode, the pooler keeps prepared statements (PgBouncer "
        ">= 1.21 with max_prepared_statements > 0)",
    )
    database_direct_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_DIRECT_URL", "STOREFRONT_DATABASE_DIRECT_URL"),
        description="the primary without a pooler, for what needs a session (migrations and "
        "their lock, LISTEN); default DATABASE_URL",
    )
    database_replica_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_REPLICA_URL", "STOREFRONT_DATABASE_REPLICA_URL"),
        description="streaming replicas for queries, comma-separated; default none",
    )
    replica_max_lag_ms: int = Field(
        default=5000, ge=0, description="a replica further behind than this (ms) is left out"
    )
    replica_max_wait_ms: int = Field(
        default=200,
        ge=0,
        description="how long a request with X-Read-After waits for a replica before it "
        "reads the primary (ms)",
    )

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
