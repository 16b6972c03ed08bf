"""The root field of a prepared subscription, and which of its variables can change what an
event's result holds.

`after` only says where a stream starts: two subscribers that differ in it alone get the
same bytes for the same event, and must share one execution, or every resumed subscriber
would be a group of its own. A variable that feeds `after` and nothing else is therefore
left out of the key that groups subscribers.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    visit,
)

from engine.operations import Runnable


def root_field(runnable: Runnable) -> FieldNode:
    """The one root field of a subscription (validation guarantees there is exactly one),
    wherever fragments put it."""
    return _root_field(runnable.operation.selection_set, runnable)


def result_variables(runnable: Runnable, variables: dict[str, Any] | None) -> dict[str, Any]:
    """`variables` without the one that carries `after` alone."""
    if not variables:
        return {}
    arguments = root_field(runnable).arguments or ()
    after = next((a.value for a in arguments if a.name.value == "after"), None)
    if not isinstance(after, VariableNode):
        return variables
    name = after.name.value
    if _uses(runnable)[name] > 2:  # its definition, `after`, and somewhere else
        return variables
    return {key: value for key, value in variables.items() if key != name}


def _uses(runnable: Runnable) -> Counter[str]:
    counter: Counter[str] = Counter()

    class Count(Visitor):
        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            counter[node.name.value] += 1

    visit(runnable.document, Count())
    return counter


def _root_field(selections: SelectionSetNode, runnable: Runnable) -> FieldNode:
    """The one root field of a subscription (validation guarantees there is exactly one),
    wherever fragments put it."""
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            return selection
        if isinstance(selection, InlineFragmentNode):
            return _root_field(selection.selection_set, runnable)
        if isinstance(selection, FragmentSpreadNode):
            fragment = next(
                d
                for d in runnable.document.definitions
                if getattr(d, "name", None) is not None
                and d.name.value == selection.name.value  # type: ignore[attr-defined]
                and hasattr(d, "type_condition")
            )
            return _root_field(fragment.selection_set, runnable)  # type: ignore[attr-defined]
    raise ValueError("a subscription without a root field passed validation")
