"""graphql-core's rule that fields of one response name can be merged, reporting each
conflict of a selection set as it is found rather than once all are.

graphql-core compares every pair of a selection set's fields of one response name before
it reports any: 50 fields of one name with different arguments are 1,225 comparisons, each
a conflict of the same message. Validation stops after a bounded number of reports
(`engine.validation`), so once they are reported as found, the comparisons past that bound
are never made. The errors, their order and their text are graphql-core's.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLNamedType, InlineFragmentNode, SelectionSetNode
from graphql.validation import ValidationContext
from graphql.validation.rules.overlapping_fields_can_be_merged import (
    Conflict,
    OverlappingFieldsCanBeMergedRule,
    RuleContext,
    VariableScope,
    collect_conflicts_between_fields_and_fragment,
    collect_conflicts_between_fragments,
    collect_conflicts_within,
    collect_fields,
    get_fragment_spreads,
    maybe_abbreviate,
)


class _Reported(list[Conflict]):
    """The conflicts of one selection set: each reported when it is added."""

    def __init__(self, rule: OverlappingFieldsCanBeMergedRule) -> None:
        super().__init__()
        self.rule = rule

    def append(self, conflict: Conflict) -> None:
        response_name, reason, fields1, fields2 = conflict
        self.rule.report_error(
            GraphQLError(
                f"Fields '{maybe_abbreviate(response_name)}'"
                f" conflict because {reason}."
                " Use different aliases on the fields to fetch both"
                " if this was intentional.",
                fields1 + fields2,
            )
        )


class OverlappingFieldsReportedEarly(OverlappingFieldsCanBeMergedRule):
    def enter_selection_set(
        self, selection_set: SelectionSetNode, _key: Any, parent: Any, *_args: Any
    ) -> None:
        # graphql-core's own method, the conflicts reported as they are collected.
        if isinstance(parent, InlineFragmentNode):
            return
        selections = selection_set.selections
        if len(selections) <= 1 and not (
            selections and isinstance(selections[0], InlineFragmentNode)
        ):
            return
        _conflicts_within(
            self.context,
            self.rule_context,
            self.context.get_parent_type(),
            selection_set,
            self.fragment_scope,
            _Reported(self),
        )


def _conflicts_within(
    validation_context: ValidationContext,
    rule_context: RuleContext,
    parent_type: GraphQLNamedType | None,
    selection_set: SelectionSetNode,
    scope: VariableScope | None,
    conflicts: list[Conflict],
) -> None:
    """graphql-core's `find_conflicts_within_selection_set`, adding to `conflicts`."""
    collected = collect_fields(validation_context, rule_context, parent_type, selection_set)
    # (A) Conflicts within the fields of this selection set.
    collect_conflicts_within(validation_context, rule_context, conflicts, collected, scope)
    spreads = collected.spreads
    if not (spreads and (collected.grouped_field_set or len(spreads) > 1)):
        return
    fragment_spreads = get_fragment_spreads(validation_context, rule_context, collected, scope)
    for i, fragment_spread in enumerate(fragment_spreads):
        # (B) Between these fields and each spread.
        collect_conflicts_between_fields_and_fragment(
            validation_context, rule_context, conflicts, False, collected, scope, fragment_spread
        )
        # (C) Between the spreads, each pair once.
        for other_fragment_spread in fragment_spreads[i + 1 :]:
            collect_conflicts_between_fragments(
                validation_context,
                rule_context,
                conflicts,
                False,
                fragment_spread,
                other_fragment_spread,
            )
