"""The walk graphql-core's validation makes of a document, with less dispatch per node.

Each node walked costs every rule a call or a test: graphql-core's `ParallelVisitor` asks
each of some thirty rules, at each node, whether it acts on the node's kind, and one rule
(unique directives) acts on every kind. A document of fifty operations spreading one
fragment was 640 nodes, most of them names, which no rule walks to. Here the walk skips
names and variables (read by the rules through their parents), each kind is dispatched to
the rules acting on it only (and to `TypeInfo` when it acts on it), and the directives rule
acts on the kinds that have directives. What each rule sees, and in which order, is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from graphql import BREAK, SKIP, Node, ParallelVisitor, TypeInfo, Visitor
from graphql.language.visitor import EnterLeaveVisitor
from graphql.validation import ASTValidationRule, UniqueDirectivesPerLocationRule
from graphql.validation.validate import query_document_keys_to_validate

LEAVES = {"name": ("name", "alias"), "variable": ("variable",)}
"""Kinds of nodes that hold nothing a rule walks to, and the keys that lead only to them
(a variable holds only its name; every `name` and `alias` is a name)."""

Keys = dict[str, tuple[str, ...]]


@cache
def walked_keys(rules: tuple[type[ASTValidationRule], ...]) -> Keys:
    """graphql-core's keys to walk, without those that lead only to names or variables
    when no rule acts on either kind (a generic `enter` or `leave` would see them too)."""
    acting = any(
        hasattr(rule, f"{event}_{kind}") or hasattr(rule, event)
        for rule in rules
        if not issubclass(rule, UniqueDirectivesPerLocationRule)  # reads directives only
        for kind in LEAVES
        for event in ("enter", "leave")
    )
    if acting:
        return query_document_keys_to_validate
    skipped = {key for keys in LEAVES.values() for key in keys}
    return {
        kind: tuple(key for key in keys if key not in skipped)
        for kind, keys in query_document_keys_to_validate.items()
    }


class UniqueDirectivesWhereDirectivesAre(UniqueDirectivesPerLocationRule):
    """graphql-core's rule, which listens to every node, listening only to the kinds that
    may hold directives."""

    enter = None  # type: ignore[assignment]


for _kind, _keys in query_document_keys_to_validate.items():
    if "directives" in _keys:
        setattr(
            UniqueDirectivesWhereDirectivesAre,
            f"enter_{_kind}",
            UniqueDirectivesPerLocationRule.enter,
        )


@cache
def _method_names(visitor_class: type, kind: str) -> tuple[str | None, str | None]:
    """The names of the methods graphql-core's `Visitor` finds for `kind`, found once per
    class: rules are made for each document, and looking up thirty rules' methods for
    each kind was a fifth of validating fifty small operations."""

    def named(event: str) -> str | None:
        for name in (f"{event}_{kind}", event):
            if getattr(visitor_class, name, None):
                return name
        return None

    return named("enter"), named("leave")


@cache
def _acting(classes: tuple[type, ...], kind: str) -> tuple[tuple[int, str | None, str | None], ...]:
    """The visitors of these classes (by their place) acting on `kind`, and the names of
    their methods for it."""
    named = ((i, *_method_names(visitor_class, kind)) for i, visitor_class in enumerate(classes))
    return tuple((i, enter, leave) for i, enter, leave in named if enter or leave)


class _KindsOnce(Visitor):
    """A visitor whose methods for a kind `_dispatch` makes, once."""

    def get_enter_leave_for_kind(self, kind: str) -> EnterLeaveVisitor:
        found = self.enter_leave_map.get(kind)
        if found is None:
            found = self.enter_leave_map[kind] = self._dispatch(kind)
        return found

    def _dispatch(self, kind: str) -> EnterLeaveVisitor:
        raise NotImplementedError


class RulesByKind(_KindsOnce, ParallelVisitor):
    """graphql-core's `ParallelVisitor`, each kind's calls going to the visitors that act
    on it only. A visitor that skips a node does so when entering it, so leaving a kind
    concerns the visitors that enter or leave it."""

    def __init__(self, visitors: Sequence[Visitor]) -> None:
        super().__init__(visitors)
        classes: tuple[type, ...] = tuple(map(type, visitors))
        # A visitor may find its methods its own way; graphql-core's rules do not.
        by_class = all(
            getattr(c, "get_enter_leave_for_kind", None) is Visitor.get_enter_leave_for_kind
            for c in classes
        )
        self.classes = classes if by_class else None
        self.ordered = list(visitors)

    def _dispatch(self, kind: str) -> EnterLeaveVisitor:
        skipping = self.skipping
        visitors = self.ordered
        pairs: list[tuple[int, tuple[Any, Any]]]
        if self.classes is None:
            pairs = [
                (i, visitor.get_enter_leave_for_kind(kind)) for i, visitor in enumerate(visitors)
            ]
        else:
            pairs = [
                (i, (enter and getattr(visitors[i], enter), leave and getattr(visitors[i], leave)))
                for i, enter, leave in _acting(self.classes, kind)
            ]
        enters = tuple((i, enter) for i, (enter, _) in pairs if enter)
        leaves = tuple((i, leave) for i, (enter, leave) in pairs if enter or leave)
        if not leaves:
            return EnterLeaveVisitor(None, None)

        def enter(node: Node, *args: Any) -> Any:
            for i, fn in enters:
                if not skipping[i]:
                    result: Any = fn(node, *args)
                    if result is None:
                        continue
                    if result is SKIP or result is False:
                        skipping[i] = node
                    elif result is BREAK or result is True:
                        skipping[i] = BREAK
                    else:
                        return result
            return None

        def leave(node: Node, *args: Any) -> Any:
            for i, fn in leaves:
                if not skipping[i]:
                    if fn:
                        result: Any = fn(node, *args)
                        if result is None:
                            continue
                        if result is BREAK or result is True:
                            skipping[i] = BREAK
                        elif result is not SKIP and result is not False:
                            return result
                elif skipping[i] is node:
                    skipping[i] = None
            return None

        return EnterLeaveVisitor(enter if enters else None, leave)


class TypedRules(_KindsOnce):
    """graphql-core's `TypeInfoVisitor` around `rules`, the methods of `type_info` and of
    the rules for each kind looked up once (graphql-core looks them up at each node). A
    kind neither acts on is not called at all."""

    def __init__(self, type_info: TypeInfo, rules: RulesByKind) -> None:
        super().__init__()
        self.type_info = type_info
        self.rules = rules

    def _dispatch(self, kind: str) -> EnterLeaveVisitor:
        type_info = self.type_info
        typed_enter = getattr(type_info, f"enter_{kind}", None)
        typed_leave = getattr(type_info, f"leave_{kind}", None)
        rules_enter, rules_leave = self.rules.get_enter_leave_for_kind(kind)
        if not (typed_enter or typed_leave or rules_enter or rules_leave):
            return EnterLeaveVisitor(None, None)

        def enter(node: Node, *args: Any) -> Any:
            if typed_enter:
                typed_enter(node)
            if not rules_enter:
                return None
            result = rules_enter(node, *args)
            if result is not None:  # not left, when skipped: what it entered is undone
                type_info.leave(node)
                if isinstance(result, Node):
                    type_info.enter(result)
            return result

        def leave(node: Node, *args: Any) -> Any:
            result = rules_leave(node, *args) if rules_leave else None
            if typed_leave:
                typed_leave()
            return result

        return EnterLeaveVisitor(enter, leave)
