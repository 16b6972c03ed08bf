"""Connection pages whose nodes the database renders: when a plan's connection field is
declared with a page token (`RENDER_PAGE`) and everything its `nodes` show can be written
by the database (`rendering.shape_of`), the plan asks the schema's side once for what
renders them, and while the field's resolver runs, `rendered_page()` hands that over: the
resolver may then answer `nodes` with the page's finished JSON text (an
`orjson.Fragment`), which the run splices in as it is. graphql-core never sees it: the
token is set only around the compiled call.

Only pages that show nothing else of their rows qualify: no `edges` (a cursor per row)
and one `nodes` selection; `totalCount` is told, so the statement can count beside the
page. Nor does a field called more than once in its selection (under aliases): read as
rows, its calls share one page statement and one count (a request's reads of one
statement are sent once), where each rendered call would be a statement of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from engine.compiled.fields import RENDER_PAGE
from engine.compiled.rendering import Shape, shape_of
from engine.compiled.tree import DEFINITION, Field, ListOf, NonNull, Object, Selection

PageHook = Callable[[Any, Shape, bool], Any]
"""`hook(token, shape, count)`: what renders the nodes of `shape` (and counts the set
too when `count`) for a field declared with `token`, or None for nothing."""
_hook: PageHook | None = None

_rendering: ContextVar[Any] = ContextVar("rendering_page", default=None)


def render_pages_with(hook: PageHook) -> None:
    """Have `hook` decide, once per compiled connection field, whether the database renders
    its page's nodes, and by what."""
    global _hook
    _hook = hook


def rendered_page() -> Any:
    """What renders the nodes of the page the running resolver returns; None: read rows."""
    return _rendering.get()


def rendering_page(page: Any) -> Any:
    """Sets what `rendered_page()` gives (to reset with `done_rendering`)."""
    return _rendering.set(page)


def done_rendering(token: Any) -> None:
    _rendering.reset(token)


def split_rendered_pages(selection: Selection) -> None:
    """Gives each connection field of the selection that qualifies (see above) its page
    renderer (`Field.page`)."""
    if _hook is None:
        return
    calls = Counter(_name(f) for _, f in selection.called)
    for _, f in selection.called:
        if calls[_name(f)] > 1:
            continue
        definition = None if f.definition is None else f.definition.extensions.get(DEFINITION)
        token = None if definition is None else definition.metadata.get(RENDER_PAGE)
        if token is None:
            continue
        completion = f.completion
        if isinstance(completion, NonNull):
            completion = completion.inner
        if isinstance(completion, Object) and completion.selection is not None:
            found = _nodes_shape(completion.selection)
            if found is not None:
                f.page = _hook(token, *found)


def _nodes_shape(connection: Selection) -> tuple[Shape, bool] | None:
    """The shape of the connection's one `nodes` selection, and whether `totalCount` is
    selected beside it; None when it cannot be rendered or `edges` is selected."""
    by_name: dict[str, list[Field]] = {}
    for _, f in connection.called:
        by_name.setdefault(_name(f), []).append(f)
    nodes = by_name.get("nodes", [])
    if "edges" in by_name or len(nodes) != 1:
        return None
    completion = nodes[0].completion
    if not (
        isinstance(completion, NonNull)
        and isinstance(completion.inner, ListOf)
        and isinstance(completion.inner.inner, NonNull)
        and isinstance(completion.inner.inner.inner, Object)
    ):
        return None
    items = completion.inner.inner.inner.selection
    shape = None if items is None else shape_of(items)
    if shape is None:
        return None
    return shape, "totalCount" in by_name


def _name(f: Field) -> str:
    """The field's name in the schema (whatever its alias)."""
    return f.nodes[0].node.name.value
