"""graphql-core's validation, with each distinct error reported once and few of them.

A document that repeats a mistake (ten unknown `@aa`, a misspelt field in every fragment)
gets one error per distinct message, carrying the locations of every occurrence (at most
`MAX_LOCATIONS`). Validation stops at the first distinct error past `max_errors - 1`, or
at the error past `REPORTS_PER_ERROR * max_errors` reported in all (98 fields that pairwise
conflict report 4,753 conflicts of one message); the last error then says it stopped, so no
answer carries more than `max_errors` errors.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    Node,
    OperationDefinitionNode,
    TypeInfo,
    Visitor,
    assert_valid_schema,
    visit,
)
from graphql.pyutils import RefMap
from graphql.validation import (
    ASTValidationRule,
    OverlappingFieldsCanBeMergedRule,
    ValidationContext,
)
from graphql.validation.validate import (
    FragmentNestingVisitor,
    ValidationAbortedError,
)

from engine.collapse import written
from engine.usages import variable_usages
from engine.validation_walk import RulesByKind, TypedRules, walked_keys

MAX_LOCATIONS = 50
"""Locations one merged error carries at most (the directive limit's default)."""

REPORTS_PER_ERROR = 5


Twins = Callable[[Node], Iterable[Node]]


class _Merged:
    def __init__(self, max_errors: int, twins: Twins) -> None:
        self.max_errors = max_errors
        self.twins = twins
        self.reports = REPORTS_PER_ERROR * max_errors  # left before validation stops
        self.first: dict[str, GraphQLError] = {}  # by message, in the order found
        self.nodes: dict[str, dict[object, Node]] = {}  # each place once, by message

    def report(self, error: GraphQLError) -> None:
        message = error.message
        nodes = self.nodes.get(message)
        self.reports -= 1
        if self.reports < 0 or (nodes is None and len(self.first) >= self.max_errors - 1):
            raise ValidationAbortedError(
                f"validation stopped after {len(self.first)} distinct errors; at most "
                f"{self.max_errors} errors are reported"
            )
        if nodes is None:
            self.first[message] = error
            nodes = self.nodes[message] = {}
        found = list(error.nodes or ())
        found += [twin for node in found for twin in self.twins(node)]
        for node in found:
            if len(nodes) == MAX_LOCATIONS:
                break
            # Conflicts name a field once per pair: each place once.
            nodes.setdefault((node.loc.start, node.loc.end) if node.loc else id(node), node)

    def errors(self) -> list[GraphQLError]:
        merged = []
        for message, first in self.first.items():
            nodes = self.nodes[message]
            if first.nodes and len(nodes) > len(first.nodes):
                ordered = sorted(nodes.values(), key=lambda n: n.loc.start if n.loc else 0)
                first = GraphQLError(message, ordered, extensions=first.extensions)
            merged.append(first)
        return merged


def _by_identity(context: ValidationContext) -> None:
    """The context's caches keyed by the node itself: graphql-core's nodes hash by their
    whole subtree, so each look-up of an operation or fragment read all of it again."""
    for cache in _CACHES:
        setattr(context, cache, RefMap())


_CACHES = ("_fragment_spreads", "_variable_usages", "_recursive_variable_usages")


def _no_variables_used(context: ValidationContext) -> None:
    """An operation or fragment whose selections and directives hold no `$` uses no
    variable: its usages are known without the walk, with type information, that
    graphql-core makes of each definition to find them (fifty operations that spread one
    fragment were each walked again). A `$` in a string or a comment only means a walk."""
    usages = context._variable_usages
    for definition in context.document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode) and not any(
            "$" in written(part)
            for part in (definition.selection_set, *(definition.directives or ()))
        ):
            usages[definition] = []


def _usages_found_directly(context: ValidationContext) -> None:
    """The variable usages of the definitions that have some found by `engine.usages`,
    graphql-core's second walk left for what that does not handle."""
    found = context._variable_usages
    walked = context.get_variable_usages

    def get_variable_usages(node: Any) -> list[Any]:
        usages = found.get(node)
        if usages is None:
            usages = variable_usages(context.schema, node)
            if usages is None:
                return walked(node)
            found[node] = usages
        return usages

    context.get_variable_usages = get_variable_usages  # type: ignore[method-assign]


def validate_merged(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: Collection[type[ASTValidationRule]],
    *,
    max_errors: int,
    hide_suggestions: bool,
    twins: Twins = lambda node: (),
    budget_share: int = 1,
) -> list[GraphQLError]:
    """The distinct validation errors of `document`, each with all its locations, at most
    `max_errors` of them (the last saying validation stopped, when it did). `twins` gives
    the nodes a node stands for in a collapsed document (`engine.collapse`). graphql-core's
    work budgets (fragment work, field comparisons) are divided by `budget_share`: a
    document that stands for that many copies of itself must abort where they would.

    graphql-core's `validate`, walking the document as `engine.validation_walk` does."""
    assert_valid_schema(schema)
    merged = _Merged(max_errors, twins)
    type_info = TypeInfo(schema)
    context = ValidationContext(schema, document, type_info, merged.report, hide_suggestions)
    _by_identity(context)
    _no_variables_used(context)
    _usages_found_directly(context)
    visitors: list[Visitor] = [rule(context) for rule in rules]
    if budget_share > 1:
        _share_budgets(context, visitors, budget_share)
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    if fragments:
        visitors.insert(0, FragmentNestingVisitor(fragments))
    stopped: list[GraphQLError] = []
    try:
        walker = TypedRules(type_info, RulesByKind(visitors))
        visit(document, walker, walked_keys(tuple(rules)))
    except ValidationAbortedError as error:
        error.__context__ = None  # not to keep validation's frames alive with the error
        stopped.append(error.with_traceback(None))
    except RecursionError:
        stopped.append(ValidationAbortedError("Validation aborted."))
    return merged.errors() + stopped


def _share_budgets(context: ValidationContext, visitors: list[Visitor], share: int) -> None:
    context._remaining_fragment_work //= share  # graphql-core keeps no setter
    for visitor in visitors:
        if isinstance(visitor, OverlappingFieldsCanBeMergedRule):
            visitor.rule_context.remaining_complexity_budget //= share
