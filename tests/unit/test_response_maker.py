"""A response maker (`engine.compiled.tree`, compiled with `eval`) is an ordinary frame to
the garbage collector: a never-awaited coroutine collected while one runs is warned about
as anywhere else. The warning imports `warnings` through the running frame's builtins, so a
maker whose globals held builtins without `__import__` turned it into an unraisable
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
    """Notes the frame the collector frees it in."""

    def __init__(self, frames: list[str]) -> None:
        self.frames = frames

    def __del__(self) -> None:
        self.frames.append(sys._getframe(1).f_code.co_name)


def test_a_coroutine_collected_inside_a_maker_is_warned_about(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    maker = _response_maker(("a", "b"))
    frames: list[str] = []
    threshold = gc.get_threshold()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        gc.collect()
        gc.disable()
        cycle: list[Any] = [_never(), _Witness(frames)]
        cycle.append(cycle)
        del cycle
        gc.set_threshold(1)  # the maker's dict is the next allocation the collector counts
        gc.enable()
        try:
            assert maker(1, 2) == {"a": 1, "b": 2}
        finally:
            gc.set_threshold(*threshold)
    assert frames == ["<lambda>"]  # collected while the maker ran
    assert [u.exc_value for u in unraisable] == []
    assert [str(w.message) for w in seen] == ["coroutine '_never' was never awaited"]
