"""Bearer tokens through the app: who a request speaks for, and which tokens are refused.

No token is an anonymous viewer. Any token that cannot be trusted — malformed, expired, not
valid yet, wrongly signed, with an unknown role or a customer without an id — is refused
with HTTP 401 before anything runs. Also `storefront token`, which mints tokens for
development and tests.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from engine.auth import LEEWAY_SECONDS, TokenVerifier, Unauthenticated, mint
from engine.node_ids import to_global_id
from resolvers.viewer import Viewer
from server.app import create_app
from server.cli import main
from server.settings import Settings
from sql.pool import Database
from tests import factories
from tests.api.conftest import GraphQLClient
from tests.conftest import TEST_SECRET

OVERVIEW = """{ categories { totalCount } products { totalCount nodes { name } }
  customers { totalCount nodes { id } } orders { totalCount nodes { number } } }"""
# What a refusal must never show: stacks, library internals, the secret.
LEAKS = ("Traceback", 'File "', "Error(", "jwt.", "PyJWT", "cryptography", TEST_SECRET)


def gid(type_name: str, id: UUID) -> str:
    return to_global_id(type_name, id)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], *, secret: str = TEST_SECRET) -> str:
    """A token with exactly this header, HMAC-SHA256 signed whatever `alg` says: PyJWT's
    encoder refuses some of the headers clients may still send."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def claims(**extra: Any) -> dict[str, Any]:
    """Claims of a valid staff token, changed by `extra` (None removes a claim)."""
    now = int(time.time())
    base: dict[str, Any] = {"role": "staff", "iat": now, "exp": now + 600}
    base.update(extra)
    return {name: value for name, value in base.items() if value is not None}


def hs256(secret: str = TEST_SECRET, **extra: Any) -> str:
    return jwt.encode(claims(**extra), secret, algorithm="HS256")


def bearer(token: str) -> str:
    return f"Bearer {token}"


@pytest.fixture
async def shop(db: Database) -> dict[str, UUID]:
    category = await factories.category(db, "Books")
    atlas = await factories.product(db, category, "Atlas")
    ann = await factories.customer(db, "Ann")
    bob = await factories.customer(db, "Bob")
    await factories.order(db, ann, [(atlas, 1)])
    await factories.order(db, bob, [(atlas, 2)])
    return {"atlas": atlas, "ann": ann, "bob": bob}


async def overview(http: httpx.AsyncClient, authorization: str | None) -> dict[str, Any]:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await http.post("/graphql", json={"query": OVERVIEW}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def refusal(http: httpx.AsyncClient, authorization: str) -> str:
    """The message of a 401 refusal, after checking everything else about it."""
    response = await http.post(
        "/graphql", json={"query": OVERVIEW}, headers={"Authorization": authorization}
    )
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    for leak in LEAKS:
        assert leak not in response.text
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    message: str = error["message"]
    assert "token" in message  # says what was wrong with what
    return message


@contextlib.asynccontextmanager
async def app_http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own, for token settings other than the suite's."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


def settings(database_url: str, **tokens: Any) -> Settings:
    return Settings(database_url=database_url, pool_min_size=1, pool_max_size=2, **tokens)


# -- no token, good tokens ---------------------------------------------------------------


async def test_no_token_is_anonymous(client: GraphQLClient, shop: dict[str, UUID]) -> None:
    data = await overview(client.http, None)
    assert data["categories"]["totalCount"] == 1
    assert data["products"] == {"totalCount": 1, "nodes": [{"name": "Atlas"}]}
    assert data["customers"] == {"totalCount": 0, "nodes": []}
    assert data["orders"] == {"totalCount": 0, "nodes": []}
    # A blank header is no token either.
    assert await overview(client.http, "  ") == data


async def test_staff_and_customer_tokens(client: GraphQLClient, shop: dict[str, UUID]) -> None:
    staff = await overview(client.http, bearer(hs256()))
    assert (staff["customers"]["totalCount"], staff["orders"]["totalCount"]) == (2, 2)
    ann = await overview(client.http, bearer(hs256(role="customer", sub=str(shop["ann"]))))
    assert ann["customers"]["nodes"] == [{"id": gid("Customer", shop["ann"])}]
    assert ann["orders"] == {"totalCount": 1, "nodes": [{"number": 1001}]}
    # The scheme is case-insensitive.
    assert await overview(client.http, "bearer " + hs256()) == staff


async def test_customer_sub_may_be_a_uuid_or_a_customer_global_id(
    client: GraphQLClient, shop: dict[str, UUID]
) -> None:
    by_uuid = await overview(client.http, bearer(hs256(role="customer", sub=str(shop["bob"]))))
    by_gid = await overview(
        client.http, bearer(hs256(role="customer", sub=gid("Customer", shop["bob"])))
    )
    assert by_uuid == by_gid
    assert by_gid["customers"]["nodes"] == [{"id": gid("Customer", shop["bob"])}]
    assert by_gid["orders"]["nodes"] == [{"number": 1002}]


async def test_clock_skew_within_the_leeway_is_tolerated(
    client: GraphQLClient, shop: dict[str, UUID]
) -> None:
    now = int(time.time())
    just_expired = hs256(exp=now - LEEWAY_SECONDS + 10)
    almost_valid = hs256(nbf=now + LEEWAY_SECONDS - 10)
    for token in (just_expired, almost_valid):
        assert (await overview(client.http, bearer(token)))["customers"]["totalCount"] == 2


# -- refused tokens ----------------------------------------------------------------------


def _now() -> int:
    return int(time.time())


REFUSED: dict[str, tuple[Callable[[], str], str]] = {
    # name: (the Authorization header, what the message says)
    "garbage": (lambda: "Bearer not-a-token", "malformed"),
    "garbage in three parts": (lambda: "Bearer aaa.bbb.ccc", "malformed"),
    "basic scheme": (lambda: "Basic dXNlcjpwYXNzd29yZA==", "`Bearer <token>`"),
    "token without scheme": (lambda: hs256(), "`Bearer <token>`"),
    "scheme without token": (lambda: "Bearer ", "`Bearer <token>`"),
    "expired": (lambda: bearer(hs256(exp=_now() - LEEWAY_SECONDS - 30)), "expired"),
    "not valid yet": (lambda: bearer(hs256(nbf=_now() + LEEWAY_SECONDS + 60)), "not valid yet"),
    "another secret": (lambda: bearer(hs256("another-secret-0123456789abcdefghij")), "signature"),
    "tampered claims": (lambda: bearer(_tampered()), "signature"),
    "no exp": (lambda: bearer(hs256(exp=None)), "'exp'"),
    "unknown role": (lambda: bearer(hs256(role="admin")), "`role`"),
    "no role": (lambda: bearer(hs256(role=None)), "`role`"),
    "customer without sub": (lambda: bearer(hs256(role="customer")), "`sub`"),
    "customer with a made-up sub": (lambda: bearer(hs256(role="customer", sub="ann")), "`sub`"),
    "customer with another type's id": (
        lambda: bearer(hs256(role="customer", sub=gid("Product", uuid4()))),
        "`sub`",
    ),
    "alg none": (lambda: bearer(_unsigned()), "'none'"),
    "alg not allowed": (lambda: bearer(forge({"alg": "HS512"}, claims())), "'HS512'"),
    "rs256 without public keys": (lambda: bearer(_rs256(rsa_key())), "'RS256'"),
    "kid not a string": (lambda: bearer(forge({"alg": "HS256", "kid": 7}, claims())), "malformed"),
    "unknown critical header": (
        lambda: bearer(forge({"alg": "HS256", "crit": ["exp-v2"]}, claims())),
        "malformed",
    ),
}


def _tampered() -> str:
    header, _, signature = hs256(role="customer", sub=str(uuid4())).split(".")
    return f"{header}.{_b64(json.dumps(claims()).encode())}.{signature}"


def _unsigned() -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims()).encode())}."


def _rs256(key: rsa.RSAPrivateKey, **extra: Any) -> str:
    return jwt.encode(claims(**extra), key, algorithm="RS256")


_KEYS: dict[str, Any] = {}


def rsa_key() -> rsa.RSAPrivateKey:
    """One RSA key per run: generating them is slow."""
    if "rsa" not in _KEYS:
        _KEYS["rsa"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key: rsa.RSAPrivateKey = _KEYS["rsa"]
    return key


@pytest.mark.parametrize("case", REFUSED)
async def test_untrusted_tokens_are_refused_with_401(
    client: GraphQLClient, shop: dict[str, UUID], case: str
) -> None:
    authorization, says = REFUSED[case]
    message = await refusal(client.http, authorization())
    assert says in message, message


async def test_a_refused_token_runs_nothing(client: GraphQLClient, db: Database) -> None:
    before = await factories.snapshot(db)
    response = await client.http.post(
        "/graphql",
        json={"query": 'mutation { createCategory(input: {name: "X"}) { __typename } }'},
        headers={"Authorization": bearer(hs256("another-secret-0123456789abcdefghij"))},
    )
    assert response.status_code == 401
    assert await factories.snapshot(db) == before


# -- public keys: RS256 from a PEM file, ES256 from a JWKS file ---------------------------


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


async def test_rs256_with_a_pem_public_key(
    database_url: str, shop: dict[str, UUID], tmp_path: Path
) -> None:
    key = rsa_key()
    pem = tmp_path / "public.pem"
    pem.write_bytes(_pem(key))
    async with app_http(settings(database_url, jwt_public_keys=pem, jwt_secret=None)) as http:
        staff = await overview(http, bearer(_rs256(key)))
        assert staff["customers"]["totalCount"] == 2
        ann = await overview(http, bearer(_rs256(key, role="customer", sub=str(shop["ann"]))))
        assert ann["customers"]["nodes"] == [{"id": gid("Customer", shop["ann"])}]
        # No secret is configured, so no HS256 token is trusted; least of all one signed
        # with the public key itself as the HMAC secret.
        assert "'HS256'" in await refusal(http, bearer(hs256()))
        confused = forge({"alg": "HS256"}, claims(), secret=_pem(key).decode())
        assert "'HS256'" in await refusal(http, bearer(confused))
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        assert "signature" in await refusal(http, bearer(_rs256(other)))
        # A token naming another kind of key than the one configured.
        es256 = jwt.encode(claims(), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
        assert "unknown key" in await refusal(http, bearer(es256))


async def test_es256_with_a_jwks_file(
    database_url: str, shop: dict[str, UUID], tmp_path: Path
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "ES256", "use": "sig"}]}))

    def es256(kid: str | None = "k1", signer: Any = key, **extra: Any) -> str:
        headers = None if kid is None else {"kid": kid}
        return jwt.encode(claims(**extra), signer, algorithm="ES256", headers=headers)

    async with app_http(settings(database_url, jwt_public_keys=jwks, jwt_secret=None)) as http:
        bob = await overview(http, bearer(es256(role="customer", sub=gid("Customer", shop["bob"]))))
        assert bob["customers"]["nodes"] == [{"id": gid("Customer", shop["bob"])}]
        assert (await overview(http, bearer(es256())))["orders"]["totalCount"] == 2
        assert (await overview(http, bearer(es256(kid=None))))["orders"]["totalCount"] == 2
        assert "unknown key" in await refusal(http, bearer(es256(kid="k2")))
        assert "unknown key" in await refusal(http, bearer(_rs256(rsa_key())))
        stranger = ec.generate_private_key(ec.SECP256R1())
        assert "signature" in await refusal(http, bearer(es256(signer=stranger)))
        expired = es256(exp=int(time.time()) - LEEWAY_SECONDS - 30)
        assert "expired" in await refusal(http, bearer(expired))


def test_verifier_loads_each_key_file(tmp_path: Path) -> None:
    """The same keys straight through `TokenVerifier.load`, without an app."""
    key = rsa_key()
    pem = tmp_path / "public.pem"
    pem.write_bytes(_pem(key))
    verifier = TokenVerifier.load(secret=None, public_keys=pem, audience=None, issuer=None)
    ann = uuid4()
    token = _rs256(key, role="customer", sub=str(ann))
    assert verifier.viewer(bearer(token)) == Viewer("customer", ann)
    assert verifier.viewer(None) == Viewer("anonymous")

    ec_key = ec.generate_private_key(ec.SECP256R1())
    pem.write_bytes(
        ec_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    verifier = TokenVerifier.load(secret=None, public_keys=pem, audience=None, issuer=None)
    token = jwt.encode(claims(), ec_key, algorithm="ES256")
    assert verifier.viewer(bearer(token)) == Viewer("staff")
    with pytest.raises(Unauthenticated, match="unknown key"):
        verifier.viewer(bearer(_rs256(key)))

    # A key no accepted algorithm uses is a configuration mistake, refused at start.
    pem.write_bytes(
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError, match=r"public\.pem"):
        TokenVerifier.load(secret=None, public_keys=pem, audience=None, issuer=None)


# -- audience and issuer -----------------------------------------------------------------


async def test_audience_and_issuer_are_enforced_when_configured(
    client: GraphQLClient, database_url: str, shop: dict[str, UUID]
) -> None:
    aud, iss = "storefront-api", "https://auth.example.test"
    configured = settings(database_url, jwt_audience=aud, jwt_issuer=iss)
    async with app_http(configured) as http:
        assert (await overview(http, bearer(hs256(aud=aud, iss=iss))))["orders"]["totalCount"] == 2
        listed = hs256(aud=[aud, "another-api"], iss=iss)
        assert (await overview(http, bearer(listed)))["orders"]["totalCount"] == 2
        assert "another audience" in await refusal(http, bearer(hs256(aud="other", iss=iss)))
        assert "'aud'" in await refusal(http, bearer(hs256(iss=iss)))
        assert "another issuer" in await refusal(http, bearer(hs256(aud=aud, iss="https://x")))
        assert "'iss'" in await refusal(http, bearer(hs256(aud=aud)))
    # Unconfigured, they are not checked.
    assert (await overview(client.http, bearer(hs256(aud="any", iss="any"))))["orders"][
        "totalCount"
    ] == 2


# -- storefront token --------------------------------------------------------------------

CLI_SECRET = "cli-secret-for-minting-0123456789abcdef"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> TokenVerifier:
    """The CLI's environment (no .env file of the working directory), and a verifier with
    the same secret."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STOREFRONT_JWT_SECRET", CLI_SECRET)
    return TokenVerifier(secret=CLI_SECRET)


def minted(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, dict[str, Any]]:
    assert main(["token", *argv]) == 0
    token = capsys.readouterr().out.strip()
    decoded: dict[str, Any] = jwt.decode(token, CLI_SECRET, algorithms=["HS256"])
    return token, decoded


def test_token_command_mints_a_staff_token(
    cli_env: TokenVerifier, capsys: pytest.CaptureFixture[str]
) -> None:
    before = int(time.time())
    token, decoded = minted(capsys, "--role", "staff")
    assert cli_env.viewer(bearer(token)) == Viewer("staff")
    assert decoded["exp"] - decoded["iat"] == 3600  # the default --ttl, 1h
    assert before <= decoded["iat"] <= int(time.time())
    assert "sub" not in decoded


def test_token_command_mints_a_customer_token(
    cli_env: TokenVerifier, capsys: pytest.CaptureFixture[str]
) -> None:
    ann = uuid4()
    token, decoded = minted(capsys, "--role", "customer", "--customer", str(ann), "--ttl", "15m")
    assert cli_env.viewer(bearer(token)) == Viewer("customer", ann)
    assert decoded["exp"] - decoded["iat"] == 900
    assert abs(decoded["exp"] - (time.time() + 900)) < 5
    by_gid, _ = minted(capsys, "--role", "customer", "--customer", gid("Customer", ann))
    assert cli_env.viewer(bearer(by_gid)) == Viewer("customer", ann)
    _, seconds = minted(capsys, "--role", "staff", "--ttl", "90s")
    assert seconds["exp"] - seconds["iat"] == 90


def test_token_command_output_is_accepted_by_the_server_verifier(
    cli_env: TokenVerifier, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.tokens import verifier

    token, _ = minted(capsys, "--role", "staff", "--ttl", "7d")
    assert verifier(Settings()).viewer(bearer(token)) == Viewer("staff")


@pytest.mark.parametrize("ttl", ["15x", "0m", "m", "-5m", "1.5h", "15", "1 h", ""])
def test_token_command_refuses_a_bad_ttl(
    cli_env: TokenVerifier, capsys: pytest.CaptureFixture[str], ttl: str
) -> None:
    assert main(["token", "--role", "staff", f"--ttl={ttl}"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "--ttl" in err


def test_token_command_needs_the_customer_of_a_customer_token(
    cli_env: TokenVerifier, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--role", "customer", "--ttl", "15m"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "--customer" in err


def test_token_command_needs_a_secret(
    cli_env: TokenVerifier,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("STOREFRONT_JWT_SECRET")
    monkeypatch.setenv("STOREFRONT_JWT_PUBLIC_KEYS", str(tmp_path / "keys.pem"))
    assert main(["token", "--role", "staff"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "STOREFRONT_JWT_SECRET" in err


# -- remembered tokens ------------------------------------------------------------------------


def test_an_accepted_token_is_remembered_only_until_it_expires() -> None:
    """The verifier skips the signature check for a token it accepted before, but never
    past the token's expiry: a remembered token that expired is refused like any other."""
    verifier = TokenVerifier(secret=CLI_SECRET, leeway=0)
    now = time.time()
    token = mint(secret=CLI_SECRET, role="staff", customer=None, ttl_seconds=1, now=now)
    assert verifier.viewer(bearer(token)) == Viewer("staff")
    assert token in verifier._accepted  # remembered ...
    assert verifier.viewer(bearer(token)) == Viewer("staff")  # ... and accepted again
    time.sleep(max(0.0, int(now) + 1 - time.time()) + 0.05)
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.viewer(bearer(token))
    assert token not in verifier._accepted


def test_only_the_exact_token_is_remembered() -> None:
    """A token differing from an accepted one in its signature is checked, and refused."""
    verifier = TokenVerifier(secret=CLI_SECRET)
    token = mint(secret=CLI_SECRET, role="staff", customer=None, ttl_seconds=60, now=time.time())
    assert verifier.viewer(bearer(token)) == Viewer("staff")
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(Unauthenticated):
        verifier.viewer(bearer(forged))
