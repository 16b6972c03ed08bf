"""The schema against the last release: breaking changes must be in the changelog.

`python -m server.schema_changes` compares `schema.graphql` with the newest
`schema/releases/<version>.graphql` using graphql-core's `find_breaking_changes` and
`find_dangerous_changes`. A breaking change passes only when the Unreleased section of
`CHANGELOG.md` names it: one of the schema coordinates its description mentions (`Type`,
`Type.field`, `Type.field(argument:)`, `Enum.VALUE`, `@directive`) written in backticks.
Dangerous changes (an enum value or union member added, a default changed) are reported
and never fail: clients should hear of them, but their queries keep working.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    BreakingChange,
    DangerousChange,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

SCHEMA = Path("schema.graphql")
RELEASES = Path("schema/releases")
CHANGELOG = Path("CHANGELOG.md")

_COORDINATE = re.compile(r"@?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?(?:\([A-Za-z_]\w*:\))?")
_FROM_TO = re.compile(r" from .+ to .+$")
_VERSION_FILE = re.compile(r"^(\d+)\.(\d+)\.(\d+)\.graphql$")
_SECTION = re.compile(r"^## \[([^\]]+)\]", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    description: str
    coordinates: tuple[str, ...]
    """The schema coordinates the description names; any one of them lists it."""


@dataclass(frozen=True, slots=True)
class Report:
    release: str
    unlisted: tuple[Change, ...]
    listed: tuple[Change, ...]
    dangerous: tuple[Change, ...]

    @property
    def ok(self) -> bool:
        return not self.unlisted


def coordinates_in(description: str, *schemas: GraphQLSchema) -> tuple[str, ...]:
    """The words of a change's description that are schema coordinates: a member of a
    type (`A.b`), an argument, a directive, or a bare name that is a type in a schema.
    The types in "changed type from A to B" are what changed, not where: left out, so that
    naming `String` lists no change."""
    names = {name for schema in schemas for name in schema.type_map}
    subject = _FROM_TO.sub("", description)
    return tuple(
        word
        for word in _COORDINATE.findall(subject)
        if "." in word or "(" in word or word.startswith("@") or word in names
    )


def compare(old: GraphQLSchema, new: GraphQLSchema) -> tuple[list[Change], list[Change]]:
    """The breaking and the dangerous changes from `old` to `new`."""

    def changes(found: Sequence[BreakingChange | DangerousChange]) -> list[Change]:
        return [
            Change(
                kind=change.type.name,
                description=change.description,
                coordinates=coordinates_in(change.description, old, new),
            )
            for change in found
        ]

    return changes(find_breaking_changes(old, new)), changes(find_dangerous_changes(old, new))


def unreleased_section(changelog: str) -> str:
    """The text of the `## [Unreleased]` section (empty when there is none)."""
    sections = list(_SECTION.finditer(changelog))
    for index, heading in enumerate(sections):
        if heading.group(1).strip().lower() == "unreleased":
            end = sections[index + 1].start() if index + 1 < len(sections) else len(changelog)
            return changelog[heading.end() : end]
    return ""


def released_versions(changelog: str) -> list[str]:
    """The versions the changelog records as released, newest first as written."""
    return [
        m.group(1).strip()
        for m in _SECTION.finditer(changelog)
        if m.group(1).strip().lower() != "unreleased"
    ]


def is_listed(change: Change, section: str) -> bool:
    named = set(re.findall(r"`([^`]+)`", section))
    return any(coordinate in named for coordinate in change.coordinates)


def last_release(releases: Path) -> Path:
    """The schema file of the highest version in `releases`."""
    found = [
        (tuple(int(part) for part in m.groups()), path)
        for path in releases.glob("*.graphql")
        if (m := _VERSION_FILE.match(path.name))
    ]
    if not found:
        raise SystemExit(f"no released schema (<version>.graphql) in {releases}")
    return max(found)[1]


def check(*, schema: str, release: str, release_name: str, changelog: str) -> Report:
    old, new = build_schema(release), build_schema(schema)
    breaking, dangerous = compare(old, new)
    section = unreleased_section(changelog)
    return Report(
        release=release_name,
        unlisted=tuple(c for c in breaking if not is_listed(c, section)),
        listed=tuple(c for c in breaking if is_listed(c, section)),
        dangerous=tuple(dangerous),
    )


def render(report: Report) -> str:
    lines = [f"schema changes since {report.release}:"]
    for title, changes in (
        ("breaking, not in CHANGELOG.md's Unreleased section", report.unlisted),
        ("breaking, listed in CHANGELOG.md", report.listed),
        ("dangerous (reported, allowed)", report.dangerous),
    ):
        for change in changes:
            names = ", ".join(f"`{c}`" for c in change.coordinates) or "(no coordinate)"
            lines.append(f"  {title}: {change.kind}: {change.description} [{names}]")
    if len(lines) == 1:
        lines.append("  none")
    if not report.ok:
        lines.append(
            "Deprecate instead (@deprecated(reason: ...)) where the old name can keep working; "
            "otherwise name each breaking change above in CHANGELOG.md under ## [Unreleased], "
            "with one of its coordinates in backticks, and say why it could not be deprecated."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m server.schema_changes",
        description="Fail on breaking schema changes since the last release that "
        "CHANGELOG.md does not list.",
    )
    parser.add_argument("--schema", type=Path, default=SCHEMA)
    parser.add_argument("--releases", type=Path, default=RELEASES)
    parser.add_argument("--changelog", type=Path, default=CHANGELOG)
    args = parser.parse_args(argv)
    release = last_release(args.releases)
    changelog = args.changelog.read_text(encoding="utf-8")
    version = release.name.removesuffix(".graphql")
    released = released_versions(changelog)
    if released and released[0] != version:
        print(
            f"CHANGELOG.md's newest release is {released[0]} but the newest released schema "
            f"is {release}: add schema/releases/{released[0]}.graphql",
            file=sys.stderr,
        )
        return 1
    report = check(
        schema=args.schema.read_text(encoding="utf-8"),
        release=release.read_text(encoding="utf-8"),
        release_name=version,
        changelog=changelog,
    )
    print(render(report), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
