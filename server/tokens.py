"""The token configuration the server verifies with and `storefront token` signs with."""

from __future__ import annotations

import os
import secrets

from engine.auth import TokenVerifier
from server.settings import Settings

SECRET_FILE = "jwt-secret"  # noqa: S105 - a file name, not a secret


def signing_secret(settings: Settings) -> str | None:
    """The HS256 secret: the configured one, or, when no keys are configured at all, one
    generated once and kept in the data dir so every process of this machine agrees."""
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.jwt_public_keys is not None:
        return None
    path = settings.data_dir / SECRET_FILE
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # Created owner-only and exclusively: two processes starting together keep one.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def verifier(settings: Settings) -> TokenVerifier:
    return TokenVerifier.load(
        secret=signing_secret(settings),
        public_keys=settings.jwt_public_keys,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
