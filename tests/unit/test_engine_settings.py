"""The engine's limits are read from their own settings, each from the right one."""

from __future__ import annotations

from dataclasses import asdict

from server import engine_settings
from server.settings import Settings


def test_every_limit_comes_from_its_own_setting() -> None:
    settings = Settings(
        database_url="postgresql://localhost/unused",
        max_document_chars=1001,
        max_depth=1002,
        max_aliases=1003,
        max_tokens=1004,
        max_directives=1005,
        max_operations=1006,
        max_selections=1007,
        max_fields=1008,
        max_errors=1009,
        max_cost=1010,
        default_page_size=1011,
        max_page_size=1012,
        ws_max_connections=1013,
        ws_max_subscriptions=1014,
        ws_max_message_bytes=2015,
        subscriber_queue_size=1016,
        ws_init_timeout=1017.0,
        ws_keepalive=1018.0,
        stream_max_open=1019,
        sse_heartbeat=1020.0,
        multipart_heartbeat=1021.0,
    )
    assert asdict(engine_settings.query_limits(settings)) == {
        "max_document_chars": 1001,
        "max_depth": 1002,
        "max_aliases": 1003,
        "max_tokens": 1004,
        "max_directives": 1005,
        "max_operations": 1006,
        "max_selections": 1007,
        "max_fields": 1008,
        "max_errors": 1009,
        "max_cost": 1010,
        "default_page": 1011,
        "max_page": 1012,
    }
    assert asdict(engine_settings.ws_limits(settings)) == {
        "max_connections": 1013,
        "max_subscriptions": 1014,
        "max_message_bytes": 2015,
        "queue_size": 1016,
        "init_timeout": 1017.0,
        "keepalive": 1018.0,
    }
    assert asdict(engine_settings.stream_limits(settings)) == {
        "max_streams": 1019,
        "max_operations": 1014,
        "queue_size": 1016,
        "sse_heartbeat": 1020.0,
        "multipart_heartbeat": 1021.0,
    }
