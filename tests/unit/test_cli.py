"""The command line: settings on `serve --help`, export-schema --check."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from server.cli import main
from server.http_protocol import HttpProtocol, ServerConfig
from server.serve import uvicorn_config
from server.settings import Settings, environment_variable


def test_serve_help_lists_every_setting_with_its_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["serve", "--help"])
    assert done.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    for name in Settings.model_fields:
        assert "--" + name.replace("_", "-") in shown
    assert "[env DATABASE_URL]" in shown
    assert "[env STOREFRONT_PORT] (default: 8000)" in shown
    assert "[env STOREFRONT_MAX_PAGE_SIZE] (default: 100)" in shown
    assert "(default: .storefront)" in shown


def test_export_schema_check_fails_on_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "schema.graphql"
    target.write_text("type Query { stale: Int }\n")
    assert main(["export-schema", "--check", "--path", str(target)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["export-schema", "--path", str(target)]) == 0
    assert main(["export-schema", "--check", "--path", str(target)]) == 0
    assert "type Query" in target.read_text()


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://x@127.0.0.1:1/db")
    monkeypatch.setenv("STOREFRONT_MAX_PAGE_SIZE", "50")
    settings = Settings()
    assert settings.database_url == "postgresql://x@127.0.0.1:1/db"
    assert settings.max_page_size == 50


def test_the_readme_lists_every_setting(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    for name in Settings.model_fields:
        env = environment_variable(name)
        assert f"`{env}`" in readme, env


def test_the_default_page_must_fit_the_maximum() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="exceeds max_page_size"):
        Settings(default_page_size=50, max_page_size=20)


def test_uvicorn_serves_with_our_protocol_and_the_settings() -> None:
    config = uvicorn_config(
        Settings(host="127.0.0.1", port=8123, workers=3, header_timeout=2.5, keep_alive_timeout=7)
    )
    assert config.http is HttpProtocol  # a response's head and body in one write
    assert isinstance(config, ServerConfig)
    assert config.head_timeout == 2.5
    assert config.timeout_keep_alive == 7
    assert pickle.loads(pickle.dumps(config)).head_timeout == 2.5  # as workers receive it
    assert (config.host, config.port, config.workers) == ("127.0.0.1", 8123, 3)
    assert config.factory
    assert config.app == "server.app:create_app"
    assert config.access_log is False
