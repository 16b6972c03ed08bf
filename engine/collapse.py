"""The document validation sees: each selection set without its repeated selections.

`{ name name name }` is legal GraphQL and means `{ name }`: execution merges fields of one
response name, and a selection written twice, to the letter (after its own repeats are
gone), adds nothing the first did not. Validation compares the fields of an object pair by
pair, so repeats cost it quadratic time; it is given a copy without them. Arguments and
directives are compared as written, spacing included. Only fields, fragment spreads and
inline fragments whose directives are all `@skip`/`@include` collapse (those two read the
same variables at both places); any other directive (a label, say) may make a repeat
meaningful, so such selections stay.

Nothing else changes: the limits, the cost and execution read the document as written. An
error validation finds in a kept selection is found in each of its repeats as well, so
`Collapsed.twins` gives, for a node of the copy, the nodes of the repeats it stands for:
their locations are reported too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TypeVar

from graphql import (
    DefinitionNode,
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    InlineFragmentNode,
    Node,
    SelectionNode,
    SelectionSetNode,
    print_ast,
)
from graphql.language.ast import QUERY_DOCUMENT_KEYS

MERGEABLE_DIRECTIVES = frozenset({"skip", "include"})

N = TypeVar("N", bound=Node)


@dataclass(slots=True)
class Collapsed:
    document: DocumentNode
    repeats: list[tuple[Node, Node]] = field(default_factory=list)  # (kept, repeat) selections
    _twins: dict[tuple[int, int, str], list[Node]] | None = None

    def twins(self, node: Node) -> Iterator[Node]:
        """The nodes of the repeats `node` stands for, through repeats within repeats."""
        if self._twins is None:  # only once an error asks: valid documents never do
            self._twins = {}
            for kept, repeat in self.repeats:
                _pair(self._twins, kept, repeat)
        pending = [node]
        while pending:
            current = pending.pop()
            loc = current.loc
            for twin in self._twins.get((loc.start, loc.end, current.kind), ()) if loc else ():
                yield twin
                pending.append(twin)


def collapse(document: DocumentNode) -> Collapsed:
    """`document` without repeated selections, or as it is when it has none (or nests
    inline fragments past the interpreter's recursion)."""
    collapser = _Collapser()
    try:
        definitions = tuple(collapser.definition(d) for d in document.definitions)
    except RecursionError:
        return Collapsed(document)
    if not collapser.repeats:
        return Collapsed(document)
    copy = DocumentNode(definitions=definitions, loc=document.loc)
    object.__setattr__(copy, "token_count", getattr(document, "token_count", 0))
    return Collapsed(copy, collapser.repeats)


class _Collapser:
    def __init__(self) -> None:
        self.keys: dict[object, int] = {}  # structure -> a small int naming it
        self.repeats: list[tuple[Node, Node]] = []

    def key(self, structure: object) -> int:
        return self.keys.setdefault(structure, len(self.keys))

    def definition(self, definition: DefinitionNode) -> DefinitionNode:
        if not isinstance(definition, ExecutableDefinitionNode):
            return definition
        selection_set, _ = self.selection_set(definition.selection_set)
        if selection_set is definition.selection_set:
            return definition
        return _copy(definition, selection_set=selection_set)

    def selection_set(self, node: SelectionSetNode) -> tuple[SelectionSetNode, int | None]:
        """The set without repeats, and its structure (None when any of its selections
        may not merge, nor then may the selection holding it)."""
        kept: list[SelectionNode] = []
        keys: list[int | None] = []
        first: dict[int, SelectionNode] = {}
        changed = False
        for selection in node.selections:
            copy, key = self.selection(selection)
            changed |= copy is not selection
            if key is not None and key in first:
                self.repeats.append((first[key], copy))
                changed = True
                continue
            if key is not None:
                first[key] = copy
            kept.append(copy)
            keys.append(key)
        copy_set = SelectionSetNode(selections=tuple(kept), loc=node.loc) if changed else node
        if None in keys:
            return copy_set, None
        return copy_set, self.key(("set", tuple(keys)))

    def selection(self, node: SelectionNode) -> tuple[SelectionNode, int | None]:
        """The selection with its own repeats gone, and its structure when it may merge."""
        if isinstance(node, FieldNode) and not (
            node.selection_set or node.arguments or node.directives
        ):  # the commonest selection, and the one repeated most: as below, for less
            alias = node.alias.value if node.alias else None
            return node, self.key((("field", alias, node.name.value, ()), (), None))
        directives = tuple(node.directives or ())
        mergeable = all(d.name.value in MERGEABLE_DIRECTIVES for d in directives)
        inner = getattr(node, "selection_set", None)
        copy, inner_key = node, None
        if inner is not None:
            collapsed, inner_key = self.selection_set(inner)
            if collapsed is not inner:
                copy = _copy(node, selection_set=collapsed)
        if not mergeable or (inner is not None and inner_key is None):
            return copy, None
        head: object
        if isinstance(node, FieldNode):
            arguments = tuple(written(a) for a in node.arguments or ())
            alias = node.alias.value if node.alias else None
            head = ("field", alias, node.name.value, arguments)
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            head = ("inline", condition)
        else:
            head = ("spread", node.name.value)  # type: ignore[attr-defined]
        marks = tuple(written(d) for d in directives)
        return copy, self.key((head, marks, inner_key))


def written(node: Node) -> str:
    """The node as written: its source text (printing it again would escape a long string
    once more), or printed when it has no location."""
    loc = node.loc
    return loc.source.body[loc.start : loc.end] if loc else print_ast(node)


def _pair(twins: dict[tuple[int, int, str], list[Node]], kept: Node, repeat: Node) -> None:
    """Each node of `repeat` is a twin of the node at the same place in `kept`."""
    pending = [(kept, repeat)]
    while pending:
        one, other = pending.pop()
        if one.loc is not None:
            twins.setdefault((one.loc.start, one.loc.end, one.kind), []).append(other)
        for name in QUERY_DOCUMENT_KEYS.get(one.kind, ()):
            mine, theirs = getattr(one, name), getattr(other, name)
            if isinstance(mine, Node) and isinstance(theirs, Node):
                pending.append((mine, theirs))
            elif isinstance(mine, tuple) and isinstance(theirs, tuple):
                pending.extend(
                    (a, b) for a, b in zip(mine, theirs, strict=False) if isinstance(a, Node)
                )


def _copy(node: N, *, selection_set: SelectionSetNode) -> N:
    changed: N = replace(node, selection_set=selection_set)  # type: ignore[call-arg]
    return changed
