"""A response maker (`engine.compiled.tree`, compiled with `eval`) is an ordinary frame to
the garbage collector: a never-awaited coroutine collected while one runs is warned about
as anywhere else. The warning imports `warnings` through the running frame's globals, so
a maker whose globals held builtins without `__import__` turned it into an unraisable
KeyError('__import__'), which fails whichever test was running."""

from __future__ import annotations

import gc
import sys
import warnings
from typing import Any

import pytest

from engine.compiled.tree import _response_maker


async def _never() -> None:
    pass


class _Witness:
    """Notes the globals of the frame the collector frees it in."""

    def __init__(self, seen: list[dict[str, Any]]) -> None:
        self.seen = seen

    def __del__(self) -> None:
        self.seen.append(sys._getframe(1).f_globals)


def test_a_coroutine_collected_in_a_makers_globals_is_warned_about(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    maker = _response_maker(("a", "b"))
    assert maker([[1], [2]]) == [{"a": 1, "b": 2}]
    frames: list[dict[str, Any]] = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        cycle: list[Any] = [_never(), _Witness(frames)]
        cycle.append(cycle)
        del cycle
        # Collected from a frame with the maker's globals, as when the collector runs
        # while the maker builds its dict.
        eval("collect()", maker.__globals__, {"collect": gc.collect})
    assert len(frames) == 1
    assert frames[0] is maker.__globals__
    assert [u.exc_value for u in unraisable] == []
    assert [str(w.message) for w in seen] == ["coroutine '_never' was never awaited"]


def test_selections_with_the_same_keys_share_one_maker() -> None:
    first = _response_maker(("id", "name"))
    assert _response_maker(("id", "name")) is first
    assert _response_maker(("name", "id")) is not first
    assert _response_maker(("name", "id"))([["x"], [1]]) == [{"name": "x", "id": 1}]
