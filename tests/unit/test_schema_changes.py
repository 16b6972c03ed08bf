"""The release check: breaking changes pass only when the changelog names them."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema

from server import schema_changes
from server.schema_changes import check, coordinates_in, last_release, unreleased_section

RELEASE = """
type Query { product(id: ID!): Product }
type Product { name: String! price: String! }
type NotFoundError { id: ID! }
enum Status { OPEN CLOSED }
"""

CHANGELOG = """# Changelog

## [Unreleased]

### Changed (breaking)
- {entry}

## [0.1.0] - 2026-01-01
- `Product.price` was new here (a mention in an older release lists nothing now).
"""


def run(schema: str, entry: str = "Nothing yet.") -> schema_changes.Report:
    return check(
        schema=schema,
        release=RELEASE,
        release_name="0.1.0",
        changelog=CHANGELOG.format(entry=entry),
    )


def test_no_change_passes_and_reports_none() -> None:
    report = run(RELEASE)
    assert report.ok
    assert (report.unlisted, report.listed, report.dangerous) == ((), (), ())
    assert "none" in schema_changes.render(report)


def test_an_unlisted_breaking_change_fails() -> None:
    renamed = RELEASE.replace(
        "type NotFoundError { id: ID! }", "type NotFoundError { nodeId: ID! }"
    )
    report = run(renamed)
    assert not report.ok
    assert [(c.kind, c.coordinates) for c in report.unlisted] == [
        ("FIELD_REMOVED", ("NotFoundError.id",))
    ]
    assert "NotFoundError.id" in schema_changes.render(report)


def test_a_breaking_change_listed_under_unreleased_passes() -> None:
    renamed = RELEASE.replace(
        "type NotFoundError { id: ID! }", "type NotFoundError { nodeId: ID! }"
    )
    report = run(renamed, entry="`NotFoundError.id` is now `nodeId`: Relay reads `id` as identity.")
    assert report.ok
    assert [c.description for c in report.listed] == ["Field NotFoundError.id was removed."]


def test_a_mention_outside_backticks_or_under_an_old_release_does_not_list_it() -> None:
    cheaper = RELEASE.replace(
        "type Product { name: String! price: String! }", "type Product { name: String! }"
    )
    assert not run(cheaper, entry="Product.price is gone.").ok
    assert not run(cheaper).ok  # named only under 0.1.0


def test_a_changed_argument_is_listed_by_its_coordinate() -> None:
    changed = RELEASE.replace("product(id: ID!)", "product(id: String!)")
    report = run(changed)
    assert [c.coordinates for c in report.unlisted] == [("Query.product(id:)",)]
    assert run(changed, entry="`Query.product(id:)` takes a String.").ok


def test_a_removed_type_is_listed_by_its_name() -> None:
    without = RELEASE.replace("enum Status { OPEN CLOSED }", "")
    report = run(without)
    assert [c.coordinates for c in report.unlisted] == [("Status",)]
    assert run(without, entry="`Status` was unused.").ok


def test_a_dangerous_change_is_reported_and_passes() -> None:
    more = RELEASE.replace("enum Status { OPEN CLOSED }", "enum Status { OPEN CLOSED ARCHIVED }")
    report = run(more)
    assert report.ok
    assert [(c.kind, c.coordinates) for c in report.dangerous] == [
        ("VALUE_ADDED_TO_ENUM", ("Status.ARCHIVED",))
    ]
    assert "dangerous" in schema_changes.render(report)


def test_the_unreleased_section_ends_at_the_next_release() -> None:
    text = CHANGELOG.format(entry="`A.b`")
    section = unreleased_section(text)
    assert "`A.b`" in section
    assert "Product.price" not in section
    assert unreleased_section("# Changelog\n\n## [1.0.0]\n- `A.b`\n") == ""


def test_coordinates_are_only_schema_names() -> None:
    old = build_schema(RELEASE)
    found = coordinates_in("Product was removed from union type Result.", old)
    assert found == ("Product",)  # "Result" is in neither schema, "was" is a word


def test_the_last_release_is_the_highest_version(tmp_path: Path) -> None:
    for name in ("0.9.0.graphql", "0.10.0.graphql", "0.2.1.graphql", "notes.graphql"):
        (tmp_path / name).write_text(RELEASE)
    assert last_release(tmp_path).name == "0.10.0.graphql"


def test_the_command_fails_on_an_unlisted_break_and_passes_once_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    releases = tmp_path / "releases"
    releases.mkdir()
    (releases / "0.1.0.graphql").write_text(RELEASE)
    schema = tmp_path / "schema.graphql"
    schema.write_text(RELEASE.replace("price: String!", ""))
    changelog = tmp_path / "CHANGELOG.md"
    args = ["--schema", str(schema), "--releases", str(releases), "--changelog", str(changelog)]
    changelog.write_text(CHANGELOG.format(entry="Nothing yet."))
    assert schema_changes.main(args) == 1
    assert "Product.price" in capsys.readouterr().err
    changelog.write_text(CHANGELOG.format(entry="`Product.price` moved to offers."))
    assert schema_changes.main(args) == 0
    # A release recorded in the changelog needs its schema kept.
    changelog.write_text(CHANGELOG.format(entry="x").replace("[0.1.0]", "[0.2.0]"))
    assert schema_changes.main(args) == 1
    assert "schema/releases/0.2.0.graphql" in capsys.readouterr().err


def test_the_repository_passes_its_own_check() -> None:
    root = Path(__file__).parents[2]
    args = ["--schema", str(root / "schema.graphql"), "--releases", str(root / "schema/releases")]
    assert schema_changes.main([*args, "--changelog", str(root / "CHANGELOG.md")]) == 0


def test_the_types_a_change_moved_between_do_not_list_it() -> None:
    changed = RELEASE.replace("price: String!", "price: Int!")
    assert not run(changed, entry="Prices are `Int` now, no longer `String`.").ok
    assert run(changed, entry="`Product.price` is an `Int` now.").ok
