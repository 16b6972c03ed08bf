"""GraphiQL's browser assets: fetched from the npm registry, checked, kept in a vendor folder.

`python -m server.graphiql_assets fetch` packs each package pinned in
`server/graphiql/assets.json` with `npm pack`, checks the tarball against its recorded
`dist.integrity` and every file taken from it against its sha256, and writes only those files
into `server/graphiql/vendor/`. The stamp `.verified` is written last and holds the digest of
assets.json, so a half-written folder, or one left from older pins, never counts as verified.

`python -m server.graphiql_assets update [NAME@VERSION ...]` re-pins: it records what the
registry serves now (trust on first use, so review the diff of assets.json).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from server.graphiql_pins import (
    MANIFEST_PATH,
    STAMP,
    VENDOR_DIR,
    AssetError,
    Manifest,
    Package,
    intact,
    load_manifest,
)

NPM_TIMEOUT_SECONDS = 300


# Packs `package` into the folder and returns the tarball's path.
Packer = Callable[[Package, Path], Path]


def npm_pack(package: Package, dest: Path) -> Path:
    listed = _npm(["pack", package.spec, "--pack-destination", str(dest), "--json"])
    try:
        filename = str(json.loads(listed)[0]["filename"])
    except (ValueError, LookupError, TypeError):
        raise AssetError(f"npm pack {package.spec}: unexpected output {listed[:200]!r}") from None
    return dest / filename


def _npm(args: list[str]) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError("npm is not installed: install Node.js and npm, then run this again")
    command = [npm, *args, "--ignore-scripts", "--no-fund", "--no-audit"]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=NPM_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise AssetError(f"npm {' '.join(args)} took over {NPM_TIMEOUT_SECONDS}s") from None
    if done.returncode != 0:
        detail = done.stderr.strip()[-1500:]
        raise AssetError(f"npm {' '.join(args)} failed ({done.returncode}):\n{detail}")
    return done.stdout


def check_tarball(package: Package, tarball: Path, integrity: str | None = None) -> None:
    """Refuses (and deletes) a tarball whose sha512 is not the recorded dist.integrity."""
    expected = integrity or package.integrity
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    actual = "sha512-" + base64.b64encode(digest).decode()
    if actual != expected:
        tarball.unlink(missing_ok=True)
        raise AssetError(
            f"{package.spec}: the tarball's integrity is {actual}, but assets.json records "
            f"{expected}; the tarball was refused and deleted"
        )


def _read_members(package: Package, tarball: Path) -> dict[str, bytes]:
    """The listed files' contents, by path below the tarball's top folder."""
    wanted = {file.path for file in package.files}
    found: dict[str, bytes] = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            # npm tarballs have one top folder, usually `package/`.
            inner = PurePosixPath(*PurePosixPath(member.name).parts[1:]).as_posix()
            if member.isfile() and inner in wanted:
                extracted = tar.extractfile(member)
                assert extracted is not None
                found[inner] = extracted.read()
    missing = wanted - found.keys()
    if missing:
        raise AssetError(f"{package.spec}: not in the tarball: {', '.join(sorted(missing))}")
    return found


def extract(package: Package, tarball: Path, vendor_dir: Path) -> None:
    """Writes the listed files, each checked against its sha256, below `vendor_dir`."""
    contents = _read_members(package, tarball)
    for file in package.files:
        actual = hashlib.sha256(contents[file.path]).hexdigest()
        if actual != file.sha256:
            raise AssetError(
                f"{package.spec}: {file.path} has sha256 {actual}, but assets.json records "
                f"{file.sha256}; refused"
            )
    for file in package.files:
        target = vendor_dir / package.relpath(file)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(contents[file.path])


def fetch(
    manifest: Manifest,
    vendor_dir: Path = VENDOR_DIR,
    *,
    pack: Packer = npm_pack,
    force: bool = False,
) -> bool:
    """Makes `vendor_dir` hold exactly the verified assets; False when it already did."""
    if not force and intact(manifest, vendor_dir):
        return False
    # Start from nothing, so no file of older pins or of a failed run survives.
    shutil.rmtree(vendor_dir, ignore_errors=True)
    try:
        with tempfile.TemporaryDirectory(prefix="graphiql-assets-") as scratch:
            for package in manifest.packages:
                tarball = pack(package, Path(scratch))
                check_tarball(package, tarball)
                extract(package, tarball, vendor_dir)
        (vendor_dir / STAMP).write_text(manifest.digest + "\n")
    except BaseException:
        shutil.rmtree(vendor_dir, ignore_errors=True)
        raise
    return True


def update(
    path: Path = MANIFEST_PATH,
    versions: dict[str, str] | None = None,
    *,
    pack: Packer = npm_pack,
    view: Callable[[str], str] | None = None,
) -> None:
    """Rewrites assets.json from the registry, at the given versions (default: the same)."""
    versions = versions or {}
    data = json.loads(path.read_text())
    manifest = load_manifest(path)
    unknown = versions.keys() - {p.name for p in manifest.packages}
    if unknown:
        raise AssetError(f"not in assets.json: {', '.join(sorted(unknown))}")
    view = view or _npm_integrity
    entries = []
    with tempfile.TemporaryDirectory(prefix="graphiql-assets-") as scratch:
        for package in manifest.packages:
            version = versions.get(package.name, package.version)
            spec = f"{package.name}@{version}"
            integrity = view(spec)
            repinned = Package(package.name, version, integrity, package.files)
            tarball = pack(repinned, Path(scratch))
            check_tarball(repinned, tarball, integrity)
            contents = _read_members(repinned, tarball)
            files = [
                {"path": f.path, "sha256": hashlib.sha256(contents[f.path]).hexdigest()}
                for f in package.files
            ]
            entries.append(
                {"name": package.name, "version": version, "integrity": integrity, "files": files}
            )
    data["packages"] = entries
    path.write_text(json.dumps(data, indent=2) + "\n")


def _npm_integrity(spec: str) -> str:
    shown = json.loads(_npm(["view", spec, "dist.integrity", "--json"]) or "null")
    if not isinstance(shown, str):
        raise AssetError(f"{spec}: give one exact version (the registry answered {shown!r})")
    return shown


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m server.graphiql_assets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_cmd = commands.add_parser("fetch", help="fetch and verify the pinned assets")
    fetch_cmd.add_argument("--force", action="store_true", help="fetch even when up to date")
    update_cmd = commands.add_parser("update", help="re-pin assets.json from the registry")
    update_cmd.add_argument("specs", nargs="*", metavar="NAME@VERSION", help="new versions")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            manifest = load_manifest()
            if fetch(manifest, force=args.force):
                specs = ", ".join(p.spec for p in manifest.packages)
                print(f"graphiql assets: fetched and verified {specs}")
            else:
                print("graphiql assets: up to date")
        else:
            versions = dict(_split_spec(spec) for spec in args.specs)
            update(versions=versions)
            print(f"graphiql assets: rewrote {MANIFEST_PATH.name}; review it, then run fetch")
    except AssetError as error:
        print(f"graphiql assets: {error}", file=sys.stderr)
        return 1
    return 0


def _split_spec(spec: str) -> tuple[str, str]:
    name, at, version = spec.rpartition("@")
    if not at or not name or not version:
        raise AssetError(f"expected NAME@VERSION, got {spec!r}")
    return name, version


if __name__ == "__main__":
    sys.exit(main())
