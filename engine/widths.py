"""How many fields a query selects on one object, as execution merges them.

Fields with the same response name merge into one, and their selection sets into one object
below: `{ a: product { name } a: product { price } }` selects two fields on `a`. Validation
compares the fields of one such object pairwise (to prove they can merge), so an object with
thousands of fields costs it millions of comparisons, however few tokens spell them. Counting
them here is cheap: the walk unfolds fragments the way execution does (a fragment once per
object), so it visits at most the selections `engine.limits.check_shape` already bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
)

from engine.limits import QueryLimits, TooComplex, fragment_definitions, operations


@dataclass(slots=True)
class _Object:
    """One response object: the selection sets merged into it, and where it is."""

    path: tuple[str, ...]
    sets: list[SelectionSetNode]


def check_widths(document: DocumentNode, limits: QueryLimits) -> list[GraphQLError]:
    """`TooComplex` for the first object that selects more than `max_fields` fields, in an
    operation or in a fragment (validation checks each fragment on its own too). Call it
    only on documents within the selection limit."""
    fragments = fragment_definitions(document)
    # Acyclic fragments unfold to at most `max_selections` selections in all (checked
    # before); only a fragment cycle (refused by validation anyway) could run past this.
    budget = _Budget(limits.max_selections)
    checked: dict[tuple[int, ...], int] = {}
    roots = [*operations(document), *fragments.values()]
    for root in roots:
        widest = _first_too_wide(root.selection_set, fragments, limits, budget, checked)
        if widest is not None:
            width, path = widest
            where = ".".join(path)
            if isinstance(root, FragmentDefinitionNode):
                where = f"fragment {root.name.value}" + (f", {where}" if where else "")
            return [
                TooComplex(
                    f"the query selects {width} fields on one object (at {where or 'the root'}"
                    f"; repeated fields and the fields of fragments count too); at most "
                    f"{limits.max_fields} are allowed",
                    root,
                )
            ]
    return []


@dataclass(slots=True)
class _Budget:
    left: int


def _first_too_wide(
    root: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    limits: QueryLimits,
    budget: _Budget,
    checked: dict[tuple[int, ...], int],
) -> tuple[int, tuple[str, ...]] | None:
    """`checked` holds the objects already walked (by their selection sets), each with
    the least depth it was walked from: fifty operations that spread one fragment have
    its objects in common, and the walk from one of them found them within the limit."""
    pending = [_Object((), [root])]
    while pending:
        current = pending.pop()
        depth = len(current.path)
        walked = tuple(map(id, current.sets))
        if checked.get(walked, depth + 1) <= depth:
            continue
        checked[walked] = depth
        width = 0
        below: dict[str, list[SelectionSetNode]] = {}
        unfolded: set[str] = set()
        sets = list(current.sets)
        while sets:
            selections = sets.pop().selections
            budget.left -= len(selections)
            if budget.left < 0:
                return None
            for selection in selections:
                if isinstance(selection, FieldNode):
                    width += 1
                    if selection.selection_set is not None:
                        key = (selection.alias or selection.name).value
                        below.setdefault(key, []).append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    sets.append(selection.selection_set)
                else:
                    assert isinstance(selection, FragmentSpreadNode)
                    name = selection.name.value
                    fragment = fragments.get(name)
                    if fragment is not None and name not in unfolded:
                        unfolded.add(name)
                        sets.append(fragment.selection_set)
        if width > limits.max_fields:
            return width, current.path
        if depth < limits.max_depth:
            pending.extend(_Object((*current.path, key), merged) for key, merged in below.items())
    return None
