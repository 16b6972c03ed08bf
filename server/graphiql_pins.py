"""GraphiQL's pinned assets (`server/graphiql/assets.json`) and whether the vendor folder
holds them: read at serving time, without npm (`server.graphiql_assets` fetches them)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

HERE = Path(__file__).parent / "graphiql"
MANIFEST_PATH = HERE / "assets.json"
VENDOR_DIR = HERE / "vendor"
STAMP = ".verified"


class AssetError(Exception):
    """The assets could not be fetched or did not match what assets.json records."""


@dataclass(frozen=True, slots=True)
class AssetFile:
    path: str
    sha256: str

    @property
    def sri(self) -> str:
        """The Subresource Integrity value of the same digest."""
        return "sha256-" + base64.b64encode(bytes.fromhex(self.sha256)).decode()


@dataclass(frozen=True, slots=True)
class Package:
    name: str
    version: str
    integrity: str
    files: tuple[AssetFile, ...]

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    def relpath(self, file: AssetFile) -> str:
        """Where the file lives under the vendor folder (and under the assets URL)."""
        return f"{self.spec}/{file.path}"


@dataclass(frozen=True, slots=True)
class Manifest:
    packages: tuple[Package, ...]
    digest: str  # sha256 of assets.json itself: what the stamp holds

    def files(self) -> list[tuple[Package, AssetFile]]:
        return [(package, file) for package in self.packages for file in package.files]


def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
        packages = tuple(_package(entry) for entry in data["packages"])
    except (ValueError, KeyError, TypeError) as error:
        raise AssetError(f"{path.name} is malformed: {error}") from None
    return Manifest(packages, hashlib.sha256(raw).hexdigest())


def _package(entry: dict[str, Any]) -> Package:
    files = tuple(AssetFile(str(f["path"]), str(f["sha256"]).lower()) for f in entry["files"])
    for file in files:
        pure = PurePosixPath(file.path)
        # Paths are joined onto the vendor folder: nothing may climb out of it.
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise ValueError(f"unsafe path {file.path!r}")
        bytes.fromhex(file.sha256)
    integrity = str(entry["integrity"])
    if not integrity.startswith("sha512-"):
        raise ValueError(f"{entry['name']}: integrity must be a sha512 value")
    return Package(str(entry["name"]), str(entry["version"]), integrity, files)


def is_verified(manifest: Manifest, vendor_dir: Path = VENDOR_DIR) -> bool:
    """Cheap check for serving: the stamp matches these pins and every file is there."""
    stamp = vendor_dir / STAMP
    try:
        if stamp.read_text().strip() != manifest.digest:
            return False
    except OSError:
        return False
    return all((vendor_dir / p.relpath(f)).is_file() for p, f in manifest.files())


def intact(manifest: Manifest, vendor_dir: Path) -> bool:
    """Full check: the stamp matches and every file still has its recorded hash."""
    if not is_verified(manifest, vendor_dir):
        return False
    return all(sha256_file(vendor_dir / p.relpath(f)) == f.sha256 for p, f in manifest.files())


def sha256_file(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""
