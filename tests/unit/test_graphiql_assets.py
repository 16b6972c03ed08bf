"""GraphiQL's assets: what is fetched is checked, and the page serves only verified files."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import logging
import re
import tarfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import server.graphiql as graphiql
from server.graphiql_assets import check_tarball, fetch, update
from server.graphiql_pins import STAMP, AssetError, Manifest, Package, is_verified, load_manifest

FILES = {"dist/lib.js": b"window.Lib = 1;\n", "dist/lib.css": b".lib { color: red }\n"}


def _tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo("package/" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


class FakeRegistry:
    """Packs the same tarball every time, counting how often it was asked."""

    def __init__(self, tarball: Path) -> None:
        self.tarball = tarball
        self.packed = 0

    def __call__(self, package: Package, dest: Path) -> Path:
        self.packed += 1
        target = dest / f"{package.name}-{package.version}.tgz"
        target.write_bytes(self.tarball.read_bytes())
        return target


@pytest.fixture
def tarball(tmp_path: Path) -> Path:
    return _tarball(tmp_path / "lib-1.0.0.tgz", FILES)


def _manifest(
    tmp_path: Path,
    tarball: Path,
    *,
    integrity: str | None = None,
    first_path: str | None = None,
    first_sha256: str | None = None,
) -> Manifest:
    """Writes and loads an assets.json for the tarball, the first file's entry changed if asked."""
    files = [
        {"path": name, "sha256": hashlib.sha256(data).hexdigest()} for name, data in FILES.items()
    ]
    files[0]["path"] = first_path or files[0]["path"]
    files[0]["sha256"] = first_sha256 or files[0]["sha256"]
    entry = {
        "name": "lib",
        "version": "1.0.0",
        "integrity": integrity or _integrity(tarball),
        "files": files,
    }
    path = tmp_path / "assets.json"
    path.write_text(json.dumps({"packages": [entry]}))
    return load_manifest(path)


def test_fetch_writes_only_the_listed_files_then_the_stamp(tmp_path: Path, tarball: Path) -> None:
    manifest = _manifest(tmp_path, tarball)
    vendor = tmp_path / "vendor"
    registry = FakeRegistry(tarball)

    assert fetch(manifest, vendor, pack=registry) is True

    assert (vendor / "lib@1.0.0/dist/lib.js").read_bytes() == FILES["dist/lib.js"]
    assert (vendor / STAMP).read_text().strip() == manifest.digest
    assert is_verified(manifest, vendor)
    # Already done: nothing is packed again.
    assert fetch(manifest, vendor, pack=registry) is False
    assert registry.packed == 1


def test_a_file_whose_hash_differs_is_refused_and_nothing_is_kept(
    tmp_path: Path, tarball: Path
) -> None:
    manifest = _manifest(tmp_path, tarball, first_sha256="0" * 64)
    vendor = tmp_path / "vendor"

    with pytest.raises(AssetError, match=r"dist/lib.js has sha256 \w+, but assets.json records"):
        fetch(manifest, vendor, pack=FakeRegistry(tarball))

    assert not vendor.exists()
    assert not is_verified(manifest, vendor)


def test_a_tarball_with_the_wrong_integrity_is_refused_and_deleted(
    tmp_path: Path, tarball: Path
) -> None:
    other = _tarball(tmp_path / "other.tgz", {**FILES, "dist/lib.js": b"evil();\n"})
    manifest = _manifest(tmp_path, tarball, integrity=_integrity(other))
    [package] = manifest.packages

    with pytest.raises(AssetError, match=r"integrity .* refused and deleted"):
        check_tarball(package, tarball)
    assert not tarball.exists()


def test_fetch_refuses_a_tampered_tarball(tmp_path: Path, tarball: Path) -> None:
    manifest = _manifest(tmp_path, tarball)
    tampered = _tarball(tmp_path / "tampered.tgz", {**FILES, "dist/lib.js": b"evil();\n"})
    vendor = tmp_path / "vendor"

    with pytest.raises(AssetError, match="integrity"):
        fetch(manifest, vendor, pack=FakeRegistry(tampered))
    assert not vendor.exists()


def test_a_vendored_file_changed_later_is_fetched_again(tmp_path: Path, tarball: Path) -> None:
    manifest = _manifest(tmp_path, tarball)
    vendor = tmp_path / "vendor"
    registry = FakeRegistry(tarball)
    fetch(manifest, vendor, pack=registry)
    (vendor / "lib@1.0.0/dist/lib.js").write_bytes(b"evil();\n")

    assert fetch(manifest, vendor, pack=registry) is True
    assert (vendor / "lib@1.0.0/dist/lib.js").read_bytes() == FILES["dist/lib.js"]


def test_a_stamp_from_other_pins_does_not_count(tmp_path: Path, tarball: Path) -> None:
    vendor = tmp_path / "vendor"
    fetch(_manifest(tmp_path, tarball), vendor, pack=FakeRegistry(tarball))
    repinned = _manifest(tmp_path, tarball, integrity="sha512-" + "A" * 86 + "==")

    assert not is_verified(repinned, vendor)


def test_a_file_missing_from_the_tarball_is_named(tmp_path: Path, tarball: Path) -> None:
    manifest = _manifest(tmp_path, tarball, first_path="dist/gone.js")

    with pytest.raises(AssetError, match=r"not in the tarball: dist/gone\.js"):
        fetch(manifest, tmp_path / "vendor", pack=FakeRegistry(tarball))


def test_paths_that_climb_out_of_the_vendor_folder_are_refused(
    tmp_path: Path, tarball: Path
) -> None:
    with pytest.raises(AssetError, match="unsafe path"):
        _manifest(tmp_path, tarball, first_path="../../server/app.py")


def test_update_records_what_the_registry_serves(tmp_path: Path, tarball: Path) -> None:
    manifest = _manifest(tmp_path, tarball, first_sha256="0" * 64)
    newer = _tarball(tmp_path / "lib-2.0.0.tgz", {**FILES, "dist/lib.js": b"window.Lib = 2;\n"})

    update(
        tmp_path / "assets.json",
        {"lib": "2.0.0"},
        pack=FakeRegistry(newer),
        view=lambda spec: _integrity(newer),
    )

    [package] = load_manifest(tmp_path / "assets.json").packages
    assert package.version == "2.0.0"
    assert package.integrity == _integrity(newer)
    assert package.files[0].sha256 == hashlib.sha256(b"window.Lib = 2;\n").hexdigest()
    assert manifest.digest != load_manifest(tmp_path / "assets.json").digest


def test_the_recorded_pins_are_well_formed() -> None:
    manifest = load_manifest()
    assert [p.name for p in manifest.packages] == [
        "react",
        "react-dom",
        "graphiql",
        "@graphiql/plugin-explorer",
    ]
    assert all(p.integrity.startswith("sha512-") for p in manifest.packages)


# The page.


@pytest.fixture(autouse=True)
def _fresh_page_state() -> Iterator[None]:
    graphiql._assets.cache_clear()
    yield
    graphiql._assets.cache_clear()


@contextlib.asynccontextmanager
async def _client() -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=[Route("/graphql", graphiql.page), *graphiql.routes()])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def local_assets(tmp_path: Path, tarball: Path, monkeypatch: pytest.MonkeyPatch) -> Manifest:
    manifest = _manifest(tmp_path, tarball)
    fetch(manifest, tmp_path / "vendor", pack=FakeRegistry(tarball))
    monkeypatch.setattr(graphiql, "VENDOR_DIR", tmp_path / "vendor")
    monkeypatch.setattr(graphiql, "load_manifest", lambda: manifest)
    return manifest


@pytest.fixture
def no_local_assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graphiql, "VENDOR_DIR", tmp_path / "nothing-here")


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().partition(" ")[::2] for part in policy.split(";"))


@pytest.mark.usefixtures("local_assets")
async def test_the_page_loads_everything_from_its_own_origin() -> None:
    async with _client() as client:
        response = await client.get("/graphql")

    policy = _directives(response.headers["content-security-policy"])
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == f"'self' '{graphiql.SCROLL_LOCK_STYLE}'"
    assert policy["connect-src"] == "'self'"
    assert "unsafe" not in response.headers["content-security-policy"]
    assert "https://" not in response.text
    assert "<script>" not in response.text  # no inline script
    assert 'src="/graphiql/assets/vendor/lib@1.0.0/dist/lib.js" integrity="sha256-' in response.text
    assert 'data-endpoint="/graphql"' in response.text


@pytest.mark.usefixtures("local_assets")
async def test_the_setup_reaches_the_page_as_data_that_cannot_close_its_element() -> None:
    hostile = {"tabs": [{"query": "# </script><script>alert(1)</script> & <!--"}]}

    async def page(request: Request) -> Response:
        return await graphiql.page(request, setup=hostile)

    app = Starlette(routes=[Route("/graphql", page)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/graphql")

    found = re.search(
        r'<script type="application/json" id="graphiql-setup">(.*?)</script>', response.text, re.S
    )
    assert found is not None
    assert "<" not in found.group(1)
    assert json.loads(found.group(1)) == hostile


@pytest.mark.usefixtures("local_assets")
async def test_versioned_assets_are_served_for_a_year() -> None:
    async with _client() as client:
        response = await client.get("/graphiql/assets/vendor/lib@1.0.0/dist/lib.js")
        assert response.content == FILES["dist/lib.js"]
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert "immutable" in response.headers["cache-control"]
        for elsewhere in (f"vendor/{STAMP}", "vendor/lib@1.0.0/package.json", "__init__.py"):
            assert (await client.get("/graphiql/assets/" + elsewhere)).status_code == 404
        own = await client.get("/graphiql/assets/graphiql-init.js")
        assert own.status_code == 200
        assert own.headers["cache-control"] == "no-cache"  # no version given: ask each time


@pytest.mark.usefixtures("no_local_assets")
async def test_without_local_assets_the_page_uses_the_cdn_with_integrity(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="storefront.graphiql"):
        async with _client() as client:
            first = await client.get("/graphql")
            await client.get("/graphql")
            react = load_manifest().packages[0]
            vendored = await client.get("/graphiql/assets/vendor/" + react.relpath(react.files[0]))

    policy = _directives(first.headers["content-security-policy"])
    assert policy["script-src"] == f"'self' {graphiql.CDN}"
    assert policy["connect-src"] == "'self'"
    url = f"{graphiql.CDN}/npm/{react.relpath(react.files[0])}"
    expected = f'<script src="{url}" integrity="{react.files[0].sri}" crossorigin="anonymous">'
    assert expected in first.text
    assert vendored.status_code == 404
    [warning] = caplog.records
    assert "python -m server.graphiql_assets fetch" in warning.getMessage()
