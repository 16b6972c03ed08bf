"""Bearer tokens: who a request speaks for.

Tokens are JWTs signed with HS256 (a shared secret) or RS256/ES256 (public keys from a PEM
file or a JWKS file). `exp` is required, `nbf` honoured, and `aud`/`iss` checked when
configured. Claims: `role` is `customer` or `staff`; a customer's `sub` is their id (a
uuid, or their global id). No token means an anonymous viewer; a bad one is refused.

A client sends the same token with every request until it expires, and checking a
signature costs more than the rest of a small query's request; so each verifier remembers
the tokens it accepted (`MAX_REMEMBERED`, exactly as sent) with their expiry. A remembered
token is accepted again without a new signature check, only while it has not expired.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt

from engine.node_ids import uuid_of
from resolvers.viewer import ANONYMOUS, Viewer

LEEWAY_SECONDS = 30
"""Clock skew tolerated between the token's issuer and this server."""
MAX_REMEMBERED = 4096


class Unauthenticated(Exception):
    """The request carried a token that cannot be trusted; the message says why."""


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    secret: str | None = None
    public_keys: tuple[Any, ...] = ()
    audience: str | None = None
    issuer: str | None = None
    leeway: float = LEEWAY_SECONDS
    _accepted: dict[str, tuple[Viewer, float]] = field(
        default_factory=dict, compare=False, repr=False
    )  # token -> (viewer, expiry)

    @classmethod
    def load(
        cls,
        *,
        secret: str | None,
        public_keys: Path | None,
        audience: str | None,
        issuer: str | None,
    ) -> TokenVerifier:
        keys: tuple[Any, ...] = ()
        if public_keys is not None:
            keys = _read_keys(public_keys)
        return cls(secret=secret, public_keys=keys, audience=audience, issuer=issuer)

    def viewer(self, authorization: str | None) -> Viewer:
        """The viewer a request's Authorization header speaks for."""
        if authorization is None or not authorization.strip():
            return ANONYMOUS
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("the Authorization header must be `Bearer <token>`")
        remembered = self._accepted.get(token)
        if remembered is not None:
            viewer, expiry = remembered
            if time.time() <= expiry + self.leeway:
                return viewer
            del self._accepted[token]
        claims = self._claims(token)
        viewer = _viewer_of(claims)
        if len(self._accepted) >= MAX_REMEMBERED:
            del self._accepted[next(iter(self._accepted))]  # the oldest
        self._accepted[token] = (viewer, float(claims["exp"]))
        return viewer

    def expires_at(self, authorization: str | None) -> float | None:
        """When the token of a header `viewer` accepted stops being accepted (epoch
        seconds); None without a token."""
        if authorization is None or not authorization.strip():
            return None
        token = authorization.strip().partition(" ")[2].strip()
        remembered = self._accepted.get(token)
        if remembered is not None:
            return remembered[1] + self.leeway
        claims = jwt.decode(token, options={"verify_signature": False})  # verified already
        return float(claims["exp"]) + self.leeway

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:  # undecodable, or a header PyJWT refuses (`kid`, `crit`)
            raise Unauthenticated("the bearer token is malformed") from None
        algorithm = header.get("alg")
        key: Any
        if algorithm == "HS256" and self.secret:
            key = self.secret
        elif algorithm in ("RS256", "ES256") and self.public_keys:
            key = self._public_key(header.get("kid"), algorithm)
        else:
            raise Unauthenticated(f"tokens signed with {algorithm!r} are not accepted")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the bearer token has expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("the bearer token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("the bearer token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("the bearer token comes from another issuer") from None
        except jwt.MissingRequiredClaimError as missing:
            raise Unauthenticated(f"the bearer token has no {missing.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("the bearer token's signature is not valid") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("the bearer token is not valid") from None
        return claims

    def _public_key(self, kid: str | None, algorithm: str) -> Any:
        for key_id, key_algorithm, key in self.public_keys:
            if (kid is None or key_id in (None, kid)) and key_algorithm in (None, algorithm):
                return key
        raise Unauthenticated("the bearer token is signed with an unknown key")


def _viewer_of(claims: dict[str, Any]) -> Viewer:
    role = claims.get("role")
    if role == "staff":
        return Viewer("staff")
    if role == "customer":
        customer = _customer_id(claims.get("sub"))
        if customer is None:
            raise Unauthenticated("a customer token needs the customer's id as `sub`")
        return Viewer("customer", customer)
    raise Unauthenticated("the bearer token's `role` must be `customer` or `staff`")


def _customer_id(subject: Any) -> UUID | None:
    if not isinstance(subject, str):
        return None
    try:
        return UUID(subject)
    except ValueError:
        return uuid_of(subject, type_name="Customer")


def _read_keys(path: Path) -> tuple[Any, ...]:
    """(kid, algorithm, key) for each key in a JWKS file or a PEM public key file."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        keys = jwt.PyJWKSet.from_dict(json.loads(text)).keys
        return tuple((k.key_id, k.algorithm_name, k.key) for k in keys)
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    # The key's type decides the one algorithm it verifies: a token naming another one is
    # signed with an unknown key, never handed to PyJWT with a key of the wrong kind.
    key = load_pem_public_key(text.encode())
    if isinstance(key, rsa.RSAPublicKey):
        return ((None, "RS256", key),)
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return ((None, "ES256", key),)
    raise ValueError(f"{path.name} holds neither an RSA nor a P-256 public key")


def mint(*, secret: str, role: str, customer: str | None, ttl_seconds: int, now: float) -> str:
    """A development token signed with the shared secret (`storefront token`)."""
    claims: dict[str, Any] = {"role": role, "iat": int(now), "exp": int(now) + ttl_seconds}
    if customer is not None:
        claims["sub"] = customer
    return jwt.encode(claims, secret, algorithm="HS256")
