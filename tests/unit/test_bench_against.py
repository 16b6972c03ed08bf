"""`make bench --against`: which checkouts can serve the bench database, how ours then is
named, and how its figures are reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.against import MIGRATIONS, label, servable_copy
from bench.common import ROOT
from bench.report import against_table
from bench.targets import evaluate

OURS = sorted((ROOT / MIGRATIONS).glob("*.sql"))


def older_checkout(tmp_path: Path, migrations: list[Path]) -> Path:
    checkout = tmp_path / "older"
    (checkout / "server").mkdir(parents=True)
    (checkout / "server" / "cli.py").write_text("# the older server\n")
    (checkout / ".git").mkdir()
    (checkout / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (checkout / MIGRATIONS).mkdir(parents=True)
    for path in migrations:
        (checkout / MIGRATIONS / path.name).write_bytes(path.read_bytes())
    return checkout


def test_an_older_checkout_is_given_the_migrations_it_lacks(tmp_path: Path) -> None:
    checkout = older_checkout(tmp_path, OURS[:-1])
    copy, added = servable_copy(checkout, tmp_path / "scratch")
    assert added == [OURS[-1].name]
    assert sorted(p.name for p in (copy / MIGRATIONS).glob("*.sql")) == [p.name for p in OURS]
    assert (copy / "server" / "cli.py").read_text() == "# the older server\n"
    assert not (copy / ".git").exists()
    assert (checkout / MIGRATIONS / OURS[-1].name).exists() is False  # the checkout untouched


def test_a_checkout_with_the_same_migrations_is_copied_as_it_is(tmp_path: Path) -> None:
    _, added = servable_copy(older_checkout(tmp_path, OURS), tmp_path / "scratch")
    assert added == []


def test_a_migration_of_another_text_is_refused(tmp_path: Path) -> None:
    checkout = older_checkout(tmp_path, OURS)
    (checkout / MIGRATIONS / OURS[0].name).write_text("CREATE TABLE elsewhere (id int);\n")
    with pytest.raises(SystemExit, match=OURS[0].name):
        servable_copy(checkout, tmp_path / "scratch")


def test_a_migration_this_checkout_lacks_is_refused(tmp_path: Path) -> None:
    checkout = older_checkout(tmp_path, OURS)
    (checkout / MIGRATIONS / "9999_from_elsewhere.sql").write_text("SELECT 1;\n")
    with pytest.raises(SystemExit, match="9999_from_elsewhere"):
        servable_copy(checkout, tmp_path / "scratch")


def test_a_gap_in_the_middle_is_refused(tmp_path: Path) -> None:
    checkout = older_checkout(tmp_path, [OURS[0], *OURS[2:]])
    with pytest.raises(SystemExit, match=OURS[1].name):
        servable_copy(checkout, tmp_path / "scratch")


def test_a_directory_that_is_no_checkout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not a checkout"):
        servable_copy(tmp_path, tmp_path / "scratch")


def test_ours_then_is_named_by_its_commit_or_its_directory(tmp_path: Path) -> None:
    archive = tmp_path / "d2a4f08"
    archive.mkdir()
    assert label(archive) == "ours at d2a4f08"
    commit = label(ROOT).removeprefix("ours at ")
    assert commit
    assert commit != ROOT.name
    assert all(c in "0123456789abcdef" for c in commit)


def figures(rps: float, cpu: float) -> dict[str, Any]:
    return {
        "rps": rps,
        "p50_ms": 3.0,
        "p99_ms": 9.0,
        "errors": 0,
        "cpu_ms_per_request": cpu,
        "database_cpu_ms_per_request": 0.05,
        "rss_mb_by_round": [[80.0]],
    }


def report(ratio: float) -> dict[str, Any]:
    row = {
        "request": "Q1",
        "concurrency": 16,
        "ours": figures(940.0, 0.21),
        "floor": figures(1000.0, 0.19),
        "ratio": 0.94,
        "rounds": [0.94],
        "against": figures(1000.0, 0.2),
        "against_ratio": ratio,
        "against_rounds": [ratio, 0.5],
    }
    return {"rows": [row], "scaling": [], "config": {"against": "ours at d2a4f08"}}


def test_the_table_shows_ours_now_against_ours_then() -> None:
    lines = against_table(report(0.94))
    assert "ours now against ours at d2a4f08" in lines[1]
    row = lines[3]
    assert row.startswith("Q1 product(id)")
    assert "940.0" in row
    assert "1000.0" in row
    assert "0.940" in row
    assert "0.210/0.200" in row
    assert row.endswith("0.94, 0.50")


def test_no_table_without_ours_then() -> None:
    plain = report(1.0)
    for key in ("against", "against_ratio", "against_rounds"):
        del plain["rows"][0][key]
    assert against_table(plain) == []
    assert not any("ours at" in check["target"] for check in evaluate(plain, [16]))


@pytest.mark.parametrize(("ratio", "met"), [(0.96, True), (0.94, False)])
def test_ours_now_must_stay_within_five_percent_of_ours_then(ratio: float, met: bool) -> None:
    (check,) = [c for c in evaluate(report(ratio), [16]) if "ours at d2a4f08" in c["target"]]
    assert check["pass"] is met
    assert check["target"] == "Q1 ours/ours at d2a4f08 at c=16 >= 0.95"
