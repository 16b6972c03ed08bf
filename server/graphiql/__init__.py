"""GraphiQL for browsers, under a strict Content-Security-Policy and with no internet needed.

The pinned assets (assets.json) are served from `vendor/` once `python -m server.graphiql_assets
fetch` has verified them there. Until then the page loads the same files from a CDN, each with
its Subresource Integrity hash, and the CSP admits that one host besides our own origin.
What the page hands GraphiQL (example tabs, headers: `server.graphiql_examples`) travels as
a JSON data block, which the CSP does not treat as a script.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from server.graphiql_pins import VENDOR_DIR, Manifest, is_verified, load_manifest

log = logging.getLogger("storefront.graphiql")

ASSETS_PATH = "/graphiql/assets"
CDN = "https://cdn.jsdelivr.net"
_HERE = Path(__file__).parent
_OWN_FILES = ("graphiql-page.css", "graphiql-init.js")
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Vendor URLs carry the package version and ours a content digest, so a URL never changes
# meaning: browsers may keep them for a year without asking again.
_IMMUTABLE = "public, max-age=31536000, immutable"
# GraphiQL's only inline style: the <style> that react-remove-scroll adds while a dialog
# (settings, shortcuts) is open. Its text depends on the page's scrollbar and body margins,
# which our page CSS fixes at 0, so one hash admits it; a nonce is not possible, as the bundle
# reads none we could set. Were it refused, the console would show a violation per dialog.
# A GraphiQL upgrade may change it: the browser test opens a dialog and would report it.
SCROLL_LOCK_STYLE = "sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc="


@dataclass(frozen=True, slots=True)
class _Assets:
    manifest: Manifest
    local: bool
    vendor: dict[str, Path]  # URL path below vendor/ -> file
    own: dict[str, str]  # our file -> digest used as its version


@functools.cache
def _assets() -> _Assets:
    """Looked at once per process, at startup (routes()) or on the first page."""
    manifest = load_manifest()
    local = is_verified(manifest, VENDOR_DIR)
    if not local:
        log.warning(
            "GraphiQL assets are not installed: the page loads them from %s, which needs "
            "internet. For local assets run `make install` or "
            "`python -m server.graphiql_assets fetch`, then restart.",
            CDN,
        )
    vendor = {p.relpath(f): VENDOR_DIR / p.relpath(f) for p, f in manifest.files()}
    own = {
        name: hashlib.sha256((_HERE / name).read_bytes()).hexdigest()[:16] for name in _OWN_FILES
    }
    return _Assets(manifest, local, vendor, own)


def content_security_policy(*, cdn: str | None = None) -> str:
    """The page's policy: our origin only, plus `cdn` for scripts and styles when given.

    No 'unsafe-inline' anywhere: the bootstrap script and the page's styles are served files.
    """
    remote = f" {cdn}" if cdn else ""
    directives = {
        "default-src": "'none'",
        "script-src": "'self'" + remote,
        "style-src": f"'self' '{SCROLL_LOCK_STYLE}'" + remote,
        "connect-src": "'self'",  # the fetcher posts to /graphql on this origin
        "img-src": "'self' data:",
        "font-src": "'self' data:",  # GraphiQL's fonts are data: URLs inside its CSS
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


@functools.cache
def _template() -> Template:
    return Template((_HERE / "index.html").read_text())


async def page(request: Request, *, setup: dict[str, Any] | None = None) -> Response:
    """The page; `setup` (JSON) reaches graphiql-init.js as data, never as a script."""
    assets = _assets()
    root = request.scope.get("root_path", "")
    styles: list[str] = []
    scripts: list[str] = []
    for package, file in assets.manifest.files():
        if assets.local:
            url = f"{root}{ASSETS_PATH}/vendor/{package.relpath(file)}"
            attrs = f'integrity="{file.sri}"'
        else:
            url = f"{CDN}/npm/{package.relpath(file)}"
            attrs = f'integrity="{file.sri}" crossorigin="anonymous"'
        if file.path.endswith(".css"):
            styles.append(f'<link rel="stylesheet" href="{html.escape(url)}" {attrs}>')
        else:
            scripts.append(f'<script src="{html.escape(url)}" {attrs}></script>')
    for name, digest in assets.own.items():
        url = html.escape(f"{root}{ASSETS_PATH}/{name}?v={digest}")
        if name.endswith(".css"):
            styles.append(f'<link rel="stylesheet" href="{url}">')
        else:
            scripts.append(f'<script src="{url}"></script>')
    body = _template().substitute(
        styles="\n".join(styles),
        scripts="\n".join(scripts),
        endpoint=html.escape(request.url.path),
        setup=_json_in_html(setup or {}),
    )
    headers = {
        "Content-Security-Policy": content_security_policy(cdn=None if assets.local else CDN),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        # Made per request from the data, and in development it carries tokens: keep none.
        "Cache-Control": "no-store",
        "Vary": "Accept",  # /graphql answers JSON to everything but browsers
    }
    return HTMLResponse(body, headers=headers)


def _json_in_html(value: dict[str, Any]) -> str:
    """JSON that cannot end its <script> element early: `<`, `>` and `&` are escaped."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


async def _vendor_file(request: Request) -> Response:
    assets = _assets()
    path = assets.vendor.get(request.path_params["path"]) if assets.local else None
    if path is None:
        return PlainTextResponse("not found", status_code=404)
    return _file(path, cache=_IMMUTABLE)


async def _own_file(request: Request) -> Response:
    name = request.path_params["name"]
    digest = _assets().own.get(name)
    if digest is None:
        return PlainTextResponse("not found", status_code=404)
    current = request.query_params.get("v") == digest
    return _file(_HERE / name, cache=_IMMUTABLE if current else "no-cache")


def _file(path: Path, *, cache: str) -> Response:
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
    )


def routes() -> list[Any]:
    _assets()  # decide local or CDN now, so a missing install is logged at startup
    return [
        Route(ASSETS_PATH + "/vendor/{path:path}", _vendor_file, methods=["GET", "HEAD"]),
        Route(ASSETS_PATH + "/{name}", _own_file, methods=["GET", "HEAD"]),
    ]
