"""The module size bound: the tree holds to it, and the check names what breaks it."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import module_sizes
from server.module_sizes import MAX_LINES, oversized

ROOT = Path(__file__).resolve().parents[2]


def _module(root: Path, name: str, lines: int) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"x{i} = {i}\n" for i in range(lines)))


def test_every_module_of_the_packages_is_within_the_bound() -> None:
    assert oversized(ROOT) == []


def test_a_module_over_the_bound_is_named_with_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _module(tmp_path, "sql/at_the_bound.py", MAX_LINES)
    _module(tmp_path, "gql/nested/too_long.py", MAX_LINES + 1)
    _module(tmp_path, "tests/long_test.py", 2 * MAX_LINES)  # tests are not bound

    assert oversized(tmp_path) == [(Path("gql/nested/too_long.py"), MAX_LINES + 1)]
    assert module_sizes.main(["--root", str(tmp_path)]) == 1
    assert f"gql/nested/too_long.py: {MAX_LINES + 1} lines" in capsys.readouterr().err


def test_a_tree_within_the_bound_passes(tmp_path: Path) -> None:
    _module(tmp_path, "server/small.py", 10)
    assert module_sizes.main(["--root", str(tmp_path)]) == 0
