"""Relations whose whole subtree the database can render: the plan hands their shape to
the schema's side once, and if it answers with a renderer, a level's such relations are
read as finished JSON text for every parent at once and spliced into the response as it
is (`orjson.Fragment`), with no row, object or response dict per related row.

A relation qualifies when it is a `batched_field` declared with a `render` token, takes
no arguments, is a non-null object or a non-null list of non-null objects, and everything
selected under it is `__typename`, a plain field read off the row, or another such
relation. What the token means (which rows, which fields can be rendered exactly) is the
schema side's to say: `render_relations_with` registers who decides.

Rendering must not cost a statement more than the loaders would: a loader reads the rows
of one type for every field that asks for them, where a rendered level reads its own. So a
plan keeps its rendered levels only when every type under them is read nowhere else in the
plan — not outside rendered subtrees, not under another rendered level, and no abstract
type's selection (made as values come) could ask for it (`settle`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from engine.compiled.fields import RENDER
from engine.compiled.tree import DEFINITION, Field, Leaf, ListOf, NonNull, Object, Selection


@dataclass(frozen=True, slots=True)
class Shape:
    """What a selection shows, in response order (see `Shown`), of objects of `origin`
    (the Strawberry class) named `type_name`."""

    type_name: str
    origin: type | None
    fields: tuple[Shown, ...]


@dataclass(frozen=True, slots=True)
class Shown:
    """One response key: `__typename` (`name` None), a plain field (its Python `name`), or
    a relation (its `token`, a list when `many`, and the `shape` under it)."""

    key: str
    name: str | None
    non_null: bool
    token: Any = None
    many: bool = False
    shape: Shape | None = None


Renderer = Callable[[Any, list[Any]], Awaitable[list[list[Any]]]]
"""`render(context, parents)`: per relation of the level, one JSON text per parent (as a
`str` or `bytes`), or None where the run must be left to graphql-core."""

RenderHook = Callable[[type | None, Sequence[Shown]], tuple[list[int], Renderer] | None]
"""`hook(parent_class, relations)`: the positions of the relations it renders (in order),
and the renderer of those; None for none."""
_hook: RenderHook | None = None


def render_relations_with(hook: RenderHook) -> None:
    """Have `hook` decide, once per compiled selection, which relations of its objects are
    rendered, and by what."""
    global _hook
    _hook = hook


def split_rendered(selection: Selection) -> None:
    """Moves the selection's renderable relations from its called fields to `rendered`,
    when the hook takes them."""
    if _hook is None:
        return
    found = [(index, f, shown) for index, f in selection.called if (shown := _relation(f))]
    if not found:
        return
    origin = getattr(selection.type_.extensions.get(DEFINITION), "origin", None)
    decided = _hook(origin, [shown for _, _, shown in found])
    if decided is None:
        return
    positions, renderer = decided
    taken = [found[position] for position in positions]
    selection.rendered = ([index for index, _, _ in taken], renderer)
    selection.rendered_fields = [(index, f) for index, f, _ in taken]
    indexes = {index for index, _, _ in taken}
    selection.called = [(index, f) for index, f in selection.called if index not in indexes]


def _relation(f: Field) -> Shown | None:
    definition = None if f.definition is None else f.definition.extensions.get(DEFINITION)
    token = None if definition is None else definition.metadata.get(RENDER)
    if (
        definition is None
        or token is None
        or f.has_arguments
        or not isinstance(f.completion, NonNull)
    ):
        return None
    inner = f.completion.inner
    many = isinstance(inner, ListOf)
    if isinstance(inner, ListOf):
        if not isinstance(inner.inner, NonNull):
            return None
        inner = inner.inner.inner
    if not isinstance(inner, Object) or inner.selection is None:
        return None
    shape = shape_of(inner.selection)
    if shape is None:
        return None
    return Shown(f.key, definition.python_name, True, token, many, shape)


def shape_of(selection: Selection) -> Shape | None:
    """What the selection shows, if all of it is `__typename`, plain fields, leaves the
    database can write (a field declared with a `render` token, such as a global id) and
    renderable relations; None otherwise."""
    shown: list[Shown | None] = [None] * len(selection.keys)
    for index, f in selection.called:
        shown[index] = _rendered_leaf(f)
        if shown[index] is None:
            return None
    for index in selection.typenames:
        shown[index] = Shown(selection.keys[index], None, True)
    for index, attribute, _, non_null in selection.plain:
        shown[index] = Shown(selection.keys[index], attribute, non_null)
    for index, attribute, _, _, non_null in selection.from_rows:
        shown[index] = Shown(selection.keys[index], attribute, non_null)
    for index, f in selection.rendered_fields:
        shown[index] = _relation(f)
    if any(s is None for s in shown):
        return None
    origin = getattr(selection.type_.extensions.get(DEFINITION), "origin", None)
    return Shape(selection.type_.name, origin, tuple(s for s in shown if s is not None))


def _rendered_leaf(f: Field) -> Shown | None:
    """A leaf field the database writes as its `render` token says (no arguments)."""
    definition = None if f.definition is None else f.definition.extensions.get(DEFINITION)
    token = None if definition is None else definition.metadata.get(RENDER)
    completion = f.completion
    non_null = isinstance(completion, NonNull)
    if isinstance(completion, NonNull):
        completion = completion.inner
    if definition is None or token is None or f.has_arguments or not isinstance(completion, Leaf):
        return None
    return Shown(f.key, definition.python_name, non_null, token)


def settle(root: Selection) -> None:
    """Takes back every rendered level of the plan under `root` if a type rendered by one
    is read anywhere else (see above): each of its levels then reads rows as it would
    have."""
    levels: list[Selection] = []
    elsewhere: set[str] = set()
    rendered: list[str] = []  # each level's types, once per level
    abstract = False
    pending = [root]
    while pending:  # along every path: a selection met twice runs twice
        current = pending.pop()
        elsewhere.add(current.type_.name)
        for _, f in current.called:
            child = _object(f)
            if child is None:
                continue
            if child.selection is None:
                abstract = True
            else:
                pending.append(child.selection)
        if current.rendered is not None:
            covered = _covered(current)
            levels.extend(covered)
            rendered.extend({s.type_.name for s in covered[1:]})
    if not levels:
        return
    if abstract or len(rendered) != len(set(rendered)) or elsewhere.intersection(rendered):
        for level in levels:
            if level.rendered is not None:
                # Back among the called fields, in response order as `Selection.of` had them.
                called = sorted([*level.called, *level.rendered_fields], key=itemgetter(0))
                level.called, level.rendered, level.rendered_fields = called, None, []


def _covered(level: Selection) -> list[Selection]:
    """The level, and the selections under its rendered relations (which have rendered
    relations of their own, should they run as levels)."""
    found = [level]
    for selection in found:
        for _, f in selection.rendered_fields:
            child = _object(f)
            assert child is not None
            assert child.selection is not None
            found.append(child.selection)
    return found


def _object(f: Field) -> Object | None:
    completion = f.completion
    while isinstance(completion, NonNull | ListOf):
        completion = completion.inner
    return completion if isinstance(completion, Object) else None
