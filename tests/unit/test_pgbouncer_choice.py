"""Which PgBouncer the tests and the benchmark start, and whether it keeps statements."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bench.paths import pgbouncer_option
from server.pgbouncer import (
    KEEPS_PREPARED,
    PgBouncerError,
    config,
    executable,
    keeps_prepared,
    pgbouncer,
    version,
)


def fake_pgbouncer(tmp_path: Path, first_line: str) -> str:
    program = tmp_path / "pgbouncer"
    program.write_text(f"#!/bin/sh\necho '{first_line}'\necho 'libevent 2.1.12-stable'\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return str(program)


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [("PgBouncer 1.18.0", (1, 18, 0)), ("PgBouncer 1.25.2", (1, 25, 2))],
)
def test_the_version_is_read_from_the_program(
    tmp_path: Path, first_line: str, expected: tuple[int, ...]
) -> None:
    assert version(fake_pgbouncer(tmp_path, first_line)) == expected


def test_a_program_that_is_not_pgbouncer_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PgBouncerError):
        version(fake_pgbouncer(tmp_path, "Odyssey 1.3"))


def test_prepared_statements_from_1_21_on() -> None:
    assert (1, 18, 0) < KEEPS_PREPARED <= (1, 21, 0) < (1, 25, 2)
    assert "max_prepared_statements" in config("postgresql://u@h/db", port=1, named=True)
    assert "max_prepared_statements" not in config("postgresql://u@h/db", port=1)


def test_pgbouncer_names_the_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    program = fake_pgbouncer(tmp_path, "PgBouncer 1.25.2")
    monkeypatch.setenv("PGBOUNCER", program)
    assert executable() == program
    monkeypatch.setenv("PGBOUNCER", str(tmp_path / "missing"))
    with pytest.raises(PgBouncerError, match="names no program"):
        executable()


def test_a_program_that_does_not_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PgBouncerError):
        version(str(tmp_path / "missing"))
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\nexit 3\n")
    failing.chmod(failing.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(PgBouncerError):
        version(str(failing))


@pytest.mark.parametrize(
    ("first_line", "named", "expected"),
    [
        ("PgBouncer 1.18.0", None, False),
        ("PgBouncer 1.21.0", None, True),
        ("PgBouncer 1.25.2", None, True),
        ("PgBouncer 1.25.2", False, False),
        ("PgBouncer 1.18.0", False, False),
    ],
)
def test_statements_are_named_when_the_version_can_keep_them(
    tmp_path: Path, first_line: str, named: bool | None, expected: bool
) -> None:
    assert keeps_prepared(version(fake_pgbouncer(tmp_path, first_line)), named) is expected


def test_named_statements_through_an_older_pgbouncer_are_refused_before_it_starts(
    tmp_path: Path,
) -> None:
    program = fake_pgbouncer(tmp_path, "PgBouncer 1.18.0")
    with (
        pytest.raises(PgBouncerError, match="cannot keep prepared statements"),
        pgbouncer("postgresql://u@127.0.0.1/db", tmp_path / "run", program=program, named=True),
    ):
        pass
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/opt/pgbouncer/bin/pgbouncer", ("/opt/pgbouncer/bin/pgbouncer", None)),
        ("/opt/pgbouncer/bin/pgbouncer:unnamed", ("/opt/pgbouncer/bin/pgbouncer", False)),
        ("pgbouncer:named", ("pgbouncer", True)),
        (":unnamed", (None, False)),
    ],
)
def test_the_bench_option_takes_a_program_and_its_statements(
    value: str, expected: tuple[str | None, bool | None]
) -> None:
    assert pgbouncer_option(value) == expected
