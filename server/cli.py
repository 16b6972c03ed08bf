"""The `storefront` command: serve, migrate, seed, token, export-schema, persist."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from pydantic import ValidationError

from server import logs
from server.settings import FORMER_NAMES, Settings, environment_variable

if TYPE_CHECKING:
    pass

log = logging.getLogger("storefront")


class _Terminated(BaseException):
    """SIGTERM outside the HTTP server's own handling: unwind so `finally` blocks run."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        result: int = args.run(args)
        return result
    except (KeyboardInterrupt, _Terminated):
        # Stopping is how a server ends; any other command stopped midway did not finish.
        return 0 if args.run is _serve else 130
    except ValidationError as invalid:
        print(f"storefront: invalid settings:\n{invalid}", file=sys.stderr)
        return 2


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise _Terminated


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storefront", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the GraphQL server",
        description="Run the GraphQL server. Every option can also be set in the environment "
        "(the variable is named in its help) or in .env.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _add_settings_options(serve)
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="apply pending migrations")
    migrate.add_argument("--status", action="store_true", help="list applied and pending only")
    migrate.set_defaults(run=_migrate)

    seed = commands.add_parser(
        "seed",
        help="load generated data",
        description="Load deterministic, realistic generated data with COPY.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    seed.add_argument("--customers", type=int, default=2000, help="customers to create")
    seed.add_argument("--categories", type=int, default=50, help="categories to create")
    seed.add_argument("--products", type=int, default=10000, help="products to create")
    seed.add_argument("--orders", type=int, default=50000, help="orders (1-5 lines each)")
    seed.add_argument("--seed", type=int, default=1, help="random seed: same seed, same data")
    seed.add_argument(
        "--truncate",
        action="store_true",
        help="empty the domain tables first (in the same transaction); without it a database "
        "that holds documents is refused",
    )
    seed.set_defaults(run=_seed)

    token = commands.add_parser(
        "token",
        help="mint a bearer token for development and tests",
        description="Print a token signed with the configured HS256 secret.",
    )
    token.add_argument("--role", choices=["customer", "staff"], required=True)
    token.add_argument("--customer", help="the customer's id (uuid or global id), for customers")
    token.add_argument("--ttl", default="1h", help="lifetime, e.g. 90s, 15m, 1h, 7d")
    token.set_defaults(run=_token)

    export = commands.add_parser("export-schema", help="write schema.graphql from the code")
    export.add_argument("--path", type=Path, default=Path("schema.graphql"), help="file to write")
    export.add_argument(
        "--check", action="store_true", help="exit 1 if the file differs instead of writing it"
    )
    export.set_defaults(run=_export_schema)

    persist = commands.add_parser(
        "persist",
        help="write the persisted-operation manifest",
        description="Validate every operation of the given files against the schema and write "
        "the manifest that STOREFRONT_PERSISTED_QUERIES_MANIFEST names: one entry per named "
        "operation, its body the operation and the fragments it uses, its id that body's SHA-256.",
    )
    persist.add_argument("files", nargs="+", type=Path, help=".graphql files (ops/*.graphql)")
    persist.add_argument(
        "--output",
        type=Path,
        default=Path("persisted-operations.json"),
        help="manifest to write (default: persisted-operations.json)",
    )
    persist.set_defaults(run=_persist)
    return parser


def _add_settings_options(parser: argparse.ArgumentParser) -> None:
    defaults = Settings.model_construct()
    for name, field in Settings.model_fields.items():
        env = environment_variable(name)
        default = getattr(defaults, name)
        options = [
            "--" + known.replace("_", "-")
            for known in (name, *(f for f, now in FORMER_NAMES.items() if now == name))
        ]
        help_text = f"{field.description} [env {env}]"
        if isinstance(default, bool):
            parser.add_argument(
                *options,
                dest=name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=f"{help_text} (default: {default})",
            )
        else:
            shown = getattr(default, "value", default)
            parser.add_argument(
                *options,
                dest=name,
                default=None,
                metavar=name.upper(),
                help=f"{help_text} (default: {shown})",
            )


def _settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the command line's options on top."""
    overrides = {
        name: value
        for name in Settings.model_fields
        if (value := getattr(args, name, None)) is not None
    }
    settings = Settings(**overrides)
    logs.configure(level=settings.log_level, format=settings.log_format)
    return settings


def _serve(args: argparse.Namespace) -> int:
    from server.serve import serve

    return serve(_settings(args))


def _migrate(args: argparse.Namespace) -> int:
    from server.database import apply_migrations, database_url, direct_database_url
    from sql import migrate
    from sql.pool import connect

    settings = Settings()
    logs.configure(level=settings.log_level, format=settings.log_format)

    async def show(url: str) -> None:
        async with connect(url) as conn:
            current = await migrate.status(conn)
        for done in current.applied:
            print(f"applied  {done.version:04d}_{done.name}  {done.applied_at:%Y-%m-%d %H:%M:%S}")
        for todo in current.pending:
            print(f"pending  {todo.filename}")
        if not current.applied and not current.pending:
            print("no migrations")

    with database_url(settings) as url:
        try:
            if args.status:
                asyncio.run(show(direct_database_url(settings, url)))
            else:
                applied = asyncio.run(apply_migrations(direct_database_url(settings, url)))
                print(
                    f"applied {len(applied)} migration(s)"
                    + "".join(f"\n  {m.filename}" for m in applied)
                )
        except migrate.MigrationError as refused:
            print(f"storefront migrate: {refused}", file=sys.stderr)
            return 1
    return 0


def _seed(args: argparse.Namespace) -> int:
    from server.database import apply_migrations, database_url, direct_database_url
    from server.seeding import run_seed

    settings = Settings()
    logs.configure(level=settings.log_level, format=settings.log_format)
    with database_url(settings) as url:
        direct = direct_database_url(settings, url)
        asyncio.run(apply_migrations(direct))
        return run_seed(
            direct,
            customers=args.customers,
            categories=args.categories,
            products=args.products,
            orders=args.orders,
            seed=args.seed,
            truncate=args.truncate,
        )


def _token(args: argparse.Namespace) -> int:
    import time

    from engine.auth import mint
    from server.tokens import signing_secret

    if args.role == "customer" and not args.customer:
        print("storefront token: --role customer needs --customer <id>", file=sys.stderr)
        return 2
    ttl = _seconds(args.ttl)
    secret = signing_secret(Settings())
    if ttl is None or secret is None:
        reason = (
            "--ttl must look like 90s, 15m, 1h or 7d"
            if ttl is None
            else ("no HS256 secret is configured (STOREFRONT_JWT_SECRET)")
        )
        print(f"storefront token: {reason}", file=sys.stderr)
        return 2
    print(
        mint(
            secret=secret, role=args.role, customer=args.customer, ttl_seconds=ttl, now=time.time()
        )
    )
    return 0


def _seconds(text: str) -> int | None:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit() or int(number) <= 0:
        return None
    return int(number) * units[unit]


def _export_schema(args: argparse.Namespace) -> int:
    from gql.schema import schema_sdl

    sdl = schema_sdl()
    path: Path = args.path
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != sdl:
            print(f"{path} is out of date: run `storefront export-schema`", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.write_text(sdl, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def _persist(args: argparse.Namespace) -> int:
    from engine.persisted_manifest import ManifestError, build_manifest
    from gql.schema import schema

    sources = []
    for path in args.files:
        try:
            sources.append((str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as unreadable:
            reason = getattr(unreadable, "strerror", None) or "not UTF-8 text"
            print(f"storefront persist: cannot read {path}: {reason}", file=sys.stderr)
            return 1
    try:
        manifest = build_manifest(sources, schema._schema)
    except ManifestError as invalid:
        print(f"storefront persist: nothing written:\n{invalid}", file=sys.stderr)
        return 1
    output: Path = args.output
    output.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(manifest['operations'])} operation(s) to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
