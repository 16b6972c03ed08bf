"""Parsed and validated documents, cached by their text.

Parsing and validating costs milliseconds per request; the same few documents arrive again
and again, and a document's validity depends only on its text, the schema and whether
introspection is open (when it is closed, `__schema` and `__type` are refused and messages
suggest no names), so each text keeps one validation for each.

The limits (`engine.limits`) come first and cost little: the parser stops at the token, depth
and directive limits, then aliases, depth and selections through fragments, the fields
selected on each object (`engine.widths`) and the least cost the document could have are
counted. Only then does graphql-core validate (`engine.validation`), a copy of the document
without repeated selections (`engine.collapse`): those counts bound what its pairwise
comparison of fields can cost, and its errors are merged and bounded. Only
documents that parse within the limits are kept (the others are refused again as cheaply),
no text longer than `MAX_CACHED_CHARS`, and at most `max_tokens` tokens in all: a parsed
document holds 600-800 bytes a token (the widest hostile one, as parsed).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from time import perf_counter_ns

from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode
from graphql.validation import (
    ASTValidationRule,
    MaxIntrospectionDepthRule,
    NoSchemaIntrospectionCustomRule,
    OverlappingFieldsCanBeMergedRule,
    UniqueDirectivesPerLocationRule,
    VariablesInAllowedPositionRule,
    specified_rules,
)

from engine.collapse import Collapsed, collapse
from engine.compiled.compile import CompiledQueries
from engine.cost import CostModel, CostPlan
from engine.limits import (
    TOO_COMPLEX,
    QueryLimits,
    TooComplex,
    check_shape,
    cost_error,
)
from engine.observe import Observation
from engine.operation_twins import without_twins
from engine.overlap import OverlappingFieldsReportedEarly
from engine.parsing import parse_document
from engine.validation import validate_merged
from engine.validation_walk import UniqueDirectivesWhereDirectivesAre
from engine.variable_positions import VariablesInAllowedPositionOnce
from engine.variables import DocumentVariables
from engine.widths import check_widths

MAX_CACHED_CHARS = 64 * 1024
# The same rules, two of them doing their work once (`engine.overlap`,
# `engine.variable_positions`), one listening to fewer nodes (`engine.validation_walk`).
OURS: dict[type[ASTValidationRule], type[ASTValidationRule]] = {
    OverlappingFieldsCanBeMergedRule: OverlappingFieldsReportedEarly,
    UniqueDirectivesPerLocationRule: UniqueDirectivesWhereDirectivesAre,
    VariablesInAllowedPositionRule: VariablesInAllowedPositionOnce,
}
SPECIFIED_RULES = tuple(OURS.get(rule, rule) for rule in specified_rules)
OPEN_RULES = (*SPECIFIED_RULES, MaxIntrospectionDepthRule)
CLOSED_RULES = (*SPECIFIED_RULES, NoSchemaIntrospectionCustomRule)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A parsed document (None when it did not parse) and the errors that stop it from
    running, with their code; it may run only when `errors` is empty. `plan` estimates its
    cost; `least_cost` is what it costs at least, when the limits got that far; `compiled`
    keeps its compiled query plans and `variables` its operations' variable signatures once
    it is valid."""

    document: DocumentNode | None
    errors: list[GraphQLError]
    code: str | None = None
    plan: CostPlan | None = None
    least_cost: int | None = None
    compiled: CompiledQueries | None = None
    variables: DocumentVariables | None = None
    operations: dict[str | None, OperationDefinitionNode] = field(default_factory=dict)
    """Its operations by the names requests chose them with (`engine.operations`)."""


@dataclass(slots=True)
class _Entry:
    checked: Prepared  # parsed and within the limits, or refused
    weight: int  # tokens
    validated: dict[bool, Prepared] = field(default_factory=dict)  # by introspection open
    collapsed: Collapsed | None = None  # what validation reads, once it has


class DocumentCache:
    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        limits: QueryLimits | None = None,
        size: int = 512,
        max_tokens: int = 50_000,
    ) -> None:
        self.schema = schema
        self.limits = limits or QueryLimits()
        self.costs = CostModel(schema)
        self.size = size
        self.max_tokens = max_tokens
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._tokens = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(
        self, query: str, *, introspection: bool = True, observation: Observation | None = None
    ) -> Prepared:
        """The document of `query`; `observation` notes the parse and validation phases
        when they run (not when the cache answers)."""
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        else:
            started = perf_counter_ns()
            entry = self._check(query)
            if observation is not None:
                observation.phase("parse", started)
            if entry.checked.code is None:
                self._keep(query, entry)
        if entry.checked.errors:
            return entry.checked
        prepared = entry.validated.get(introspection)
        if prepared is None:
            started = perf_counter_ns()
            prepared = entry.validated[introspection] = self._validate(entry, introspection)
            if observation is not None:
                observation.phase("validate", started)
        return prepared

    def _check(self, query: str) -> _Entry:
        try:
            document = parse_document(query, self.limits)
        except TooComplex as error:
            return _Entry(Prepared(None, [error], TOO_COMPLEX), weight=0)
        except GraphQLError as error:
            return _Entry(Prepared(None, [error], "GRAPHQL_PARSE_FAILED"), weight=0)
        errors = check_shape(document, self.schema, self.limits)
        if not errors:  # the walk is bounded by the selection limit
            errors = check_widths(document, self.limits)
        plan = self.costs.plan(document)
        least = plan.least(self.limits)
        if least > self.limits.max_cost:
            errors.append(cost_error(least, self.limits, at_least=plan.uses_variables))
        weight: int = getattr(document, "token_count", 0)
        if errors:
            return _Entry(Prepared(document, errors, TOO_COMPLEX, plan, least), weight)
        return _Entry(Prepared(document, [], None, plan, least), weight)

    def _validate(self, entry: _Entry, introspection: bool) -> Prepared:
        checked = entry.checked
        assert checked.document is not None
        if entry.collapsed is None:
            entry.collapsed = collapse(checked.document)
        collapsed = entry.collapsed

        def validate(document: DocumentNode, budget_share: int = 1) -> list[GraphQLError]:
            return validate_merged(
                self.schema,
                document,
                OPEN_RULES if introspection else CLOSED_RULES,
                max_errors=self.limits.max_errors,
                hide_suggestions=not introspection,
                twins=collapsed.twins,
                budget_share=budget_share,
            )

        # Valid without its twin operations, it is valid; else the errors are the whole's.
        # No twin spends more of graphql-core's budgets than the reduced document does, so
        # within its share per operation the whole would not have aborted either.
        reduced = without_twins(collapsed.document)
        errors = None
        if reduced is not None:
            count = sum(isinstance(d, OperationDefinitionNode) for d in reduced.definitions)
            errors = validate(reduced, count)
        if errors is None or errors:
            errors = validate(collapsed.document)
        if errors:
            code = "GRAPHQL_VALIDATION_FAILED"
            return Prepared(checked.document, errors, code, checked.plan, checked.least_cost)
        return Prepared(
            checked.document,
            [],
            None,
            checked.plan,
            checked.least_cost,
            CompiledQueries(),
            DocumentVariables(self.schema),
        )

    def _keep(self, query: str, entry: _Entry) -> None:
        if len(query) > MAX_CACHED_CHARS or entry.weight > self.max_tokens:
            return
        self._entries[query] = entry
        self._tokens += entry.weight
        while len(self._entries) > self.size or self._tokens > self.max_tokens:
            _, dropped = self._entries.popitem(last=False)
            self._tokens -= dropped.weight
